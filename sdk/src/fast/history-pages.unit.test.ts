// Kept history pages: a book whose page bytes start with the kept ones reuses those pages and
// reads only the rest; a page whose bytes changed is read anew; another root or edition never
// shares; a late, shorter history takes a prefix; the bound drops the least recently used; and
// whatever is reused, the book equals what protobuf-es reads from the same bytes.
import { describe, expect, test } from "bun:test";
import {
  type Cover,
  CoverSchema,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  ProcessManagerHandleRequestSchema,
} from "@angzarr/proto";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { seeded } from "../testing";
import { HistoryPages, isKeptPage } from "./history-pages";
import { decodeBookMessage, decodeEventBook } from "./page-codec";

const ROOT_A = Uint8Array.from({ length: 16 }, (_, i) => i);
const ROOT_B = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);

function cover(root = ROOT_A, edition?: string): Cover {
  return create(CoverSchema, {
    domain: "inventory",
    root: { value: root },
    correlationId: "c-1",
    ...(edition ? { edition: { name: edition } } : {}),
  });
}

function page(sequence: number, payload: number): EventPage {
  return create(EventPageSchema, {
    sequence: { case: "num", value: sequence },
    createdAt: create(TimestampSchema, { seconds: 1_796_622_709n + BigInt(sequence), nanos: 0 }),
    event: create(AnySchema, {
      typeUrl: "type.googleapis.com/examples.StockReceived",
      value: Uint8Array.from({ length: 12 }, (_, i) => (payload * 31 + i) % 256),
    }),
  });
}

const history = (count: number, payload = (i: number) => i): EventPage[] =>
  Array.from({ length: count }, (_, i) => page(i, payload(i)));

const bytesOf = (pages: EventPage[], on = cover()): Uint8Array =>
  toBinary(EventBookSchema, create(EventBookSchema, { cover: on, pages }));

function read(kept: HistoryPages, bytes: Uint8Array): EventBook {
  const book = decodeEventBook(bytes, kept);
  expect(book).toBeDefined();
  // Whatever came from the kept pages: the book protobuf-es reads.
  expect(equals(EventBookSchema, book as EventBook, fromBinary(EventBookSchema, bytes))).toBe(true);
  return book as EventBook;
}

