// The page reader against protobuf-es: the same messages as `fromBinary` for the bytes of seeded
// books and upcast messages (every shape a page can take: num, force, no sequence, with and
// without created_at, negative and large times, empty type URLs and payloads, a cover, a
// snapshot, snapshot_state), and a decline (undefined) for what it does not read itself: unknown
// fields, repeated singular messages, non-ASCII text; seeded corruptions read alike or declined.
import { describe, expect, test } from "bun:test";
import {
  CoverSchema,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  ProcessManagerHandleRequestSchema,
  ProcessManagerPrepareRequestSchema,
  SagaExecuteRequestSchema,
  SnapshotSchema,
  UpcastRequestSchema,
  UpcastResponseSchema,
} from "@angzarr/proto";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { seeded } from "../testing";
import { decodeBookMessage, decodeEventBook, decodeUpcastRequest, decodeUpcastResponse } from "./page-codec";

const TYPES = ["type.googleapis.com/examples.StockReceived", "type.test/t.E", "", "x/ü.Unicode"];

function randomPage(random: () => number, ascii: boolean): EventPage {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)] as T;
  const r = random();
  const sequence: EventPage["sequence"] =
    r < 0.7
      ? {
          case: "num",
          value: pick([0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 - 1, Math.floor(random() * 1e6)]),
        }
      : r < 0.9
        ? { case: "force", value: random() < 0.5 }
        : { case: undefined };
  const page = create(EventPageSchema, { sequence });
  if (random() < 0.85) {
    page.createdAt = create(TimestampSchema, {
      seconds: pick([0n, 1n, 1_796_622_709n, -62_135_596_800n, 2n ** 40n, -1n]),
      nanos: pick([0, 1, 999_999_999, 123_456_789, -1]),
    });
  }
  if (random() < 0.9) {
    const types = ascii ? TYPES.slice(0, 3) : TYPES;
    const length = pick([0, 1, 5, 64, 65, 300]);
    page.event = create(AnySchema, {
      typeUrl: pick(types),
      value: Uint8Array.from({ length }, () => Math.floor(random() * 256)),
    });
  }
  return page;
}

function randomBook(random: () => number, pages: number, ascii = true): EventBook {
  const book = create(EventBookSchema, {
    pages: Array.from({ length: pages }, () => randomPage(random, ascii)),
  });
  if (random() < 0.8) {
    book.cover = create(CoverSchema, {
      domain: "inventory",
      root: { value: Uint8Array.from({ length: 16 }, (_, i) => i) },
      correlationId: random() < 0.5 ? "" : "c-1",
    });
  }
  if (random() < 0.2) {
    book.snapshot = create(SnapshotSchema, {
      sequence: 7,
      state: create(AnySchema, { typeUrl: "t/S", value: new Uint8Array([1]) }),
    });
  }
  if (random() < 0.2)
    book.snapshotState = create(AnySchema, { typeUrl: "t/S", value: new Uint8Array([2, 3]) });
  return book;
}

const same = (a: EventPage[], b: EventPage[]) =>
  a.length === b.length && a.every((p, i) => equals(EventPageSchema, p, b[i] as EventPage));

