// Golden bytes written by hand from wire-contract.md §3.3, §3.7 and §4 (never produced by our
// encoder). Tag byte = (field number << 3) | wire type; wire types: 0 = varint, 2 = length-delimited.
// Canonical form: ascending field order, defaults of implicit-presence fields omitted, oneof and
// `optional` members written whenever set, repeated scalars packed.
import { describe, expect, test } from "bun:test";
import {
  CommandBookSchema,
  CommandPageSchema,
  CoverSchema,
  EditionSchema,
  EventPageSchema,
  QuerySchema,
  SagaCommandOriginSchema,
  SequenceRangeSchema,
  SequenceSetSchema,
  SyncCommandBookSchema,
  SyncMode,
  TemporalQuerySchema,
  UUIDSchema,
} from "@angzarr/proto";
import {
  create,
  type DescMessage,
  equals,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";

/** Bytes from hex text; spaces and line breaks are ignored. */
function hex(...parts: string[]): Uint8Array {
  const text = parts.join("").replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new Error(`bad hex literal: ${text}`);
  return new Uint8Array(Buffer.from(text, "hex"));
}

/** Hex of ASCII text, for long strings (lengths in front of them are still counted by hand). */
function ascii(text: string): string {
  return Buffer.from(text, "latin1").toString("hex");
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Our encoder must produce exactly `bytes`, and our decoder must read them back as `message`. */
function assertGolden<D extends DescMessage>(schema: D, message: MessageShape<D>, bytes: Uint8Array): void {
  expect(toHex(toBinary(schema, message))).toBe(toHex(bytes));
  const decoded = fromBinary(schema, bytes);
  expect(equals(schema, decoded, message)).toBe(true);
}

const ROOT_A = hex("000102030405060708090a0b0c0d0e0f");
const ROOT_B = hex("101112131415161718191a1b1c1d1e1f");

describe("golden encodings", () => {
  test("Cover { root, domain, correlation_id, edition }", () => {
    const cover = create(CoverSchema, {
      root: create(UUIDSchema, { value: ROOT_A }),
      domain: "order",
      correlationId: "c-1",
      edition: create(EditionSchema, { name: "v2" }),
    });
    const bytes = hex(
      "0a 12", //                field 1 root, LEN, 18 bytes follow
      "  0a 10", //              UUID field 1 value, LEN, 16 bytes
      "  000102030405060708090a0b0c0d0e0f",
      "12 05 6f 72 64 65 72", // field 2 domain, LEN 5, "order"
      "1a 03 63 2d 31", //       field 3 correlation_id, LEN 3, "c-1"
      "22 04", //                field 4 edition, LEN 4
      "  0a 02 76 32", //        Edition field 1 name, LEN 2, "v2"
    );
    assertGolden(CoverSchema, cover, bytes);
  });

  test("EventPage { num 3, created_at, event Any }", () => {
    const page = create(EventPageSchema, {
      sequence: { case: "num", value: 3 },
      createdAt: create(TimestampSchema, { seconds: 1700000000n, nanos: 5 }),
      event: create(AnySchema, {
        typeUrl: "type.googleapis.com/examples.OrderCreated",
        value: hex("01 02"),
      }),
    });
    const bytes = hex(
      "08 03", //                field 1 num, varint 3
      "1a 08", //                field 3 created_at, LEN 8
      //                         Timestamp field 1 seconds, varint 1700000000 = 0x6553f100:
      //                         7-bit groups low→high 0x00 0x62 0x4f 0x2a 0x06, continuation bit on all but last
      "  08 80 e2 cf aa 06",
      "  10 05", //              Timestamp field 2 nanos, varint 5
      "22 2f", //                field 4 event, LEN 47 = 2 + 41 + 2 + 2
      "  0a 29", //              Any field 1 type_url, LEN 41
      `  ${ascii("type.googleapis.com/examples.OrderCreated")}`,
      "  12 02 01 02", //        Any field 2 value, LEN 2, 01 02
    );
    assertGolden(EventPageSchema, page, bytes);
  });

  test("EventPage { force true }", () => {
    const page = create(EventPageSchema, { sequence: { case: "force", value: true } });
    assertGolden(EventPageSchema, page, hex("10 01")); // field 2 force, varint 1
  });

  test("EventPage { num 0 } keeps the explicit zero", () => {
    const page = create(EventPageSchema, { sequence: { case: "num", value: 0 } });
    assertGolden(EventPageSchema, page, hex("08 00")); // field 1 num, varint 0
  });

  test("CommandBook { cover, two pages, saga_origin }", () => {
    const book = create(CommandBookSchema, {
      cover: create(CoverSchema, { root: create(UUIDSchema, { value: ROOT_A }), domain: "order" }),
      pages: [
        create(CommandPageSchema, {
          sequence: 0,
          command: create(AnySchema, { typeUrl: "type.googleapis.com/examples.CreateOrder" }),
        }),
        create(CommandPageSchema, {
          sequence: 7,
          command: create(AnySchema, {
            typeUrl: "type.examples/examples.CreateOrder",
            value: hex("0a 01 78"),
          }),
        }),
      ],
      sagaOrigin: create(SagaCommandOriginSchema, {
        sagaName: "saga-order-inventory",
        triggeringAggregate: create(CoverSchema, {
          root: create(UUIDSchema, { value: ROOT_B }),
          domain: "order",
        }),
        triggeringEventSequence: 4,
      }),
    });
    const bytes = hex(
      "0a 1b", //                    field 1 cover, LEN 27 = 20 + 7
      "  0a 12 0a 10", //            Cover.root LEN 18 → UUID.value LEN 16
      "  000102030405060708090a0b0c0d0e0f",
      "  12 05 6f 72 64 65 72", //   Cover.domain "order"
      "12 2c", //                    field 2 pages[0], LEN 44 (sequence 0 is the default: omitted)
      "  1a 2a", //                  CommandPage field 3 command, LEN 42
      "    0a 28", //                Any.type_url LEN 40 (Any.value empty: omitted)
      `    ${ascii("type.googleapis.com/examples.CreateOrder")}`,
      "12 2d", //                    field 2 pages[1], LEN 45
      "  08 07", //                  CommandPage field 1 sequence, varint 7
      "  1a 29", //                  CommandPage field 3 command, LEN 41
      "    0a 22", //                Any.type_url LEN 34
      `    ${ascii("type.examples/examples.CreateOrder")}`,
      "    12 03 0a 01 78", //       Any.value LEN 3
      "22 35", //                    field 4 saga_origin, LEN 53 = 22 + 29 + 2
      "  0a 14", //                  SagaCommandOrigin field 1 saga_name, LEN 20
      `  ${ascii("saga-order-inventory")}`,
      "  12 1b", //                  field 2 triggering_aggregate, LEN 27
      "    0a 12 0a 10 101112131415161718191a1b1c1d1e1f",
      "    12 05 6f 72 64 65 72",
      "  18 04", //                  field 3 triggering_event_sequence, varint 4
    );
    assertGolden(CommandBookSchema, book, bytes);
  });

  test("CommandBook with an all-default page still writes the page (empty LEN)", () => {
    const book = create(CommandBookSchema, { pages: [create(CommandPageSchema, { sequence: 0 })] });
    assertGolden(CommandBookSchema, book, hex("12 00")); // field 2 pages, LEN 0
  });

  test("Query { cover, range { lower 2, upper 0 explicit } }", () => {
    const query = create(QuerySchema, {
      cover: create(CoverSchema, { domain: "order" }),
      selection: { case: "range", value: create(SequenceRangeSchema, { lower: 2, upper: 0 }) },
    });
    const bytes = hex(
      "0a 07 12 05 6f 72 64 65 72", // field 1 cover LEN 7 → Cover.domain "order"
      "1a 04", //                      field 3 range, LEN 4
      "  08 02", //                    SequenceRange field 1 lower, varint 2
      "  10 00", //                    field 2 upper (optional, explicitly 0), varint 0
    );
    assertGolden(QuerySchema, query, bytes);
  });

  test("Query { range { lower 2 } } without upper omits field 2", () => {
    const query = create(QuerySchema, {
      selection: { case: "range", value: create(SequenceRangeSchema, { lower: 2 }) },
    });
    assertGolden(QuerySchema, query, hex("1a 02 08 02"));
  });

  test("Query { sequences { values [1, 2, 3] } } packs the values", () => {
    const query = create(QuerySchema, {
      selection: { case: "sequences", value: create(SequenceSetSchema, { values: [1, 2, 3] }) },
    });
    const bytes = hex(
      "22 05", //          field 4 sequences, LEN 5
      "  0a 03 01 02 03", // SequenceSet field 1 values, packed: LEN 3, varints 1 2 3
    );
    assertGolden(QuerySchema, query, bytes);
  });

  test("Query { cover { correlation_id }, temporal { as_of_sequence 5 } }", () => {
    const query = create(QuerySchema, {
      cover: create(CoverSchema, { correlationId: "c-1" }),
      selection: {
        case: "temporal",
        value: create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: 5 } }),
      },
    });
    const bytes = hex(
      "0a 05 1a 03 63 2d 31", // field 1 cover LEN 5 → Cover.correlation_id "c-1"
      "2a 02", //                field 5 temporal, LEN 2
      "  10 05", //              TemporalQuery field 2 as_of_sequence, varint 5
    );
    assertGolden(QuerySchema, query, bytes);
  });

  test("Query { temporal { as_of_sequence 0 } } keeps the explicit zero", () => {
    const query = create(QuerySchema, {
      selection: {
        case: "temporal",
        value: create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: 0 } }),
      },
    });
    assertGolden(QuerySchema, query, hex("2a 02 10 00"));
  });

  test("SyncCommandBook { command { cover { domain } }, sync_mode CASCADE }", () => {
    const sync = create(SyncCommandBookSchema, {
      command: create(CommandBookSchema, { cover: create(CoverSchema, { domain: "x" }) }),
      syncMode: SyncMode.CASCADE,
    });
    const bytes = hex(
      "0a 05", //          field 1 command, LEN 5
      "  0a 03 12 01 78", // CommandBook.cover LEN 3 → Cover.domain "x"
      "10 02", //          field 2 sync_mode, varint 2 (SYNC_MODE_CASCADE)
    );
    assertGolden(SyncCommandBookSchema, sync, bytes);
  });

  test("an empty message encodes to zero bytes", () => {
    assertGolden(CommandBookSchema, create(CommandBookSchema), new Uint8Array());
  });
});
