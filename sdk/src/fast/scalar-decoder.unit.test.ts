// The fast flat-message decoder against protobuf-es fromBinary: every scalar kind, seeded random
// values, and seeded corruptions of valid encodings. Whenever the fast decoder answers, the
// answer must equal fromBinary's; it must decline whatever fromBinary rejects or keeps as unknown.
import { describe, expect, test } from "bun:test";
import {
  create,
  createFileRegistry,
  type DescMessage,
  fromBinary,
  type Message,
  toBinary,
} from "@bufbuild/protobuf";
import {
  BoolValueSchema,
  BytesValueSchema,
  DoubleValueSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FloatValueSchema,
  Int32ValueSchema,
  Int64ValueSchema,
  StringValueSchema,
  TimestampSchema,
  UInt32ValueSchema,
  UInt64ValueSchema,
} from "@bufbuild/protobuf/wkt";
import { seeded } from "../testing";
import { scalarDecoder } from "./scalar-decoder";

/** mulberry32 */
const T = FieldDescriptorProto_Type;
const SCALARS: [string, FieldDescriptorProto_Type][] = [
  ["f_double", T.DOUBLE],
  ["f_float", T.FLOAT],
  ["f_int64", T.INT64],
  ["f_uint64", T.UINT64],
  ["f_int32", T.INT32],
  ["f_fixed64", T.FIXED64],
  ["f_fixed32", T.FIXED32],
  ["f_bool", T.BOOL],
  ["f_string", T.STRING],
  ["f_bytes", T.BYTES],
  ["f_uint32", T.UINT32],
  ["f_sfixed32", T.SFIXED32],
  ["f_sfixed64", T.SFIXED64],
  ["f_sint32", T.SINT32],
  ["f_sint64", T.SINT64],
];

// A proto3 file built at run time: a message with one field of every scalar type plus an open
// enum, and a message with a nested message (not flat).
const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "fast_test.proto",
    package: "fasttest",
    syntax: "proto3",
    enumType: [
      {
        name: "Color",
        value: [
          { name: "COLOR_UNSPECIFIED", number: 0 },
          { name: "RED", number: 1 },
        ],
      },
    ],
    messageType: [
      {
        name: "AllScalars",
        field: [
          ...SCALARS.map(([name, type], i) => ({
            name,
            jsonName: name,
            number: i + 1,
            type,
            label: FieldDescriptorProto_Label.OPTIONAL,
          })),
          {
            name: "f_enum",
            jsonName: "fEnum",
            number: 20,
            type: T.ENUM,
            typeName: ".fasttest.Color",
            label: FieldDescriptorProto_Label.OPTIONAL,
          },
        ],
      },
      {
        name: "Nested",
        field: [
          {
            name: "inner",
            jsonName: "inner",
            number: 1,
            type: T.MESSAGE,
            typeName: ".fasttest.AllScalars",
            label: FieldDescriptorProto_Label.OPTIONAL,
          },
        ],
      },
    ],
  }),
  () => undefined,
);
const AllScalars = registry.getMessage("fasttest.AllScalars") as DescMessage;
const Nested = registry.getMessage("fasttest.Nested") as DescMessage;

function randomValue(type: FieldDescriptorProto_Type, random: () => number): unknown {
  const int32 = () => Math.floor(random() * 2 ** 32) - 2 ** 31;
  const uint32 = () => Math.floor(random() * 2 ** 32);
  const big = () => (BigInt(uint32()) << 32n) | BigInt(uint32());
  const small = random() < 0.3;
  switch (type) {
    case T.DOUBLE:
      return random() < 0.1 ? -0 : (random() - 0.5) * 10 ** Math.floor(random() * 20);
    case T.FLOAT:
      return Math.fround((random() - 0.5) * 1000);
    case T.INT64:
    case T.SFIXED64:
    case T.SINT64:
      return small ? BigInt(int32() % 100) : BigInt.asIntN(64, big());
    case T.UINT64:
    case T.FIXED64:
      return small ? BigInt(uint32() % 100) : big();
    case T.INT32:
    case T.SFIXED32:
    case T.SINT32:
      return small ? int32() % 100 : int32();
    case T.UINT32:
    case T.FIXED32:
      return small ? uint32() % 100 : uint32();
    case T.BOOL:
      return random() < 0.5;
    case T.STRING: {
      const pool = ["", "a", "counter", "Ünïcödé ✓", "x".repeat(200), "\u{1F600}"];
      return pool[Math.floor(random() * pool.length)];
    }
    default:
      return Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256));
  }
}

