// Event pages read from protobuf bytes without protobuf-es's reader: a consumer's catch-up moves
// hundreds of pages per call (the upcaster's request and answer, the projector's book), and
// `fromBinary` spends a few µs per page on them (its writer, compiled, is already fast).
//
// The reader gives what `fromBinary` gives, or declines (undefined) on anything outside what it
// fully understands: unknown fields (kept in `$unknown`), a singular message seen twice (protobuf-es
// merges them), a wire type that does not match, non-ASCII text, a malformed varint or length.
// The caller then decodes with protobuf-es, which behaves (and fails) exactly as before.
import { CoverSchema, type EventBook, EventBookSchema, type EventPage, SnapshotSchema } from "@angzarr/proto";
import { create, type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { type Any, AnySchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { HistoryPages } from "./history-pages";

const LEN = 2;

// The walk is synchronous and never re-entered: its position lives in a module variable.

let pos = 0;

/** A varint of at most 32 bits (5 bytes), or -1 when it is longer or runs past `end`. */
function readVarint32(buf: Uint8Array, end: number): number {
  let result = 0;
  let shift = 0;
  while (pos < end) {
    const b = buf[pos++] as number;
    if (shift === 28) {
      // The fifth byte: four more bits, and no continuation.
      if (b > 0x0f) return -1;
      return result + b * 2 ** 28;
    }
    result |= (b & 0x7f) << shift;
    if (b < 0x80) return result >>> 0;
    shift += 7;
  }
  return -1;
}

/**
 * A varint of at most seven bytes (49 bits) as a number; -2 when it is longer (pos unchanged: read
 * it again with readVarint64), -1 when it runs past `end`.
 */
function readVarintNumber(buf: Uint8Array, end: number): number {
  const start = pos;
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++] as number;
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 128;
  }
  pos = start;
  return -2;
}

/** A varint of up to ten bytes as a bigint (its 64 bits, unsigned), or undefined when malformed. */
function readVarint64(buf: Uint8Array, end: number): bigint | undefined {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10 && pos < end; i++) {
    const b = buf[pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return BigInt.asUintN(64, result);
    shift += 7n;
  }
  return undefined;
}

const latin = new TextDecoder();
let lastTypeBuf: Uint8Array | undefined;
let lastTypeUrl = "";

/** ASCII text of buf[start, end), or undefined when some byte is not ASCII. */
function ascii(buf: Uint8Array, start: number, end: number): string | undefined {
  // The type URL of consecutive pages is mostly the same: compare with the last one first.
  if (lastTypeBuf !== undefined && end - start === lastTypeUrl.length) {
    let same = true;
    for (let i = 0; i < end - start; i++) {
      if (buf[start + i] !== lastTypeUrl.charCodeAt(i)) {
        same = false;
        break;
      }
    }
    if (same) return lastTypeUrl;
  }
  for (let i = start; i < end; i++) if ((buf[i] as number) >= 0x80) return undefined;
  lastTypeBuf = buf;
  lastTypeUrl = latin.decode(buf.subarray(start, end));
  return lastTypeUrl;
}

/** A varint field's value as its low 64 bits, signed. */
function readInt64(buf: Uint8Array, end: number): bigint | undefined {
  const n = readVarintNumber(buf, end);
  if (n >= 0) {
    // Consecutive pages mostly share their second: one bigint for them.
    if (n !== lastSecondsNumber) {
      lastSecondsNumber = n;
      lastSeconds = BigInt(n);
    }
    return lastSeconds;
  }
  if (n === -1) return undefined;
  const v = readVarint64(buf, end);
  return v === undefined ? undefined : BigInt.asIntN(64, v);
}

/** A varint field's value as its low 32 bits, signed (int32) or not. */
function readInt32(buf: Uint8Array, end: number, signed: boolean): number | undefined {
  const n = readVarintNumber(buf, end);
  if (n >= 0) {
    const low = n < 2 ** 32 ? n : n % 2 ** 32;
    return signed ? low | 0 : low;
  }
  if (n === -1) return undefined;
  const v = readVarint64(buf, end);
  return v === undefined ? undefined : Number(signed ? BigInt.asIntN(32, v) : BigInt.asUintN(32, v));
}

