// The hot path of an aggregate call: a hand-written walk of an encoded `ContextualCommand` that
// finds each prior page's type URL and payload bytes without building protobuf-es objects for
// the pages (100k pages decode in a few ms instead of a few hundred). The small parts (the
// command, the snapshot, the cover) are still decoded by protobuf-es.
//
// The walk accepts only input it fully understands and that protobuf-es `fromBinary` would
// decode to the same values: known fields with their own wire types, each singular message at
// most once, lengths within their enclosing message, no groups. Anything else returns
// undefined and the caller takes the general path, which then behaves (and fails) exactly as
// before. Unknown fields are skipped: fromBinary would keep them in `$unknown`, which a rebuild
// never reads.
import {
  type CommandBook,
  CommandBookSchema,
  CoverSchema,
  type Snapshot,
  SnapshotSchema,
} from "@angzarr/proto";
import { fromBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";

const VARINT = 0;
const BIT64 = 1;
const LEN = 2;
const BIT32 = 5;

/** What a rebuild needs from an encoded ContextualCommand. */
export interface ContextualView {
  /** The bytes every offset below points into. */
  buf: Uint8Array;
  /** The command, decoded (undefined when the field is absent). */
  command: CommandBook | undefined;
  /** The prior book's snapshot, decoded (undefined when absent). */
  snapshot: Snapshot | undefined;
  /** Number of prior pages. */
  count: number;
  /**
   * Four offsets per page i at 4i: type URL start and end, payload start and end. A type URL
   * start of -1 means the page has no event.
   */
  refs: Int32Array;
  /** Per page: its explicit number, or -1 when it has none (force, or unset). */
  nums: Float64Array;
}

/** Sequence the next event gets, as EventBooks.nextSequence computes it for the decoded book. */
export function nextSequenceOf(view: ContextualView): number {
  for (let i = view.count - 1; i >= 0; i--) {
    const num = view.nums[i] as number;
    if (num >= 0) return num + (view.count - i);
  }
  const base = view.snapshot ? view.snapshot.sequence + 1 : 0;
  return base + view.count;
}

// Walk state. The walk is synchronous and never re-entered (protobuf-es, called for the small
// parts, does not call back), so the position and the page tables live in module variables:
// measurably faster than an object's fields. The buffer is passed along.
let pos = 0;
let count = 0;
let refs = new Int32Array(4 * 1024);
let nums = new Float64Array(1024);

/** A varint of at most 5 bytes below 2^32, or -1. */
function u32(buf: Uint8Array, end: number): number {
  if (pos < end) {
    const first = buf[pos] as number;
    if (first < 0x80) {
      pos++;
      return first;
    }
  }
  let value = 0;
  let scale = 1;
  let b = 0;
  do {
    if (pos >= end || scale > 0x10000000) return -1;
    b = buf[pos++] as number;
    value += (b & 0x7f) * scale;
    scale *= 128;
  } while (b & 0x80);
  return value > 0xffffffff ? -1 : value;
}

/** Skips a varint of at most 10 bytes; false when malformed. */
function skipVarint(buf: Uint8Array, end: number): boolean {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return false;
    if (((buf[pos++] as number) & 0x80) === 0) return true;
  }
  return false;
}

/** A tag (field number > 0, wire type 0, 1, 2 or 5), or -1. */
function readTag(buf: Uint8Array, end: number): number {
  const t = u32(buf, end);
  if (t < 8) return -1;
  const wire = t & 7;
  return wire === VARINT || wire === BIT64 || wire === LEN || wire === BIT32 ? t : -1;
}

/** The length of a length-delimited field that fits before `end`, or -1. */
function readLen(buf: Uint8Array, end: number): number {
  const n = u32(buf, end);
  return n < 0 || pos + n > end ? -1 : n;
}

/** Skips one field's value; false when malformed. */
function skip(buf: Uint8Array, wire: number, end: number): boolean {
  switch (wire) {
    case VARINT:
      return skipVarint(buf, end);
    case BIT64:
    case BIT32: {
      const size = wire === BIT64 ? 8 : 4;
      if (pos + size > end) return false;
      pos += size;
      return true;
    }
    default: {
      const n = readLen(buf, end);
      if (n < 0) return false;
      pos += n;
      return true;
    }
  }
}

function grow(): void {
  const moreRefs = new Int32Array(refs.length * 2);
  moreRefs.set(refs);
  refs = moreRefs;
  const moreNums = new Float64Array(nums.length * 2);
  moreNums.set(nums);
  nums = moreNums;
}

/** Decodes `buf[start, end)` with protobuf-es, or undefined when it throws. */
function decodeSlice<T>(
  decode: (bytes: Uint8Array) => T,
  buf: Uint8Array,
  start: number,
  end: number,
): T | undefined {
  try {
    return decode(buf.subarray(start, end));
  } catch {
    return undefined;
  }
}