describe("kept history pages", () => {
  test("a longer history reuses the kept pages and reads only the new ones", () => {
    const kept = new HistoryPages();
    const first = read(kept, bytesOf(history(5)));
    expect(kept.counts).toEqual({ reused: 0, read: 5 });
    const second = read(kept, bytesOf(history(7)));
    expect(kept.counts).toEqual({ reused: 5, read: 7 });
    for (let i = 0; i < 5; i++) expect(second.pages[i]).toBe(first.pages[i] as EventPage);
    expect(second.pages.every(isKeptPage)).toBe(true);
    // Handed-out lists are copies: the next read does not grow the one before.
    expect(first.pages).toHaveLength(5);
  });

  test("a page whose bytes changed is read anew (the history with it)", () => {
    const kept = new HistoryPages();
    const first = read(kept, bytesOf(history(6)));
    // Page 3 holds another payload of the same length.
    const changed = read(kept, bytesOf(history(6, (i) => (i === 3 ? 99 : i))));
    for (const [i, p] of changed.pages.entries()) expect(p).not.toBe(first.pages[i] as EventPage);
    expect(changed.pages[3]?.event?.value).toEqual(page(3, 99).event?.value as Uint8Array);
    // The history as it was before is then read anew too (the kept bytes are the changed ones).
    const again = read(kept, bytesOf(history(6)));
    expect(again.pages[3]?.event?.value).toEqual(page(3, 3).event?.value as Uint8Array);
    expect(again.pages[3]).not.toBe(changed.pages[3] as EventPage);
  });

  test("another root, or an edition of the same root, never shares pages", () => {
    const kept = new HistoryPages();
    const main = read(kept, bytesOf(history(4)));
    const other = read(kept, bytesOf(history(4), cover(ROOT_B)));
    const edition = read(kept, bytesOf(history(4), cover(ROOT_A, "what-if")));
    expect(kept.size).toBe(3);
    for (let i = 0; i < 4; i++) {
      expect(other.pages[i]).not.toBe(main.pages[i] as EventPage);
      expect(edition.pages[i]).not.toBe(main.pages[i] as EventPage);
    }
    // Each keeps its own: the main timeline's next read still reuses its pages.
    const next = read(kept, bytesOf(history(5)));
    expect(next.pages[0]).toBe(main.pages[0] as EventPage);
  });

  test("a shorter history that arrives late takes that many kept pages and keeps the longer", () => {
    const kept = new HistoryPages();
    const long = read(kept, bytesOf(history(8)));
    const late = read(kept, bytesOf(history(6)));
    expect(late.pages).toHaveLength(6);
    for (let i = 0; i < 6; i++) expect(late.pages[i]).toBe(long.pages[i] as EventPage);
    const longer = read(kept, bytesOf(history(9)));
    expect(longer.pages[7]).toBe(long.pages[7] as EventPage);
    expect(kept.counts.read).toBe(9);
  });

  test("a history cut short of the kept bytes inside a page is read anew", () => {
    const kept = new HistoryPages();
    read(kept, bytesOf(history(4)));
    // The same pages, the last one with a shorter payload: no kept page boundary matches.
    const shorter = history(4);
    (shorter[3] as EventPage).event = create(AnySchema, { typeUrl: "t/x", value: new Uint8Array([1]) });
    const book = read(kept, bytesOf(shorter));
    expect(book.pages[3]?.event?.typeUrl).toBe("t/x");
  });

  test("bounded: the least recently used aggregates go first", () => {
    const kept = new HistoryPages(10);
    const a = read(kept, bytesOf(history(4)));
    read(kept, bytesOf(history(4), cover(ROOT_B)));
    read(kept, bytesOf(history(5))); // A used last, 5 + 4 pages kept
    expect(kept.size).toBe(2);
    read(kept, bytesOf(history(4), cover(ROOT_A, "e"))); // 13 > 10: B goes
    expect(kept.size).toBe(2);
    const again = read(kept, bytesOf(history(6)));
    expect(again.pages[0]).toBe(a.pages[0] as EventPage);
    // A history larger than the bound is read but not kept.
    const big = new HistoryPages(3);
    read(big, bytesOf(history(5)));
    expect(big.size).toBe(0);
  });

  test("seeded growing histories in request messages: what protobuf-es reads, every time", () => {
    const random = seeded(17);
    const kept = new HistoryPages(2_000);
    const lengths = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const which = Math.floor(random() * 3);
      const root = Uint8Array.from({ length: 16 }, (_, j) => which * 16 + j);
      // Mostly one page longer than last time; sometimes shorter or with a page changed.
      const before = lengths.get(which) ?? 0;
      const r = random();
      const length = r < 0.7 ? before + 1 : r < 0.85 ? Math.max(1, before - 2) : before + 3;
      lengths.set(which, length);
      const pages = history(length, (n) => (r > 0.95 && n === length - 1 ? 200 : n));
      const trigger = create(EventBookSchema, { cover: cover(root), pages });
      const request = create(ProcessManagerHandleRequestSchema, {
        trigger,
        processState: create(EventBookSchema, { cover: cover(ROOT_B), pages: history(2) }),
        destinations: [trigger, create(EventBookSchema, { cover: cover(root, "x"), pages })],
      });
      const bytes = toBinary(ProcessManagerHandleRequestSchema, request);
      const decoded = decodeBookMessage(ProcessManagerHandleRequestSchema, bytes, {
        pages: kept,
        fields: [1, 3],
      });
      expect(decoded).toBeDefined();
      expect(
        equals(
          ProcessManagerHandleRequestSchema,
          decoded as typeof request,
          fromBinary(ProcessManagerHandleRequestSchema, bytes),
        ),
      ).toBe(true);
    }
    expect(kept.counts.reused).toBeGreaterThan(kept.counts.read);
  });
});
