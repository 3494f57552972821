// HistoryFold: a book that starts with the very pages folded before folds only the pages after
// them; other page objects (even with equal bytes), another root or edition, a shorter book are
// folded from the start; results handed out are copies; the bound drops the least recently used.
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  type Cover,
  CoverSchema,
  type EventBook,
  EventBookSchema,
  EventPageSchema,
} from "@angzarr/proto";
import { clone, create, isMessage } from "@bufbuild/protobuf";
import { UInt32ValueSchema } from "@bufbuild/protobuf/wkt";
import { EventTypes } from "./components";
import { HistoryFold } from "./history-fold";

const ROOT_A = Uint8Array.from({ length: 16 }, (_, i) => i);
const ROOT_B = Uint8Array.from({ length: 16 }, (_, i) => 50 + i);

const cover = (root = ROOT_A, edition?: string): Cover =>
  create(CoverSchema, {
    domain: "d",
    root: { value: root },
    ...(edition ? { edition: { name: edition } } : {}),
  });

const pageOf = (sequence: number) =>
  create(EventPageSchema, {
    sequence: { case: "num", value: sequence },
    event: AnyPayload.pack(UInt32ValueSchema, create(UInt32ValueSchema, { value: sequence + 1 })),
  });

const book = (on: Cover, pages: ReturnType<typeof pageOf>[]): EventBook =>
  create(EventBookSchema, { cover: on, pages });

interface Sum {
  total: number;
  seen: number[];
}

const fold = (maxPages?: number) =>
  new HistoryFold<Sum>({
    types: new EventTypes([UInt32ValueSchema]),
    initial: () => ({ total: 0, seen: [] }),
    step: (sum, { event }) => {
      if (isMessage(event, UInt32ValueSchema)) {
        sum.total += event.value;
        sum.seen.push(event.value);
      }
    },
    copy: (sum) => ({ total: sum.total, seen: [...sum.seen] }),
    ...(maxPages === undefined ? {} : { maxPages }),
  });

const pages = Array.from({ length: 10 }, (_, i) => pageOf(i));
const sumTo = (n: number) => (n * (n + 1)) / 2;

describe("HistoryFold", () => {
  test("a longer book with the same page objects folds only the pages after them", () => {
    const sums = fold();
    expect(sums.read(book(cover(), pages.slice(0, 4))).total).toBe(sumTo(4));
    expect(sums.read(book(cover(), pages.slice(0, 7))).total).toBe(sumTo(7));
    expect(sums.read(book(cover(), pages.slice(0, 7))).total).toBe(sumTo(7));
    expect(sums.counts).toEqual({ folded: 7, reused: 11 });
  });

  test("equal pages that are other objects, and a shorter book, are folded from the start", () => {
    const sums = fold();
    sums.read(book(cover(), pages.slice(0, 5)));
    const copies = pages.slice(0, 6).map((p) => clone(EventPageSchema, p));
    expect(sums.read(book(cover(), copies)).total).toBe(sumTo(6));
    expect(sums.counts).toEqual({ folded: 11, reused: 0 });
    expect(sums.read(book(cover(), copies.slice(0, 3))).total).toBe(sumTo(3));
    expect(sums.counts.reused).toBe(0);
  });

  test("another root or edition never starts from this one's result", () => {
    const sums = fold();
    sums.read(book(cover(), pages.slice(0, 5)));
    expect(sums.read(book(cover(ROOT_B), pages.slice(0, 6))).total).toBe(sumTo(6));
    expect(sums.read(book(cover(ROOT_A, "e"), pages.slice(0, 6))).total).toBe(sumTo(6));
    expect(sums.counts.reused).toBe(0);
  });

  test("a result handed out is the caller's: changing it changes nothing kept", () => {
    const sums = fold();
    const first = sums.read(book(cover(), pages.slice(0, 3)));
    first.total = 1_000;
    first.seen.push(99);
    const next = sums.read(book(cover(), pages.slice(0, 4)));
    expect(next).toEqual({ total: sumTo(4), seen: [1, 2, 3, 4] });
    // Two reads of the same aggregate in one call: the first result does not move with the second.
    const a = sums.read(book(cover(), pages.slice(0, 5)));
    const b = sums.read(book(cover(), pages.slice(0, 6)));
    expect([a.total, b.total]).toEqual([sumTo(5), sumTo(6)]);
  });

  test("bounded in pages: the least recently used aggregates go first", () => {
    const sums = fold(8);
    sums.read(book(cover(), pages.slice(0, 3)));
    sums.read(book(cover(ROOT_B), pages.slice(0, 4)));
    sums.read(book(cover(), pages.slice(0, 4))); // 4 + 4 pages kept, A used last
    expect(sums.counts.reused).toBe(3);
    sums.read(book(cover(ROOT_A, "e"), pages.slice(0, 2))); // 10 > 8: B goes
    sums.read(book(cover(ROOT_B), pages.slice(0, 5)));
    expect(sums.counts.reused).toBe(3);
    // A history longer than the bound is folded, not kept.
    const small = fold(3);
    small.read(book(cover(), pages.slice(0, 5)));
    small.read(book(cover(), pages.slice(0, 6)));
    expect(small.counts.reused).toBe(0);
  });
});