const decodeCommand = (b: Uint8Array) => fromBinary(CommandBookSchema, b);
const decodeSnapshot = (b: Uint8Array) => fromBinary(SnapshotSchema, b);
const decodeCover = (b: Uint8Array) => fromBinary(CoverSchema, b);
const decodeAny = (b: Uint8Array) => fromBinary(AnySchema, b);

/** google.protobuf.Timestamp: both fields are varints; checks the structure only. */
function walkTimestamp(buf: Uint8Array, end: number): boolean {
  while (pos < end) {
    const tag = readTag(buf, end);
    if (tag < 0) return false;
    const no = tag >>> 3;
    const wire = tag & 7;
    if ((no === 1 || no === 2) && wire !== VARINT) return false;
    if (!skip(buf, wire, end)) return false;
  }
  return true;
}

/** google.protobuf.Any: records the type URL and value ranges of page `i`. */
function walkAny(buf: Uint8Array, end: number, i: number): boolean {
  let typeStart = pos;
  let typeEnd = pos;
  let valueStart = pos;
  let valueEnd = pos;
  let typeSeen = false;
  while (pos < end) {
    const tag = readTag(buf, end);
    if (tag < 0) return false;
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 1 || no === 2) {
      if (wire !== LEN) return false;
      const len = readLen(buf, end);
      if (len < 0) return false;
      if (no === 1) {
        // A repeated type_url would have every copy checked as UTF-8 by fromBinary.
        if (typeSeen) return false;
        typeSeen = true;
        typeStart = pos;
        typeEnd = pos + len;
      } else {
        valueStart = pos;
        valueEnd = pos + len;
      }
      pos += len;
    } else if (!skip(buf, wire, end)) return false;
  }
  const at = 4 * i;
  refs[at] = typeStart;
  refs[at + 1] = typeEnd;
  refs[at + 2] = valueStart;
  refs[at + 3] = valueEnd;
  return true;
}

/** angzarr.EventPage: `oneof sequence {num = 1; force = 2}`, created_at = 3, event = 4. */
function walkPage(buf: Uint8Array, end: number): boolean {
  if (count === nums.length) grow();
  const start = pos;
  if (canonicalPage(buf, end)) return true;
  pos = start;
  const i = count;
  refs[4 * i] = -1;
  let num = -1;
  let timeSeen = false;
  let eventSeen = false;
  while (pos < end) {
    const tag = readTag(buf, end);
    if (tag < 0) return false;
    const no = tag >>> 3;
    const wire = tag & 7;
    switch (no) {
      case 1:
        if (wire !== VARINT) return false;
        num = u32(buf, end);
        if (num < 0) return false;
        break;
      case 2:
        if (wire !== VARINT || !skipVarint(buf, end)) return false;
        num = -1;
        break;
      case 3:
      case 4: {
        if (wire !== LEN) return false;
        if (no === 3 ? timeSeen : eventSeen) return false;
        const len = readLen(buf, end);
        if (len < 0) return false;
        const stop = pos + len;
        if (no === 3) {
          timeSeen = true;
          if (!walkTimestamp(buf, stop)) return false;
        } else {
          eventSeen = true;
          if (!walkAny(buf, stop, i)) return false;
        }
        break;
      }
      default:
        if (!skip(buf, wire, end)) return false;
    }
  }
  nums[i] = num;
  count++;
  return true;
}

/**
 * The page as the store writes it, in field order with nothing else: num, created_at (seconds,
 * nanos; either may be absent), event (type_url, value; value may be absent). Records it and
 * returns true (position at `end`); false when the page has any other shape (the position is
 * then anywhere: the caller restarts with the general walk).
 */
function canonicalPage(buf: Uint8Array, end: number): boolean {
  // num
  if (buf[pos] !== 0x08) return false;
  pos++;
  const num = u32(buf, end);
  if (num < 0) return false;
  // created_at
  if (buf[pos] !== 0x1a) return false;
  pos++;
  const timeLength = readLen(buf, end);
  if (timeLength < 0) return false;
  const timeEnd = pos + timeLength;
  if (pos < timeEnd && buf[pos] === 0x08) {
    pos++;
    if (!skipVarint(buf, timeEnd)) return false;
  }
  if (pos < timeEnd && buf[pos] === 0x10) {
    pos++;
    if (!skipVarint(buf, timeEnd)) return false;
  }
  if (pos !== timeEnd) return false;
  // event: the page's last field
  if (buf[pos] !== 0x22) return false;
  pos++;
  const anyLength = readLen(buf, end);
  if (anyLength < 0 || pos + anyLength !== end) return false;
  if (buf[pos] !== 0x0a) return false;
  pos++;
  const typeLength = readLen(buf, end);
  if (typeLength < 0) return false;
  const typeStart = pos;
  pos += typeLength;
  let valueStart = pos;
  if (pos < end) {
    if (buf[pos] !== 0x12) return false;
    pos++;
    const valueLength = readLen(buf, end);
    if (valueLength < 0 || pos + valueLength !== end) return false;
    valueStart = pos;
  }
  const at = 4 * count;
  refs[at] = typeStart;
  refs[at + 1] = typeStart + typeLength;
  refs[at + 2] = valueStart;
  refs[at + 3] = end;
  nums[count] = num;
  count++;
  pos = end;
  return true;
}