describe("reading", () => {
  test("seeded responses and requests: the messages protobuf-es reads", () => {
    const random = seeded(9);
    for (let i = 0; i < 400; i++) {
      const pages = randomBook(random, Math.floor(random() * 40)).pages;
      const response = toBinary(UpcastResponseSchema, create(UpcastResponseSchema, { events: pages }));
      const read = decodeUpcastResponse(response);
      expect(read).toBeDefined();
      expect(same(read as EventPage[], fromBinary(UpcastResponseSchema, response).events)).toBe(true);
      const request = toBinary(
        UpcastRequestSchema,
        create(UpcastRequestSchema, { domain: "inventory", events: pages }),
      );
      const asked = decodeUpcastRequest(request);
      expect(asked?.domain).toBe("inventory");
      expect(same(asked?.events ?? [], pages)).toBe(true);
    }
  });

  test("seeded books: the book protobuf-es reads", () => {
    const random = seeded(12);
    for (let i = 0; i < 400; i++) {
      const bytes = toBinary(EventBookSchema, randomBook(random, Math.floor(random() * 40)));
      const read = decodeEventBook(bytes);
      expect(read).toBeDefined();
      expect(equals(EventBookSchema, read as EventBook, fromBinary(EventBookSchema, bytes))).toBe(true);
    }
    // A cover twice (protobuf-es merges them), an unknown field: declined.
    const cover = toBinary(CoverSchema, create(CoverSchema, { domain: "d" }));
    const twice = new Uint8Array([0x0a, cover.length, ...cover, 0x0a, cover.length, ...cover]);
    expect(decodeEventBook(twice)).toBeUndefined();
    expect(decodeEventBook(new Uint8Array([0x20, 0x01]))).toBeUndefined();
  });

  test("seeded saga and process-manager requests: the messages protobuf-es reads", () => {
    const random = seeded(13);
    const book = () => randomBook(random, Math.floor(random() * 20));
    for (let i = 0; i < 200; i++) {
      const destinations = Array.from({ length: Math.floor(random() * 4) }, book);
      const saga = toBinary(
        SagaExecuteRequestSchema,
        create(SagaExecuteRequestSchema, { source: book(), destinations }),
      );
      const read = decodeBookMessage(SagaExecuteRequestSchema, saga);
      expect(read && equals(SagaExecuteRequestSchema, read, fromBinary(SagaExecuteRequestSchema, saga))).toBe(
        true,
      );
      const pm = toBinary(
        ProcessManagerHandleRequestSchema,
        create(ProcessManagerHandleRequestSchema, {
          trigger: book(),
          ...(random() < 0.5 ? { processState: book() } : {}),
          destinations,
        }),
      );
      const handled = decodeBookMessage(ProcessManagerHandleRequestSchema, pm);
      expect(
        handled &&
          equals(
            ProcessManagerHandleRequestSchema,
            handled,
            fromBinary(ProcessManagerHandleRequestSchema, pm),
          ),
      ).toBe(true);
    }
    // A trigger twice (protobuf-es merges), a field that is not a book: declined.
    const one = toBinary(EventBookSchema, book());
    const twice = new Uint8Array([
      ...toBinary(
        ProcessManagerPrepareRequestSchema,
        create(ProcessManagerPrepareRequestSchema, { trigger: fromBinary(EventBookSchema, one) }),
      ),
      0x0a,
      0x00,
    ]);
    expect(decodeBookMessage(ProcessManagerPrepareRequestSchema, twice)).toBeUndefined();
    expect(
      decodeBookMessage(ProcessManagerPrepareRequestSchema, new Uint8Array([0x18, 0x01])),
    ).toBeUndefined();
  });

  test("declines unknown fields, repeated singular messages and non-ASCII text", () => {
    const page = create(EventPageSchema, {
      sequence: { case: "num", value: 3 },
      createdAt: create(TimestampSchema, { seconds: 5n }),
      event: create(AnySchema, { typeUrl: "t/E", value: new Uint8Array([1]) }),
    });
    const body = toBinary(EventPageSchema, page);
    const wrap = (inner: number[]) => new Uint8Array([0x0a, inner.length, ...inner]);
    expect(decodeUpcastResponse(wrap([...body]))).toBeDefined();
    // An unknown field in the page, then in the response.
    expect(decodeUpcastResponse(wrap([...body, 0x28, 0x01]))).toBeUndefined();
    expect(decodeUpcastResponse(new Uint8Array([...wrap([...body]), 0x10, 0x01]))).toBeUndefined();
    // created_at twice (protobuf-es merges the two).
    expect(decodeUpcastResponse(wrap([...body, 0x1a, 0x02, 0x10, 0x05]))).toBeUndefined();
    // A non-ASCII type URL.
    const unicode = create(EventPageSchema, { event: create(AnySchema, { typeUrl: "t/ü" }) });
    expect(decodeUpcastResponse(wrap([...toBinary(EventPageSchema, unicode)]))).toBeUndefined();
  });

  test("seeded corruptions: declined, or read as protobuf-es reads them", () => {
    const random = seeded(10);
    let agreed = 0;
    for (let i = 0; i < 1_500; i++) {
      const pages = randomBook(random, 1 + Math.floor(random() * 6)).pages;
      const bytes = toBinary(UpcastResponseSchema, create(UpcastResponseSchema, { events: pages }));
      const at = Math.floor(random() * bytes.length);
      const corrupt = bytes.slice();
      if (random() < 0.5) corrupt[at] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? corrupt.subarray(0, at) : corrupt;
      let general: EventPage[] | undefined;
      try {
        general = fromBinary(UpcastResponseSchema, cut).events;
      } catch {
        general = undefined;
      }
      const asBook = decodeEventBook(cut);
      if (asBook !== undefined) {
        expect(equals(EventBookSchema, asBook, fromBinary(EventBookSchema, cut))).toBe(true);
      }
      const read = decodeUpcastResponse(cut);
      if (read === undefined) continue;
      // What the walk reads, protobuf-es reads the same way.
      expect(general).toBeDefined();
      expect(same(read, general as EventPage[])).toBe(true);
      agreed++;
    }
    expect(agreed).toBeGreaterThan(100);
  });
});
