// Binary round trip of every contract message, fully populated by reflection, plus the decoder
// tolerances of wire-contract.md §3.3 and §3.7 (zero-valued oneof members, unknown fields,
// packed/unpacked repeated scalars, unknown enum numbers).
import { describe, expect, test } from "bun:test";
import {
  CoverSchema,
  EventPageSchema,
  file_angzarr_aggregate,
  file_angzarr_edition,
  file_angzarr_gateway,
  file_angzarr_process_manager,
  file_angzarr_projector,
  file_angzarr_query,
  file_angzarr_saga,
  file_angzarr_speculative,
  file_angzarr_types,
  file_angzarr_upcaster,
  file_health_v1_health,
  SequenceRangeSchema,
  SequenceSetSchema,
  SyncCommandBookSchema,
  SyncMode,
  UUIDSchema,
} from "@angzarr/proto";
import {
  create,
  type DescField,
  type DescFile,
  type DescMessage,
  equals,
  fromBinary,
  isFieldSet,
  type Message,
  type MessageShape,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import { isReflectMessage, reflect } from "@bufbuild/protobuf/reflect";

const FILES: DescFile[] = [
  file_angzarr_types,
  file_angzarr_aggregate,
  file_angzarr_saga,
  file_angzarr_projector,
  file_angzarr_process_manager,
  file_angzarr_query,
  file_angzarr_gateway,
  file_angzarr_speculative,
  file_angzarr_edition,
  file_angzarr_upcaster,
  file_health_v1_health,
];

function allMessages(messages: readonly DescMessage[]): DescMessage[] {
  return messages.flatMap((m) => [m, ...allMessages(m.nestedMessages)]);
}

const MESSAGES = FILES.flatMap((f) => allMessages(f.messages));

/** Nesting depth beyond which message fields are left as empty messages (guards recursive types). */
const MAX_DEPTH = 8;

type ScalarValue = number | bigint | boolean | string | Uint8Array;

/** A non-default value of the given scalar type; `seed` (>= 1) varies values between fields. */
function scalarValue(type: ScalarType, seed: number): ScalarValue {
  switch (type) {
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return seed + 0.5;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return -seed;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return 300 * seed; // at least two varint bytes
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return BigInt(-seed) * 10_000_000_000n;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return BigInt(seed) * 10_000_000_000n;
    case ScalarType.BOOL:
      return true;
    case ScalarType.STRING:
      return `s${seed}-é`;
    case ScalarType.BYTES:
      return new Uint8Array([seed & 0xff, 0, 0xff]);
  }
}

function zeroValue(type: ScalarType): ScalarValue {
  switch (type) {
    case ScalarType.BOOL:
      return false;
    case ScalarType.STRING:
      return "";
    case ScalarType.BYTES:
      return new Uint8Array();
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 0n;
    default:
      return 0;
  }
}

/** Number of instances needed so that every member of every oneof is chosen at least once. */
function variantCount(desc: DescMessage): number {
  return Math.max(1, ...desc.oneofs.map((o) => o.fields.length));
}

/** The oneof member chosen for a variant, or undefined when the field is not in a oneof. */
function chosen(field: DescField, variant: number): boolean {
  if (field.oneof === undefined) return true;
  return field.oneof.fields[variant % field.oneof.fields.length] === field;
}

/**
 * A message with every field (and the chosen member of each oneof) set to a non-default value:
 * repeated fields hold 2 elements, maps 1 entry, nested messages are filled the same way.
 */
function build(desc: DescMessage, variant: number, depth = 0): Message {
  const init: Record<string, unknown> = {};
  desc.fields.forEach((field, i) => {
    if (!chosen(field, variant)) return;
    const seed = i + 1 + depth * 10;
    let value: unknown;
    switch (field.fieldKind) {
      case "scalar":
        value = scalarValue(field.scalar, seed);
        break;
      case "enum":
        value = field.enum.values.at(-1)?.number ?? 1;
        break;
      case "message":
        value = depth >= MAX_DEPTH ? create(field.message) : build(field.message, variant, depth + 1);
        break;
      case "list":
        value = [0, 1].map((k) => {
          if (field.listKind === "scalar") return scalarValue(field.scalar, seed + k);
          if (field.listKind === "enum") return field.enum.values.at(-1)?.number ?? 1;
          return depth >= MAX_DEPTH ? create(field.message) : build(field.message, variant + k, depth + 1);
        });
        break;
      case "map": {
        const key = String(scalarValue(field.mapKey, seed));
        const entry =
          field.mapKind === "scalar"
            ? scalarValue(field.scalar, seed)
            : field.mapKind === "enum"
              ? (field.enum.values.at(-1)?.number ?? 1)
              : depth >= MAX_DEPTH
                ? create(field.message)
                : build(field.message, variant, depth + 1);
        value = { [key]: entry };
        break;
      }
    }
    if (field.oneof !== undefined) init[field.oneof.localName] = { case: field.localName, value };
    else init[field.localName] = value;
  });
  return create(desc, init);
}

/** Asserts that every field `build` filled is set on `message`, recursing like `build`. */
function assertAllSet(desc: DescMessage, message: Message, variant: number, path: string, depth = 0): void {
  const r = reflect(desc, message);
  for (const field of desc.fields) {
    const where = `${path}.${field.name}`;
    if (!chosen(field, variant)) {
      expect(isFieldSet(message, field), where).toBe(false);
      continue;
    }
    expect(isFieldSet(message, field), where).toBe(true);
    if (depth >= MAX_DEPTH) continue;
    if (field.fieldKind === "message") {
      const nested = r.get(field);
      assertAllSet(field.message, nested.message, variant, where, depth + 1);
    } else if (field.fieldKind === "list") {
      const list = r.get(field);
      expect(list.size, where).toBe(2);
      if (field.listKind === "message") {
        let k = 0;
        for (const item of list) {
          if (!isReflectMessage(item)) throw new Error(`${where}[${k}] is not a message`);
          assertAllSet(field.message, item.message, variant + k, `${where}[${k}]`, depth + 1);
          k++;
        }
      }
    } else if (field.fieldKind === "map") {
      const map = r.get(field);
      expect(map.size, where).toBe(1);
      if (field.mapKind === "message") {
        for (const [, item] of map) {
          if (!isReflectMessage(item)) throw new Error(`${where}{} is not a message`);
          assertAllSet(field.message, item.message, variant, `${where}{}`, depth + 1);
        }
      }
    }
  }
}

function roundTrip<D extends DescMessage>(desc: D, message: MessageShape<D>): MessageShape<D> {
  const bytes = toBinary(desc, message);
  const decoded = fromBinary(desc, bytes);
  expect(equals(desc, decoded, message)).toBe(true);
  // Re-encoding the decoded copy gives the same bytes (deterministic canonical form).
  expect(toBinary(desc, decoded)).toEqual(bytes);
  return decoded;
}

const hex = (s: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(Buffer.from(s.replaceAll(" ", ""), "hex"));

describe("every message survives a binary round trip fully populated", () => {
  for (const desc of MESSAGES) {
    const variants = variantCount(desc);
    for (let variant = 0; variant < variants; variant++) {
      const which = desc.oneofs.map((o) => o.fields[variant % o.fields.length]?.name).join(",");
      test(`${desc.typeName}${which ? ` (${which})` : ""}`, () => {
        const message = build(desc, variant);
        // Sanity: the builder itself set everything it should have.
        assertAllSet(desc, message, variant, desc.typeName);
        const decoded = roundTrip(desc, message);
        assertAllSet(desc, decoded, variant, desc.typeName);
      });
    }
  }

  test("every contract message was exercised", () => {
    expect(MESSAGES.length).toBe(58);
  });
});

describe("explicit presence survives zero values", () => {
  // Every scalar/enum field with explicit presence: oneof members and proto3 `optional` fields.
  const explicit = MESSAGES.flatMap((desc) =>
    desc.fields
      .filter(
        (f) =>
          (f.fieldKind === "scalar" || f.fieldKind === "enum") &&
          (f.oneof !== undefined || f.proto.proto3Optional),
      )
      .map((field) => ({ desc, field })),
  );

  test("the explicit-presence scalars are the ones the contract names", () => {
    expect(explicit.map(({ desc, field }) => `${desc.typeName}.${field.name}`).sort()).toEqual([
      "angzarr.EventPage.force",
      "angzarr.EventPage.num",
      "angzarr.SequenceRange.upper",
      "angzarr.TemporalQuery.as_of_sequence",
    ]);
  });

  for (const { desc, field } of explicit) {
    test(`${desc.typeName}.${field.name} = zero stays set`, () => {
      const variant = field.oneof ? field.oneof.fields.indexOf(field) : 0;
      const message = build(desc, variant);
      const zero = field.fieldKind === "scalar" ? zeroValue(field.scalar) : 0;
      reflect(desc, message).set(field, zero);
      expect(isFieldSet(message, field)).toBe(true);
      const decoded = roundTrip(desc, message);
      expect(isFieldSet(decoded, field)).toBe(true);
      expect(reflect(desc, decoded).get(field)).toEqual(zero);
    });
  }

  test("EventPage.num = 0 encodes as 08 00 and decodes with its oneof case", () => {
    const page = create(EventPageSchema, { sequence: { case: "num", value: 0 } });
    const bytes = toBinary(EventPageSchema, page);
    expect(bytes).toEqual(hex("08 00"));
    const decoded = fromBinary(EventPageSchema, bytes);
    expect(decoded.sequence).toEqual({ case: "num", value: 0 });
    // And an empty page is "neither", not num 0.
    expect(fromBinary(EventPageSchema, new Uint8Array()).sequence.case).toBeUndefined();
  });

  test("SequenceRange.upper = 0 differs from unset", () => {
    const explicitZero = create(SequenceRangeSchema, { lower: 2, upper: 0 });
    const unset = create(SequenceRangeSchema, { lower: 2 });
    expect(toBinary(SequenceRangeSchema, explicitZero)).toEqual(hex("08 02 10 00"));
    expect(toBinary(SequenceRangeSchema, unset)).toEqual(hex("08 02"));
    expect(fromBinary(SequenceRangeSchema, hex("08 02 10 00")).upper).toBe(0);
    expect(fromBinary(SequenceRangeSchema, hex("08 02")).upper).toBeUndefined();
  });
});

describe("decoder tolerances (§3.7)", () => {
  // Cover { domain: "order" } followed by unknown field 99 (varint 1) and unknown field 15
  // (length-delimited "zz"): tag 99<<3|0 = 792 = varint 98 06; tag 15<<3|2 = 0x7a.
  const withUnknown = hex("12 05 6f72646572  98 06 01  7a 02 7a7a");
  const expected = create(CoverSchema, { domain: "order" });

  test("unknown fields are ignored by decode", () => {
    const decoded = fromBinary(CoverSchema, withUnknown);
    expect(decoded.domain).toBe("order");
    expect(equals(CoverSchema, decoded, expected)).toBe(true);
    const dropped = fromBinary(CoverSchema, withUnknown, { readUnknownFields: false });
    expect(toBinary(CoverSchema, dropped)).toEqual(hex("12 05 6f72646572"));
  });

  test("protobuf-es keeps unknown fields by default; writeUnknownFields:false gives the canonical form", () => {
    // Note: by default protobuf-es retains unknown fields and writes them back on toBinary.
    // Anything hashing an encoding (correlation ids, §3.5) must not include them.
    const decoded = fromBinary(CoverSchema, withUnknown);
    expect(toBinary(CoverSchema, decoded)).toEqual(withUnknown);
    expect(toBinary(CoverSchema, decoded, { writeUnknownFields: false })).toEqual(hex("12 05 6f72646572"));
  });

  test("unknown fields inside nested messages are ignored too", () => {
    // Cover { root: UUID { value: 16 bytes, unknown field 2 varint 5 } }
    const root = "000102030405060708090a0b0c0d0e0f";
    const decoded = fromBinary(CoverSchema, hex(`0a 14 0a 10 ${root} 10 05`));
    expect(
      equals(UUIDSchema, decoded.root ?? create(UUIDSchema), create(UUIDSchema, { value: hex(root) })),
    ).toBe(true);
  });

  test("SequenceSet.values decodes packed, unpacked and mixed", () => {
    const packed = fromBinary(SequenceSetSchema, hex("0a 03 01 02 03"));
    const unpacked = fromBinary(SequenceSetSchema, hex("08 01 08 02 08 03"));
    const mixed = fromBinary(SequenceSetSchema, hex("08 01 0a 02 02 03"));
    for (const m of [packed, unpacked, mixed]) expect(m.values).toEqual([1, 2, 3]);
    // We always write packed.
    expect(toBinary(SequenceSetSchema, unpacked)).toEqual(hex("0a 03 01 02 03"));
  });

  test("an unknown SyncMode number decodes and is preserved", () => {
    // SyncCommandBook { sync_mode: 7 }: tag 2<<3|0 = 0x10. proto3 enums are open, so protobuf-es
    // keeps the raw number 7 (no error, no substitution) and writes it back unchanged. The spec's
    // "unknown reads as SYNC_MODE_SIMPLE" is therefore a rule for the code that interprets the
    // value (the coordinator), not something the decoder does for us.
    const decoded = fromBinary(SyncCommandBookSchema, hex("10 07"));
    expect(decoded.syncMode as number).toBe(7);
    expect(Object.values(SyncMode)).not.toContain(7);
    expect(toBinary(SyncCommandBookSchema, decoded)).toEqual(hex("10 07"));
  });
});
