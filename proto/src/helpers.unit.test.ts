// Tests for the proto helpers: identity derivation (example-domains.md §1.2), UUID text/bytes,
// next-sequence arithmetic (wire-contract §3.3), editions (§3.2), covers, type URLs (§3.4),
// Any packing and correlation-id derivation (§3.5).
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  CommandBookSchema,
  CommandBooks,
  CommandPageSchema,
  CoverSchema,
  Covers,
  EditionSchema,
  Editions,
  EventBookSchema,
  EventBooks,
  EventPages,
  Identity,
  SnapshotSchema,
  TypeUrl,
  UUIDSchema,
  Uuid,
} from "@angzarr/proto";
import { CreateOrderSchema, OrderCreatedSchema } from "@angzarr/proto/examples.ts";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";

const V5_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const hex = (s: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(Buffer.from(s.replaceAll(" ", ""), "hex"));
const EVENT = create(AnySchema, { typeUrl: "type.googleapis.com/examples.OrderCreated" });

describe("Identity: the example-domains §1.2 worked examples", () => {
  const orderRoot = Identity.orderRoot("ORD-001");
  const rows: [string, Uint8Array, string][] = [
    ["order ORD-001", orderRoot, "eb8052f7-3398-5b3a-99f8-7d84e926a184"],
    ["inventory SKU-001", Identity.inventoryRoot("SKU-001"), "934c8417-4c8b-581b-971d-000ebe80f1e3"],
    ["inventory E2E-WIDGET", Identity.inventoryRoot("E2E-WIDGET"), "51092460-736b-50dd-b2d0-ed2b49a7def3"],
    ["PM correlation corr-1", Identity.processManagerRoot("corr-1"), "1531b015-83b7-568f-82db-c85d0c57386b"],
    [
      "customer alice@example.com",
      Identity.customerRoot("alice@example.com"),
      "b1019e12-b184-5695-b4bd-4fdab04e7322",
    ],
    ["cart CUST-001", Identity.cartRoot("CUST-001"), "e424da5c-c103-587d-a8c3-adf0ca52f294"],
    ["product SKU-001", Identity.productRoot("SKU-001"), "25541820-eb7c-559d-9d00-834865d6ba57"],
    [
      "wrong inventory scheme (OID + angzarrinventorySKU-001)",
      Uuid.v5Bytes(Uuid.NAMESPACE_OID, "angzarrinventorySKU-001"),
      "1f04d95d-bf3c-5dba-a089-00c24affe699",
    ],
  ];
  for (const [name, bytes, expected] of rows) {
    test(name, () => {
      expect(bytes.length).toBe(16);
      expect(Uuid.toText(bytes)).toBe(expected);
    });
  }

  test("the wrong inventory scheme differs from the real inventory root", () => {
    expect(Uuid.v5(Uuid.NAMESPACE_OID, "angzarrinventorySKU-001")).not.toBe(
      Uuid.toText(Identity.inventoryRoot("SKU-001")),
    );
  });

  test("fulfillment reuses the order root's 16 bytes (as a copy)", () => {
    const fulfillment = Identity.fulfillmentRoot(orderRoot);
    expect(fulfillment).toEqual(orderRoot);
    expect(fulfillment).not.toBe(orderRoot);
  });

  test("v5 matches the RFC/Python reference vector uuid5(DNS, 'python.org')", () => {
    expect(Uuid.v5(Uuid.NAMESPACE_DNS, "python.org")).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d");
  });
});

describe("Uuid text and bytes", () => {
  const text = "eb8052f7-3398-5b3a-99f8-7d84e926a184";
  const bytes = hex("eb8052f733985b3a99f87d84e926a184");

  test("round trip text → bytes → text", () => {
    expect(Uuid.fromText(text)).toEqual(bytes);
    expect(Uuid.toText(Uuid.fromText(text))).toBe(text);
    expect(Uuid.toText(bytes)).toBe(text);
  });

  test("bare hex and upper case parse; output is lowercase hyphenated", () => {
    expect(Uuid.fromText("EB8052F733985B3A99F87D84E926A184")).toEqual(bytes);
    expect(Uuid.toText(Uuid.fromText(text.toUpperCase()))).toBe(text);
  });

  test("toText works on a subarray view", () => {
    const padded = new Uint8Array(20);
    padded.set(bytes, 3);
    expect(Uuid.toText(padded.subarray(3, 19))).toBe(text);
  });

  test("15 bytes are rejected", () => {
    expect(() => Uuid.toText(new Uint8Array(15))).toThrow(Uuid.InvalidUuidError);
    expect(Uuid.isValid(new Uint8Array(15))).toBe(false);
    expect(Uuid.isValid(undefined)).toBe(false);
    expect(Uuid.isValid(bytes)).toBe(true);
  });

  test("bad hex and wrong lengths are rejected", () => {
    expect(() => Uuid.fromText("eb8052f7-3398-5b3a-99f8-7d84e926a18g")).toThrow(Uuid.InvalidUuidError);
    expect(() => Uuid.fromText("eb8052f7-3398-5b3a-99f8-7d84e926a1")).toThrow(Uuid.InvalidUuidError);
    expect(() => Uuid.fromText("")).toThrow(Uuid.InvalidUuidError);
    expect(() => Uuid.fromText(`${text}00`)).toThrow(Uuid.InvalidUuidError);
  });

  test("random bytes are a 16-byte v4", () => {
    const r = Uuid.randomBytes();
    expect(r.length).toBe(16);
    expect((r[6] ?? 0) >> 4).toBe(4);
  });

  test("message wraps the bytes", () => {
    expect(Uuid.message(bytes).value).toEqual(bytes);
  });
});

describe("EventBooks.nextSequence (§3.3)", () => {
  const snapshot = (sequence: number) => create(SnapshotSchema, { sequence });

  test("no book or an empty book → 0", () => {
    expect(EventBooks.nextSequence(undefined)).toBe(0);
    expect(EventBooks.nextSequence(create(EventBookSchema))).toBe(0);
  });

  test("snapshot only → snapshot + 1 (also for snapshot 0)", () => {
    expect(EventBooks.nextSequence(create(EventBookSchema, { snapshot: snapshot(4) }))).toBe(5);
    expect(EventBooks.nextSequence(create(EventBookSchema, { snapshot: snapshot(0) }))).toBe(1);
  });

  test("numbered pages → last + 1", () => {
    const book = EventBooks.make(
      undefined,
      [0, 1, 2].map((n) => EventPages.numbered(n, EVENT)),
    );
    expect(EventBooks.nextSequence(book)).toBe(3);
    expect(EventBooks.lastSequence(book)).toBe(2);
  });

  test("snapshot plus pages → last page + 1", () => {
    const book = create(EventBookSchema, {
      snapshot: snapshot(4),
      pages: [EventPages.numbered(5, EVENT), EventPages.numbered(6, EVENT)],
    });
    expect(EventBooks.nextSequence(book)).toBe(7);
  });

  test("force pages after numbered ones each take the next position", () => {
    const book = EventBooks.make(undefined, [
      EventPages.numbered(3, EVENT),
      EventPages.forced(EVENT),
      EventPages.forced(EVENT),
    ]);
    expect(EventBooks.nextSequence(book)).toBe(6);
    expect(EventBooks.lastSequence(book)).toBeUndefined();
  });

  test("force-only pages count from the snapshot, or from 0 without one", () => {
    const forced = [EventPages.forced(EVENT), EventPages.forced(EVENT)];
    expect(EventBooks.nextSequence(create(EventBookSchema, { snapshot: snapshot(4), pages: forced }))).toBe(
      7,
    );
    expect(EventBooks.nextSequence(EventBooks.make(undefined, forced))).toBe(2);
  });
});

describe("EventPages", () => {
  test("numbered 0 keeps its case; forced and unset are forced", () => {
    const zero = EventPages.numbered(0, EVENT);
    expect(EventPages.sequence(zero)).toBe(0);
    expect(EventPages.isForced(zero)).toBe(false);
    expect(EventPages.isForced(EventPages.forced(EVENT))).toBe(true);
    expect(EventPages.sequence(EventPages.forced(EVENT))).toBeUndefined();
    expect(EventPages.isForced(create(EventBookSchema).pages[0] ?? EventPages.forced(EVENT))).toBe(true);
  });
});

describe("Editions (§3.2)", () => {
  test("undefined, '' and 'angzarr' normalise to the main timeline ''", () => {
    expect(Editions.normalize(undefined)).toBe("");
    expect(Editions.normalize("")).toBe("");
    expect(Editions.normalize("angzarr")).toBe("");
    for (const name of [undefined, "", "angzarr"]) expect(Editions.isMain(name)).toBe(true);
  });

  test("other names stay as they are", () => {
    expect(Editions.normalize("v2")).toBe("v2");
    expect(Editions.isMain("v2")).toBe(false);
  });

  test("nameOf and divergenceFor", () => {
    expect(Editions.nameOf(undefined)).toBe("");
    expect(Editions.nameOf(create(EditionSchema, { name: "angzarr" }))).toBe("");
    const edition = create(EditionSchema, { name: "v2", divergences: [{ domain: "order", sequence: 0 }] });
    expect(Editions.divergenceFor(edition, "order")).toBe(0);
    expect(Editions.divergenceFor(edition, "cart")).toBeUndefined();
    expect(Editions.divergenceFor(undefined, "order")).toBeUndefined();
  });
});

describe("Covers", () => {
  const text = "eb8052f7-3398-5b3a-99f8-7d84e926a184";

  test("make accepts text or bytes and leaves the main edition unset", () => {
    const fromText = Covers.make({ domain: "order", root: text, correlationId: "c-1" });
    const fromBytes = Covers.make({ domain: "order", root: Uuid.fromText(text), correlationId: "c-1" });
    expect(fromText.root?.value).toEqual(Uuid.fromText(text));
    expect(fromText).toEqual(fromBytes);
    expect(fromText.correlationId).toBe("c-1");
    expect(fromText.edition).toBeUndefined();
    expect(Covers.make({ domain: "order", root: text, edition: "angzarr" }).edition).toBeUndefined();
    expect(Covers.make({ domain: "order", root: text, edition: "v2" }).edition?.name).toBe("v2");
  });

  test("edition normalises every main spelling", () => {
    const base = Covers.make({ domain: "order", root: text });
    expect(Covers.edition(base)).toBe("");
    expect(Covers.edition(undefined)).toBe("");
    expect(Covers.edition(create(CoverSchema, { edition: { name: "angzarr" } }))).toBe("");
    expect(Covers.edition(create(CoverSchema, { edition: { name: "" } }))).toBe("");
    expect(Covers.edition(create(CoverSchema, { edition: { name: "v2" } }))).toBe("v2");
  });

  test("rootString renders lowercase text and rejects missing or short roots", () => {
    expect(Covers.rootString(Covers.make({ domain: "order", root: text.toUpperCase() }))).toBe(text);
    expect(() => Covers.rootString(create(CoverSchema, { domain: "order" }))).toThrow(Uuid.InvalidUuidError);
    expect(() => Covers.rootString(undefined)).toThrow(Uuid.InvalidUuidError);
    const short = create(CoverSchema, { root: create(UUIDSchema, { value: new Uint8Array(15) }) });
    expect(() => Covers.rootString(short)).toThrow(Uuid.InvalidUuidError);
    expect(Covers.hasValidRoot(short)).toBe(false);
  });

  test("key identifies (domain, edition, root) and ignores the main spelling and correlation", () => {
    const a = Covers.make({ domain: "order", root: text, correlationId: "c-1" });
    const b = create(CoverSchema, {
      ...a,
      correlationId: "c-2",
      edition: create(EditionSchema, { name: "angzarr" }),
    });
    expect(Covers.key(a)).toBe(Covers.key(b));
    expect(Covers.sameAggregate(a, b)).toBe(true);
    const v2 = Covers.make({ domain: "order", root: text, edition: "v2" });
    const cart = Covers.make({ domain: "cart", root: text });
    const other = Covers.make({ domain: "order", root: Identity.orderRoot("ORD-002") });
    const keys = new Set([a, v2, cart, other].map(Covers.key));
    expect(keys.size).toBe(4);
    expect(Covers.sameAggregate(a, v2)).toBe(false);
  });

  test("withCorrelation copies", () => {
    const a = Covers.make({ domain: "order", root: text, correlationId: "c-1" });
    const b = Covers.withCorrelation(a, "c-9");
    expect(b.correlationId).toBe("c-9");
    expect(a.correlationId).toBe("c-1");
    expect(Covers.sameAggregate(a, b)).toBe(true);
  });
});

describe("TypeUrl (§3.4)", () => {
  const cases: [string, string][] = [
    ["type.googleapis.com/examples.OrderCreated", "examples.OrderCreated"],
    ["type.examples/examples.OrderCreated", "examples.OrderCreated"],
    ["type.example/examples.OrderCreated", "examples.OrderCreated"],
    ["type.test/examples.OrderCreated", "examples.OrderCreated"],
    ["type.angzarr/angzarr.Projection", "angzarr.Projection"],
    ["angzarr.Projection", "angzarr.Projection"],
    ["a/b/c.D", "c.D"],
  ];
  for (const [url, name] of cases) {
    test(`fullName(${JSON.stringify(url)})`, () => expect(TypeUrl.fullName(url)).toBe(name));
  }

  test("forName uses the googleapis prefix", () => {
    expect(TypeUrl.forName("angzarr.Projection")).toBe("type.googleapis.com/angzarr.Projection");
  });

  test("matchesEventType: full names, short names, and no partial-word matches", () => {
    const full = "examples.OrderCreated";
    expect(TypeUrl.matchesEventType("examples.OrderCreated", full)).toBe(true);
    expect(TypeUrl.matchesEventType("OrderCreated", full)).toBe(true);
    expect(TypeUrl.matchesEventType("rderCreated", full)).toBe(false);
    expect(TypeUrl.matchesEventType("Created", full)).toBe(false);
    expect(TypeUrl.matchesEventType("OrderCreated", "examples.OrderCreatedV2")).toBe(false);
    expect(TypeUrl.matchesEventType("other.OrderCreated", full)).toBe(false);
    expect(TypeUrl.matchesEventType("OrderCreated", "OrderCreated")).toBe(true);
    expect(TypeUrl.matchesEventType(".OrderCreated", full)).toBe(false);
  });
});

describe("AnyPayload", () => {
  const event = create(OrderCreatedSchema, { customerId: "CUST-001", subtotalCents: 1250 });

  test("pack uses type.googleapis.com/ and the message's full name", () => {
    const any = AnyPayload.pack(OrderCreatedSchema, event);
    expect(any.typeUrl).toBe("type.googleapis.com/examples.OrderCreated");
    expect(fromBinary(OrderCreatedSchema, any.value)).toEqual(event);
    expect(AnyPayload.nameOf(any)).toBe("examples.OrderCreated");
    expect(AnyPayload.nameOf(undefined)).toBe("");
  });

  test("is/unpack accept a foreign prefix", () => {
    const any = create(AnySchema, {
      typeUrl: "type.examples/examples.OrderCreated",
      value: toBinary(OrderCreatedSchema, event),
    });
    expect(AnyPayload.is(any, OrderCreatedSchema)).toBe(true);
    expect(AnyPayload.is(any, CreateOrderSchema)).toBe(false);
    expect(AnyPayload.is(undefined, OrderCreatedSchema)).toBe(false);
    expect(AnyPayload.unpack(any, OrderCreatedSchema)).toEqual(event);
  });

  test("unpack of garbage bytes throws 'failed to decode …'", () => {
    // Field 1 LEN claiming 5 bytes with only 1 present.
    const any = create(AnySchema, {
      typeUrl: "type.googleapis.com/examples.OrderCreated",
      value: hex("0a 05 01"),
    });
    expect(() => AnyPayload.unpack(any, OrderCreatedSchema)).toThrow(AnyPayload.UnpackError);
    expect(() => AnyPayload.unpack(any, OrderCreatedSchema)).toThrow(/^failed to decode/);
  });

  test("unpack of the wrong type or no payload throws 'failed to decode …'", () => {
    const any = AnyPayload.pack(OrderCreatedSchema, event);
    expect(() => AnyPayload.unpack(any, CreateOrderSchema)).toThrow(/^failed to decode examples.CreateOrder/);
    expect(() => AnyPayload.unpack(undefined, CreateOrderSchema)).toThrow(/^failed to decode/);
  });
});

describe("CommandBooks (§3.5)", () => {
  const cover = Covers.make({ domain: "order", root: Identity.orderRoot("ORD-001") });
  const command = AnyPayload.pack(CreateOrderSchema, create(CreateOrderSchema, { customerId: "CUST-001" }));

  test("the correlation namespace is UUIDv5(DNS, 'angzarr.dev')", () => {
    // Value computed independently with Python's uuid.uuid5.
    expect(Uuid.toText(CommandBooks.CORRELATION_NAMESPACE)).toBe("404f3bda-578a-5c4d-a7f4-2751b843698a");
  });

  test("deriveCorrelationId is a deterministic v5 text", () => {
    const a = CommandBooks.deriveCorrelationId(CommandBooks.make(cover, command));
    const b = CommandBooks.deriveCorrelationId(CommandBooks.make(cover, command));
    expect(a).toBe(b);
    expect(a).toMatch(V5_TEXT);
  });

  test("different books give different ids", () => {
    const a = CommandBooks.deriveCorrelationId(CommandBooks.make(cover, command));
    const b = CommandBooks.deriveCorrelationId(CommandBooks.make(cover, command, 1));
    const otherCover = Covers.make({ domain: "order", root: Identity.orderRoot("ORD-002") });
    const c = CommandBooks.deriveCorrelationId(CommandBooks.make(otherCover, command));
    expect(new Set([a, b, c]).size).toBe(3);
  });

  test("hashes the canonical bytes of the book (fixed vector)", () => {
    // CommandBook { cover { domain "order" }, pages [ {} ] } = 0a 07 12 05 "order" 12 00;
    // expected id computed independently (Python hashlib SHA-1 over namespace + those bytes).
    const book = create(CommandBookSchema, {
      cover: create(CoverSchema, { domain: "order" }),
      pages: [create(CommandPageSchema)],
    });
    expect(toBinary(CommandBookSchema, book)).toEqual(hex("0a 07 12 05 6f 72 64 65 72 12 00"));
    expect(CommandBooks.deriveCorrelationId(book)).toBe("8e032da1-f1c6-5b52-b1e1-586504efb34e");
  });

  test("unknown fields kept by the decoder do not change the id", () => {
    // Same book plus unknown field 99 (varint 1): the reference drops unknown fields on decode.
    const decoded = fromBinary(CommandBookSchema, hex("0a 07 12 05 6f 72 64 65 72 12 00 98 06 01"));
    expect(CommandBooks.deriveCorrelationId(decoded)).toBe("8e032da1-f1c6-5b52-b1e1-586504efb34e");
  });

  test("make builds a one-page book", () => {
    const book = CommandBooks.make(cover, command, 3);
    expect(book.cover).toEqual(cover);
    expect(book.pages.length).toBe(1);
    expect(book.pages[0]?.sequence).toBe(3);
    expect(book.pages[0]?.command).toEqual(command);
  });
});