interface BookParts {
  snapshot: Snapshot | undefined;
}

/** angzarr.EventBook: cover = 1, snapshot = 2, pages = 3, snapshot_state = 5. */
function walkBook(buf: Uint8Array, end: number, out: BookParts): boolean {
  let coverSeen = false;
  let snapshotSeen = false;
  let stateSeen = false;
  while (pos < end) {
    const tag = readTag(buf, end);
    if (tag < 0) return false;
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no !== 1 && no !== 2 && no !== 3 && no !== 5) {
      if (!skip(buf, wire, end)) return false;
      continue;
    }
    if (wire !== LEN) return false;
    const len = readLen(buf, end);
    if (len < 0) return false;
    const start = pos;
    const stop = start + len;
    if (no === 3) {
      if (!walkPage(buf, stop)) return false;
      continue;
    }
    if (no === 1) {
      if (coverSeen || decodeSlice(decodeCover, buf, start, stop) === undefined) return false;
      coverSeen = true;
    } else if (no === 2) {
      if (snapshotSeen) return false;
      snapshotSeen = true;
      out.snapshot = decodeSlice(decodeSnapshot, buf, start, stop);
      if (out.snapshot === undefined) return false;
    } else {
      if (stateSeen || decodeSlice(decodeAny, buf, start, stop) === undefined) return false;
      stateSeen = true;
    }
    pos = stop;
  }
  return true;
}

/** A new walk of `buf`: fresh page tables, so views already handed out keep theirs. */
function begin(buf: Uint8Array): void {
  pos = 0;
  count = 0;
  // Room for as many pages as the bytes can plausibly hold (a page takes 40+ bytes).
  const capacity = Math.max(256, Math.ceil(buf.length / 40));
  refs = new Int32Array(4 * capacity);
  nums = new Float64Array(capacity);
}

/**
 * Walks an encoded angzarr.ContextualCommand (events = 1, command = 2). Undefined when the
 * bytes hold anything the walk does not handle: decode them with fromBinary then.
 */
export function readContextualCommand(buf: Uint8Array): ContextualView | undefined {
  begin(buf);
  const end = buf.length;
  const parts: BookParts = { snapshot: undefined };
  let eventsSeen = false;
  let command: CommandBook | undefined;
  while (pos < end) {
    const tag = readTag(buf, end);
    if (tag < 0) return undefined;
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no !== 1 && no !== 2) {
      if (!skip(buf, wire, end)) return undefined;
      continue;
    }
    if (wire !== LEN) return undefined;
    const len = readLen(buf, end);
    if (len < 0) return undefined;
    const stop = pos + len;
    if (no === 1) {
      if (eventsSeen) return undefined;
      eventsSeen = true;
      if (!walkBook(buf, stop, parts)) return undefined;
    } else {
      if (command !== undefined) return undefined;
      command = decodeSlice(decodeCommand, buf, pos, stop);
      if (command === undefined) return undefined;
    }
    pos = stop;
  }
  return { buf, command, snapshot: parts.snapshot, count, refs, nums };
}

/**
 * Walks one EventBook part of a ContextualCommand whose `events` field comes several times
 * (protobuf-es merges them: the pages concatenated). The first part may hold what walkBook
 * accepts; a later part only pages (anything else there: undefined, the general path decides).
 * The view's `command` is undefined.
 */
export function readBookPart(buf: Uint8Array, first: boolean): ContextualView | undefined {
  begin(buf);
  const end = buf.length;
  const parts: BookParts = { snapshot: undefined };
  if (first) {
    if (!walkBook(buf, end, parts)) return undefined;
  } else {
    while (pos < end) {
      if (readTag(buf, end) !== 0x1a) return undefined;
      const len = readLen(buf, end);
      if (len < 0) return undefined;
      if (!walkPage(buf, pos + len)) return undefined;
    }
  }
  return { buf, command: undefined, snapshot: parts.snapshot, count, refs, nums };
}
