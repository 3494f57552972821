// Requests to saga, process-manager and projector programs, encoded with the bytes of pages
// encoded before. A process manager is handed its trigger's whole history on every event of it
// (runtime.md §5): the coordinator keeps those histories (upcast-histories.ts), and here each kept
// page is encoded once instead of once per call. Pages are messages no one on the reactive path
// modifies after they are read or made; an encoded page is remembered per page object (a page
// that goes away takes its bytes with it).
//
// Byte for byte what protobuf-es's toBinary writes for the same message (fields in number order;
// a message carrying unknown fields is left to protobuf-es whole).
import {
  CoverSchema,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  SnapshotSchema,
} from "@angzarr/proto";
import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { AnySchema } from "@bufbuild/protobuf/wkt";

const encodedPages = new WeakMap<EventPage, Uint8Array>();

/** The page's bytes, encoded at most once per page object. */
export function pageBytes(page: EventPage): Uint8Array {
  let bytes = encodedPages.get(page);
  if (bytes === undefined) {
    bytes = toBinary(EventPageSchema, page);
    encodedPages.set(page, bytes);
  }
  return bytes;
}

/** The book's fields into `w` (EventBook: cover 1, snapshot 2, pages 3, snapshot_state 5). */
function writeBook(w: BinaryWriter, book: EventBook): void {
  if (book.$unknown !== undefined && book.$unknown.length > 0) {
    w.raw(toBinary(EventBookSchema, book));
    return;
  }
  if (book.cover !== undefined) w.tag(1, WireType.LengthDelimited).bytes(toBinary(CoverSchema, book.cover));
  if (book.snapshot !== undefined)
    w.tag(2, WireType.LengthDelimited).bytes(toBinary(SnapshotSchema, book.snapshot));
  for (const page of book.pages) w.tag(3, WireType.LengthDelimited).bytes(pageBytes(page));
  if (book.snapshotState !== undefined)
    w.tag(5, WireType.LengthDelimited).bytes(toBinary(AnySchema, book.snapshotState));
}

/** An EventBook, as toBinary(EventBookSchema, book) writes it. */
export function bookBytes(book: EventBook): Uint8Array {
  const w = new BinaryWriter();
  writeBook(w, book);
  return w.finish();
}

/** A request whose fields are all EventBooks, single or repeated, by field number. */
export type BookFields = [field: number, value: EventBook | EventBook[] | undefined][];

/**
 * A request message made only of EventBook fields (SagaPrepareRequest, SagaExecuteRequest,
 * ProcessManagerPrepareRequest, ProcessManagerHandleRequest), as toBinary writes it; `fields` in
 * field-number order. A request carrying unknown fields is encoded by protobuf-es.
 */
export function bookRequestBytes<D extends DescMessage>(
  schema: D,
  request: MessageShape<D>,
  fields: BookFields,
): Uint8Array {
  const unknown = (request as { $unknown?: unknown[] }).$unknown;
  if (unknown !== undefined && unknown.length > 0) return toBinary(schema, request);
  const w = new BinaryWriter();
  for (const [field, value] of fields) {
    if (value === undefined) continue;
    for (const book of Array.isArray(value) ? value : [value]) {
      w.tag(field, WireType.LengthDelimited).fork();
      writeBook(w, book);
      w.join();
    }
  }
  return w.finish();
}