let lastSecondsNumber = -1;
let lastSeconds = 0n;

function readTimestamp(buf: Uint8Array, end: number): Timestamp | undefined {
  let seconds = 0n;
  let nanos = 0;
  while (pos < end) {
    const tag = readVarint32(buf, end);
    if (tag === 8) {
      const v = readInt64(buf, end);
      if (v === undefined) return undefined;
      seconds = v;
    } else if (tag === 16) {
      const v = readInt32(buf, end, true);
      if (v === undefined) return undefined;
      nanos = v;
    } else return undefined;
  }
  return { $typeName: "google.protobuf.Timestamp", seconds, nanos };
}

function readAny(buf: Uint8Array, end: number): Any | undefined {
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array(0);
  let seenType = false;
  let seenValue = false;
  while (pos < end) {
    const tag = readVarint32(buf, end);
    if (tag !== 10 && tag !== 18) return undefined;
    const length = readVarint32(buf, end);
    if (length < 0 || pos + length > end) return undefined;
    if (tag === 10) {
      if (seenType) return undefined;
      seenType = true;
      const text = ascii(buf, pos, pos + length);
      if (text === undefined) return undefined;
      typeUrl = text;
    } else {
      if (seenValue) return undefined;
      seenValue = true;
      value = buf.subarray(pos, pos + length);
    }
    pos += length;
  }
  return { $typeName: "google.protobuf.Any", typeUrl, value };
}

function readPage(buf: Uint8Array, end: number): EventPage | undefined {
  let sequence: EventPage["sequence"] = { case: undefined };
  let createdAt: Timestamp | undefined;
  let event: Any | undefined;
  while (pos < end) {
    const tag = readVarint32(buf, end);
    if (tag === 8) {
      const v = readInt32(buf, end, false);
      if (v === undefined) return undefined;
      sequence = { case: "num", value: v };
    } else if (tag === 16) {
      const n = readVarintNumber(buf, end);
      if (n === -1) return undefined;
      const v = n === -2 ? readVarint64(buf, end) : BigInt(n);
      if (v === undefined) return undefined;
      sequence = { case: "force", value: v !== 0n };
    } else if (tag === 26 || tag === 34) {
      const length = readVarint32(buf, end);
      if (length < 0 || pos + length > end) return undefined;
      const stop = pos + length;
      if (tag === 26) {
        if (createdAt !== undefined) return undefined;
        createdAt = readTimestamp(buf, stop);
        if (createdAt === undefined) return undefined;
      } else {
        if (event !== undefined) return undefined;
        event = readAny(buf, stop);
        if (event === undefined) return undefined;
      }
      pos = stop;
    } else return undefined;
  }
  const page: EventPage = { $typeName: "angzarr.EventPage", sequence };
  if (createdAt !== undefined) page.createdAt = createdAt;
  if (event !== undefined) page.event = event;
  return page;
}

/**
 * The pages of a message whose fields are a repeated EventPage `field` and, optionally, one string
 * field `text` (UpcastRequest's domain); undefined when the bytes hold anything else or are malformed.
 */
function readMessage(
  buf: Uint8Array,
  field: number,
  text?: number,
): { pages: EventPage[]; text: string } | undefined {
  const entries = entriesOf(buf, field, text);
  if (entries === undefined) return undefined;
  const { starts, ends } = entries;
  const pages: EventPage[] = new Array(starts.length);
  for (let i = 0; i < starts.length; i++) {
    pos = starts[i] as number;
    const page = readPage(buf, ends[i] as number);
    if (page === undefined) return undefined;
    pages[i] = page;
  }
  return { pages, text: entries.text };
}

/** The page a field's body buf[start, end) holds, or undefined when protobuf-es must read it. */
export function readPageAt(buf: Uint8Array, start: number, end: number): EventPage | undefined {
  pos = start;
  return readPage(buf, end);
}