function randomMessage(random: () => number): Message {
  const init: Record<string, unknown> = {};
  for (const field of AllScalars.fields) {
    if (random() < 0.3) continue; // left at its default, so not encoded
    const proto = SCALARS[field.number - 1];
    init[field.localName] =
      field.number === 20
        ? Math.floor(random() * 3)
        : randomValue(proto?.[1] as FieldDescriptorProto_Type, random);
  }
  return create(AllScalars, init);
}

/** fromBinary's answer, or the error it throws. */
function general(schema: DescMessage, bytes: Uint8Array): Message | Error {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    return err as Error;
  }
}

function agree(schema: DescMessage, bytes: Uint8Array): "fast" | "declined" {
  const decode = scalarDecoder(schema);
  if (!decode) throw new Error(`${schema.typeName} is not flat`);
  // Decode from the middle of a larger buffer, as the rebuild does.
  const padded = new Uint8Array(bytes.length + 7);
  padded.set(bytes, 3);
  const fast = decode(padded, 3, 3 + bytes.length);
  const expected = general(schema, bytes);
  if (fast === undefined) return "declined";
  expect(expected).not.toBeInstanceOf(Error);
  expect(fast).toEqual(expected as Message);
  return "fast";
}

describe("scalarDecoder", () => {
  test("flat types get a decoder; types with message fields do not", () => {
    expect(scalarDecoder(AllScalars)).toBeDefined();
    expect(scalarDecoder(UInt32ValueSchema)).toBeDefined();
    expect(scalarDecoder(TimestampSchema)).toBeDefined();
    expect(scalarDecoder(Nested)).toBeUndefined();
  });

  test("equals fromBinary on 2,000 seeded messages with every scalar type", () => {
    const random = seeded(1);
    let fast = 0;
    for (let i = 0; i < 2_000; i++) {
      if (agree(AllScalars, toBinary(AllScalars, randomMessage(random))) === "fast") fast++;
    }
    // Declines only non-ASCII text that fromBinary must check.
    expect(fast).toBeGreaterThan(1_000);
  });

  test("equals fromBinary on the well-known wrappers", () => {
    const random = seeded(2);
    const cases: [DescMessage, FieldDescriptorProto_Type][] = [
      [DoubleValueSchema, T.DOUBLE],
      [FloatValueSchema, T.FLOAT],
      [Int64ValueSchema, T.INT64],
      [UInt64ValueSchema, T.UINT64],
      [Int32ValueSchema, T.INT32],
      [UInt32ValueSchema, T.UINT32],
      [BoolValueSchema, T.BOOL],
      [StringValueSchema, T.STRING],
      [BytesValueSchema, T.BYTES],
    ];
    for (const [schema, type] of cases) {
      for (let i = 0; i < 200; i++) {
        const message = create(schema, { value: randomValue(type, random) } as never);
        agree(schema, toBinary(schema, message));
      }
    }
  });

  test("declines unknown fields, which fromBinary keeps", () => {
    const bytes = Uint8Array.from([
      ...toBinary(UInt32ValueSchema, create(UInt32ValueSchema, { value: 7 })),
      0x98,
      0x06,
      1,
    ]);
    expect(scalarDecoder(UInt32ValueSchema)?.(bytes, 0, bytes.length)).toBeUndefined();
    expect(fromBinary(UInt32ValueSchema, bytes).$unknown).toHaveLength(1);
  });

  test("declines a wire type that does not match the field", () => {
    const bytes = Uint8Array.from([0x0a, 1, 7]); // field 1 as LEN on a uint32
    expect(scalarDecoder(UInt32ValueSchema)?.(bytes, 0, bytes.length)).toBeUndefined();
  });

  test("repeated occurrences of a field: the last wins, as in fromBinary", () => {
    agree(UInt32ValueSchema, Uint8Array.from([0x08, 1, 0x08, 2, 0x08, 0xff, 0x01]));
    agree(StringValueSchema, Uint8Array.from([0x0a, 1, 0x61, 0x0a, 2, 0x62, 0x63]));
  });

  test("seeded corruptions: the fast answer is fromBinary's, or it declines", () => {
    const random = seeded(3);
    let declined = 0;
    for (let i = 0; i < 5_000; i++) {
      const bytes = toBinary(AllScalars, randomMessage(random));
      if (bytes.length === 0) continue;
      const mutated = bytes.slice(0, random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length);
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        if (mutated.length > 0) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      }
      if (agree(AllScalars, mutated) === "declined") declined++;
    }
    expect(declined).toBeGreaterThan(0);
  });
});
