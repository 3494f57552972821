import { describe, expect, test } from "bun:test";
import {
  CommandResponseSchema,
  Covers,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  ProcessManagerHandleRequestSchema,
  ProcessManagerPrepareRequestSchema,
  SagaExecuteRequestSchema,
  SagaPrepareRequestSchema,
  SnapshotSchema,
} from "@angzarr/proto";
import { seeded } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  bookBytes,
  bookRequestBytes,
  commandResponseBytes,
  encodedBook,
  HistoryBytes,
  pageBytes,
} from "./book-bytes";

/** Books of every shape a program may be handed: optional cover, snapshot, state, pages of both kinds. */
function randomBook(rand: () => number): EventBook {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const any = () => create(AnySchema, { typeUrl: `type.googleapis.com/t.T${int(5)}`, value: bytes(int(40)) });
  const page = (): EventPage =>
    create(EventPageSchema, {
      sequence: rand() < 0.8 ? { case: "num", value: int(100_000) } : { case: "force", value: true },
      ...(rand() < 0.5
        ? { createdAt: create(TimestampSchema, { seconds: BigInt(int(1e9)), nanos: int(1e9) }) }
        : {}),
      ...(rand() < 0.9 ? { event: any() } : {}),
    });
  return create(EventBookSchema, {
    ...(rand() < 0.9
      ? {
          cover: Covers.make({
            domain: `d${int(3)}`,
            root: bytes(16),
            correlationId: rand() < 0.5 ? `c${int(9)}` : "",
            ...(rand() < 0.3 ? { edition: `e${int(3)}` } : {}),
          }),
        }
      : {}),
    ...(rand() < 0.3 ? { snapshot: create(SnapshotSchema, { sequence: int(50), state: any() }) } : {}),
    ...(rand() < 0.2 ? { snapshotState: any() } : {}),
    pages: Array.from({ length: int(6) }, page),
  });
}