/**
 * The run of consecutive page fields (an EventBook's field 3) from `at`: their bodies as
 * [start, end), and where the run stops (`end`, or the first other field). Undefined when a field
 * runs past `end` or is malformed.
 */
export function pageRun(
  buf: Uint8Array,
  at: number,
  end: number,
): { starts: number[]; ends: number[]; stop: number } | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  let stop = at;
  while (stop < end) {
    pos = stop;
    if (readVarint32(buf, end) !== 26) break;
    const length = readVarint32(buf, end);
    if (length < 0 || pos + length > end) return undefined;
    starts.push(pos);
    stop = pos + length;
    ends.push(stop);
  }
  return { starts, ends, stop };
}

/**
 * An EventBook: its pages read here, its cover, snapshot and snapshot_state (small, once each) by
 * protobuf-es; undefined when protobuf-es must decode the bytes. With `history`, the pages that
 * follow the cover are read through it (history-pages.ts): pages whose bytes it has read before
 * are not read again.
 */
export function decodeEventBook(buf: Uint8Array, history?: HistoryPages): EventBook | undefined {
  pos = 0;
  lastTypeBuf = undefined;
  const end = buf.length;
  const book: EventBook = { $typeName: "angzarr.EventBook", pages: [] };
  try {
    while (pos < end) {
      const fieldStart = pos;
      const tag = readVarint32(buf, end);
      if (tag === 26 && history !== undefined && book.cover !== undefined && book.pages.length === 0) {
        const run = history.read(book.cover, buf, fieldStart, end);
        if (run === undefined) return undefined;
        book.pages = run.pages;
        pos = run.next;
        continue;
      }
      const length = readVarint32(buf, end);
      if (length < 0 || pos + length > end) return undefined;
      const stop = pos + length;
      if (tag === 26) {
        const page = readPage(buf, stop);
        if (page === undefined) return undefined;
        book.pages.push(page);
      } else if (tag === 10 && book.cover === undefined) {
        book.cover = fromBinary(CoverSchema, buf.subarray(pos, stop));
      } else if (tag === 18 && book.snapshot === undefined) {
        book.snapshot = fromBinary(SnapshotSchema, buf.subarray(pos, stop));
      } else if (tag === 42 && book.snapshotState === undefined) {
        book.snapshotState = fromBinary(AnySchema, buf.subarray(pos, stop));
      } else return undefined;
      pos = stop;
    }
  } catch {
    return undefined; // a part protobuf-es refused: it refuses the whole book the same way
  }
  return book;
}

/** UpcastResponse.events, or undefined when protobuf-es must decode the bytes. */
export function decodeUpcastResponse(buf: Uint8Array): EventPage[] | undefined {
  return readMessage(buf, 1)?.pages;
}

/** UpcastRequest's domain and events, or undefined when protobuf-es must decode the bytes. */
export function decodeUpcastRequest(buf: Uint8Array): { domain: string; events: EventPage[] } | undefined {
  const read = readMessage(buf, 2, 1);
  return read === undefined ? undefined : { domain: read.text, events: read.pages };
}

/**
 * The entries of a message's repeated field `field` as [start, end) of their bodies, or undefined
 * when the message holds another field than it and (optionally) `text` (then taken as ASCII and
 * returned), or is malformed. Unknown fields inside the entries are not looked at.
 */
export function entriesOf(
  buf: Uint8Array,
  field: number,
  text?: number,
): { starts: number[]; ends: number[]; text: string } | undefined {
  pos = 0;
  lastTypeBuf = undefined;
  const end = buf.length;
  const entryTag = (field << 3) | LEN;
  const textTag = text === undefined ? -1 : (text << 3) | LEN;
  const starts: number[] = [];
  const ends: number[] = [];
  let value = "";
  while (pos < end) {
    const tag = readVarint32(buf, end);
    const length = readVarint32(buf, end);
    if (length < 0 || pos + length > end) return undefined;
    if (tag === entryTag) {
      starts.push(pos);
      ends.push(pos + length);
    } else if (tag === textTag) {
      const read = ascii(buf, pos, pos + length);
      if (read === undefined) return undefined;
      value = read;
    } else return undefined;
    pos += length;
  }
  return { starts, ends, text: value };
}

