import { describe, expect, test } from "bun:test";
import {
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
import { bookBytes, bookRequestBytes, pageBytes } from "./book-bytes";

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
});