describe("book-bytes: what protobuf-es writes, byte for byte", () => {
  test("EventBooks, seeded", () => {
    const rand = seeded(17);
    for (let i = 0; i < 300; i++) {
      const book = randomBook(rand);
      expect(bookBytes(book)).toEqual(toBinary(EventBookSchema, book));
      // Encoded again from the pages' remembered bytes: the same.
      expect(bookBytes(book)).toEqual(toBinary(EventBookSchema, book));
    }
  });

  test("saga and process-manager requests, seeded, books shared between requests", () => {
    const rand = seeded(91);
    for (let i = 0; i < 200; i++) {
      const books = Array.from({ length: 4 }, () => randomBook(rand));
      const [a, b, c, d] = books as [EventBook, EventBook, EventBook, EventBook];
      const destinations = books.slice(0, Math.floor(rand() * 4));
      const sagaPrepare = create(SagaPrepareRequestSchema, rand() < 0.9 ? { source: a } : {});
      expect(bookRequestBytes(SagaPrepareRequestSchema, sagaPrepare, [[1, sagaPrepare.source]])).toEqual(
        toBinary(SagaPrepareRequestSchema, sagaPrepare),
      );
      const execute = create(SagaExecuteRequestSchema, { source: b, destinations });
      expect(
        bookRequestBytes(SagaExecuteRequestSchema, execute, [
          [1, execute.source],
          [2, execute.destinations],
        ]),
      ).toEqual(toBinary(SagaExecuteRequestSchema, execute));
      const pmPrepare = create(ProcessManagerPrepareRequestSchema, {
        trigger: c,
        ...(rand() < 0.8 ? { processState: d } : {}),
      });
      expect(
        bookRequestBytes(ProcessManagerPrepareRequestSchema, pmPrepare, [
          [1, pmPrepare.trigger],
          [2, pmPrepare.processState],
        ]),
      ).toEqual(toBinary(ProcessManagerPrepareRequestSchema, pmPrepare));
      const handle = create(ProcessManagerHandleRequestSchema, { trigger: c, processState: d, destinations });
      expect(
        bookRequestBytes(ProcessManagerHandleRequestSchema, handle, [
          [1, handle.trigger],
          [2, handle.processState],
          [3, handle.destinations],
        ]),
      ).toEqual(toBinary(ProcessManagerHandleRequestSchema, handle));
    }
  });

  test("unknown fields (a newer peer's) are kept, on the book and on the request", () => {
    const rand = seeded(5);
    const book = randomBook(rand);
    book.$unknown = [{ no: 9, wireType: 0, data: Uint8Array.of(8) }];
    expect(bookBytes(book)).toEqual(toBinary(EventBookSchema, book));
    const request = create(SagaPrepareRequestSchema, { source: book });
    request.$unknown = [{ no: 7, wireType: 0, data: Uint8Array.of(1) }];
    expect(bookRequestBytes(SagaPrepareRequestSchema, request, [[1, request.source]])).toEqual(
      toBinary(SagaPrepareRequestSchema, request),
    );
  });

  test("a page is encoded once: its bytes are remembered per page object", () => {
    const page = create(EventPageSchema, { sequence: { case: "num", value: 3 } });
    expect(pageBytes(page)).toBe(pageBytes(page));
    expect(pageBytes(page)).toEqual(toBinary(EventPageSchema, page));
  });

  test("a kept history's pages are written from its encoded block, only when a book holds exactly them", () => {
    const rand = seeded(33);
    const history = new HistoryBytes();
    let pages = randomBook(rand).pages;
    const cover = Covers.make({ domain: "d", root: new Uint8Array(16).fill(7), correlationId: "c" });
    history.extend(pages, undefined);
    for (let round = 0; round < 30; round++) {
      // The history grows (a new list each time, the same page objects in front).
      const previous = pages;
      pages = pages.concat(randomBook(rand).pages);
      history.extend(pages, previous);
      const book = create(EventBookSchema, { cover, pages: pages.slice() });
      expect(bookBytes(book)).toEqual(toBinary(EventBookSchema, book));
      // Not the same page objects: written page by page, the same bytes as protobuf-es.
      if (pages.length > 1) {
        const other = pages.slice();
        other[0] = create(EventPageSchema, { sequence: { case: "num", value: 99 } });
        const changed = create(EventBookSchema, { cover, pages: other });
        expect(bookBytes(changed)).toEqual(toBinary(EventBookSchema, changed));
        const shorter = create(EventBookSchema, { cover, pages: pages.slice(1) });
        expect(bookBytes(shorter)).toEqual(toBinary(EventBookSchema, shorter));
      }
      // Older, shorter states of the history still write their own pages.
      const request = create(ProcessManagerHandleRequestSchema, { trigger: book, destinations: [book] });
      expect(
        bookRequestBytes(ProcessManagerHandleRequestSchema, request, [
          [1, request.trigger],
          [3, request.destinations],
        ]),
      ).toEqual(toBinary(ProcessManagerHandleRequestSchema, request));
    }
    // Another history of new page objects: encoded afresh; books of the first one still right.
    const first = create(EventBookSchema, { cover, pages: pages.slice() });
    const fresh = pages.map((p) => create(EventPageSchema, p));
    history.extend(fresh, pages.slice());
    const second = create(EventBookSchema, { cover, pages: fresh.slice() });
    expect(bookBytes(second)).toEqual(toBinary(EventBookSchema, second));
    expect(bookBytes(first)).toEqual(toBinary(EventBookSchema, first));
  });

  test("a command's answer: its book written as published, byte for byte protobuf-es's", () => {
    const rand = seeded(23);
    for (let i = 0; i < 200; i++) {
      const book = randomBook(rand);
      const response = create(CommandResponseSchema, { events: book });
      // As a command's book goes: published (its bytes remembered), then answered.
      if (i % 2 === 0) expect(encodedBook(book)).toEqual(toBinary(EventBookSchema, book));
      expect(commandResponseBytes(response)).toEqual(toBinary(CommandResponseSchema, response));
    }
    const book = randomBook(rand);
    expect(encodedBook(book)).toBe(encodedBook(book));
    // No book, projections, unknown fields: protobuf-es's own.
    const empty = create(CommandResponseSchema);
    expect(commandResponseBytes(empty)).toEqual(toBinary(CommandResponseSchema, empty));
    const projected = create(CommandResponseSchema, {
      events: book,
      projections: [{ projector: "p", sequence: 3 }],
    });
    expect(commandResponseBytes(projected)).toEqual(toBinary(CommandResponseSchema, projected));
    const unknown = create(CommandResponseSchema, { events: book });
    unknown.$unknown = [{ no: 9, wireType: 0, data: Uint8Array.of(8) }];
    expect(commandResponseBytes(unknown)).toEqual(toBinary(CommandResponseSchema, unknown));
  });
});