/** Skips a varint of at most ten bytes; false when it runs past `end` or is longer. */
function skipVarint(buf: Uint8Array, end: number): boolean {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return false;
    if ((buf[pos++] as number) < 0x80) return true;
  }
  return false;
}

/**
 * The type URL of the encoded EventPage buf[start, end) ("" without an event); undefined when it
 * is malformed, holds fields of other wire types than varint and length-delimited, or non-ASCII.
 */
export function pageTypeUrl(buf: Uint8Array, start: number, end: number): string | undefined {
  pos = start;
  let typeUrl = "";
  while (pos < end) {
    const tag = readVarint32(buf, end);
    if ((tag & 7) === 0) {
      if (!skipVarint(buf, end)) return undefined;
      continue;
    }
    if ((tag & 7) !== LEN) return undefined;
    const length = readVarint32(buf, end);
    if (length < 0 || pos + length > end) return undefined;
    const stop = pos + length;
    if (tag === 34) {
      // Any: the type URL is field 1 (the last one wins, as protobuf-es reads it).
      while (pos < stop) {
        const inner = readVarint32(buf, stop);
        const size = readVarint32(buf, stop);
        if ((inner & 7) !== LEN || size < 0 || pos + size > stop) return undefined;
        if (inner === 10) {
          const text = ascii(buf, pos, pos + size);
          if (text === undefined) return undefined;
          typeUrl = text;
        }
        pos += size;
      }
    }
    pos = stop;
  }
  return typeUrl;
}

/** Writes each [start, end) of `buf` as an entry of field `field` (1–15): a repeated field's bytes. */
export function asEntries(buf: Uint8Array, starts: number[], ends: number[], field: number): Uint8Array {
  let size = 0;
  for (let i = 0; i < starts.length; i++) {
    const length = (ends[i] as number) - (starts[i] as number);
    size += 1 + varintSize(length) + length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  const tag = (field << 3) | LEN;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as number;
    const length = (ends[i] as number) - start;
    out[at++] = tag;
    let n = length;
    while (n >= 128) {
      out[at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    out[at++] = n;
    out.set(buf.subarray(start, start + length), at);
    at += length;
  }
  return out;
}

/** Bytes of the varint of a non-negative safe integer. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/**
 * A message whose fields are all EventBooks, singular or repeated (the saga and process-manager
 * requests), each book read by decodeEventBook; undefined when the bytes hold another field, a
 * singular book twice (protobuf-es merges them), or anything decodeEventBook declines. The books
 * of `history.fields` (whole histories) are read through `history.pages`.
 */
export function decodeBookMessage<D extends DescMessage>(
  schema: D,
  buf: Uint8Array,
  history?: { pages: HistoryPages; fields: readonly number[] },
): MessageShape<D> | undefined {
  const parts: { field: number; start: number; end: number }[] = [];
  pos = 0;
  const end = buf.length;
  while (pos < end) {
    const tag = readVarint32(buf, end);
    const length = readVarint32(buf, end);
    if ((tag & 7) !== LEN || length < 0 || pos + length > end) return undefined;
    parts.push({ field: tag >>> 3, start: pos, end: pos + length });
    pos += length;
  }
  const init: Record<string, EventBook | EventBook[]> = {};
  for (const { field: number, start, end: stop } of parts) {
    const field = schema.fields.find((f) => f.number === number);
    if (field === undefined || field.message?.typeName !== EventBookSchema.typeName) return undefined;
    const kept = history?.fields.includes(number) ? history.pages : undefined;
    const book = decodeEventBook(buf.subarray(start, stop), kept);
    if (book === undefined) return undefined;
    if (field.fieldKind === "list") {
      const list = (init[field.localName] as EventBook[] | undefined) ?? [];
      list.push(book);
      init[field.localName] = list;
    } else if (field.fieldKind === "message") {
      if (init[field.localName] !== undefined) return undefined;
      init[field.localName] = book;
    } else return undefined;
  }
  return create(schema, init as never);
}
