// Requests to saga, process-manager and projector programs, encoded with the bytes of pages
// encoded before. A process manager is handed its trigger's whole history on every event of it
// (runtime.md §5): the coordinator keeps those histories (upcast-histories.ts) with their pages'
// encoded fields in one block (HistoryBytes), and a request carrying exactly such a history copies
// the block; other pages are encoded once per page object. Pages are messages no one on the
// reactive path modifies after they are read or made (a page that goes away takes its bytes with
// it). The request is measured first, then written into one buffer.
//
// Byte for byte what protobuf-es's toBinary writes for the same message (fields in number order;
// a message carrying unknown fields is left to protobuf-es whole).
import {
  type CommandResponse,
  CommandResponseSchema,
  CoverSchema,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  SnapshotSchema,
} from "@angzarr/proto";
import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { fieldSize, writeField, writeVarint } from "./handler-request";

const encodedPages = new WeakMap<EventPage, Uint8Array>();
const encodedBooks = new WeakMap<EventBook, Uint8Array>();

/**
 * The book's bytes, encoded at most once per book object: the book a command stored is published
 * to the bus and answered to the caller, unchanged in between (no one modifies a stored book).
 */
export function encodedBook(book: EventBook): Uint8Array {
  let bytes = encodedBooks.get(book);
  if (bytes === undefined) {
    bytes = toBinary(EventBookSchema, book);
    encodedBooks.set(book, bytes);
  }
  return bytes;
}

/**
 * A command's answer, its book's bytes written as encodedBook has them (the answer of a command
 * is the book it stored and published); with projections or unknown fields, protobuf-es's own.
 */
export function commandResponseBytes(response: CommandResponse): Uint8Array {
  const events = response.events;
  if (events === undefined || response.projections.length > 0 || (response.$unknown?.length ?? 0) > 0) {
    return toBinary(CommandResponseSchema, response);
  }
  const book = encodedBook(events);
  const out = new Uint8Array(fieldSize(book.length));
  writeField(out, 0, 0x0a, book);
  return out;
}

/** The page's bytes, encoded at most once per page object. */
export function pageBytes(page: EventPage): Uint8Array {
  let bytes = encodedPages.get(page);
  if (bytes === undefined) {
    bytes = toBinary(EventPageSchema, page);
    encodedPages.set(page, bytes);
  }
  return bytes;
}

/**
 * The encoded `pages` fields of one history (a book's field 3, repeated), kept as the history
 * grows: a book holding exactly those pages is then written with one copy of them. Registered
 * under the history's last page, with the page list it encodes; a book is written from it only
 * when its pages are that list, page object for page object (the list is never modified: a
 * history that grows is a new list).
 */
interface PagesBlock {
  pages: EventPage[];
  bytes: Uint8Array;
}
const blocks = new WeakMap<EventPage, PagesBlock>();

/** Keeps the encoded page fields of a growing history (upcast-histories.ts). */
export class HistoryBytes {
  private buffer = new Uint8Array(0);
  private length = 0;
  private encoded: EventPage[] = [];

  /**
   * Now `pages` (never modified afterwards): when `previous` is the list encoded so far and
   * `pages` starts with it (upcast-histories.ts makes it so), only the pages after it are
   * encoded; otherwise all of them, into a new buffer.
   */
  extend(pages: EventPage[], previous: EventPage[] | undefined): void {
    if (pages === this.encoded) return;
    let from = this.encoded.length;
    if (previous !== this.encoded || from > pages.length) {
      // Not the same history: a new buffer (views handed out of the old one stay as they are).
      this.buffer = new Uint8Array(0);
      this.length = 0;
      from = 0;
    }
    for (let i = from; i < pages.length; i++) {
      const bytes = pageBytes(pages[i] as EventPage);
      const need = this.length + fieldSize(bytes.length);
      if (need > this.buffer.length) {
        // Grown by doubling: views handed out before keep the old buffer (at most about as much again).
        const grown = new Uint8Array(Math.max(need, this.buffer.length * 2, 4096));
        grown.set(this.buffer.subarray(0, this.length));
        this.buffer = grown;
      }
      this.length = writeField(this.buffer, this.length, 0x1a, bytes);
    }
    this.encoded = pages;
    const last = pages.at(-1);
    if (last !== undefined) blocks.set(last, { pages, bytes: this.buffer.subarray(0, this.length) });
  }
}

/** The encoded page fields of `pages` when a kept history holds exactly these page objects. */
function blockOf(pages: EventPage[]): Uint8Array | undefined {
  const last = pages.at(-1);
  const block = last === undefined ? undefined : blocks.get(last);
  if (block === undefined || block.pages.length !== pages.length) return undefined;
  for (let i = 0; i < pages.length; i++) if (pages[i] !== block.pages[i]) return undefined;
  return block.bytes;
}

/** A field ready to write: a one-byte tag and its body, or (tag RAW) bytes written as they are. */
const RAW = -1;

/** A book ready to write: its fields in number order, and their size. */
interface BookPlan {
  fields: [tag: number, body: Uint8Array][];
  size: number;
}

/** EventBook: cover 1, snapshot 2, pages 3, snapshot_state 5 (tags 0x0a, 0x12, 0x1a, 0x2a). */
function planBook(book: EventBook): BookPlan {
  if (book.$unknown !== undefined && book.$unknown.length > 0) {
    const whole = toBinary(EventBookSchema, book);
    return { fields: [[RAW, whole]], size: whole.length };
  }
  const fields: [number, Uint8Array][] = [];
  if (book.cover !== undefined) fields.push([0x0a, toBinary(CoverSchema, book.cover)]);
  if (book.snapshot !== undefined) fields.push([0x12, toBinary(SnapshotSchema, book.snapshot)]);
  const block = blockOf(book.pages);
  if (block !== undefined) fields.push([RAW, block]);
  else for (const page of book.pages) fields.push([0x1a, pageBytes(page)]);
  if (book.snapshotState !== undefined) fields.push([0x2a, toBinary(AnySchema, book.snapshotState)]);
  let size = 0;
  for (const [tag, body] of fields) size += tag === RAW ? body.length : fieldSize(body.length);
  return { fields, size };
}

function writePlan(out: Uint8Array, at: number, plan: BookPlan): number {
  let p = at;
  for (const [tag, body] of plan.fields) {
    if (tag !== RAW) p = writeField(out, p, tag, body);
    else {
      out.set(body, p);
      p += body.length;
    }
  }
  return p;
}

/** An EventBook, as toBinary(EventBookSchema, book) writes it. */
export function bookBytes(book: EventBook): Uint8Array {
  const plan = planBook(book);
  const out = new Uint8Array(plan.size);
  writePlan(out, 0, plan);
  return out;
}

/** A request whose fields are all EventBooks, single or repeated, by field number (1 to 15). */
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
  const plans: [tag: number, plan: BookPlan][] = [];
  for (const [field, value] of fields) {
    if (value === undefined) continue;
    for (const book of Array.isArray(value) ? value : [value]) plans.push([(field << 3) | 2, planBook(book)]);
  }
  let size = 0;
  for (const [, plan] of plans) size += fieldSize(plan.size);
  const out = new Uint8Array(size);
  let at = 0;
  for (const [tag, plan] of plans) {
    out[at++] = tag;
    at = writeVarint(out, at, plan.size);
    at = writePlan(out, at, plan);
  }
  return out;
}
