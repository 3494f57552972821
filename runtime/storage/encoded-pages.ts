// Stored pages straight to protobuf bytes, for the aggregate pipeline's fast path: a history is
// handed to the handler as encoded bytes without building an EventPage object per row and
// without protobuf-es encoding them again. The bytes are exactly what protobuf-es writes for the
// same pages (fields in number order, proto3 defaults omitted), which the unit tests check.
import type { EncodedPages } from "./types";

/**
 * One stored page as a backend reads it: [sequence, created_at seconds, created_at nanos,
 * type URL as text or UTF-8 bytes (null: no event), payload (null: empty)].
 */
export type StoredPageRow = readonly [number, number, number, string | Uint8Array | null, Uint8Array | null];

const utf8 = new TextEncoder();

/** Bytes of a varint for a non-negative safe integer, or 10 for a negative one (int64 two's complement). */
function varintSize(n: number): number {
  if (n < 0) return 10;
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 5;
  for (let rest = Math.floor(n / 0x800000000); rest > 0; rest = Math.floor(rest / 128)) size++;
  return size;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  if (n < 0x80 && n >= 0) {
    out[at] = n;
    return at + 1;
  }
  if (n < 0) {
    let v = BigInt.asUintN(64, BigInt(n));
    for (let i = 0; i < 9; i++) {
      out[at++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    out[at++] = Number(v);
    return at;
  }
  while (n >= 128) {
    out[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/** Copies `src` into `out` at `at`; a plain loop beats `set` for the short runs of a page. */
function copy(out: Uint8Array, at: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 16) {
    out.set(src, at);
    return at + n;
  }
  for (let i = 0; i < n; i++) out[at + i] = src[i] as number;
  return at + n;
}

/** Writes a varint of a non-negative number below 2^32 (the common case) or any other. */
function writeSmallVarint(out: Uint8Array, at: number, n: number): number {
  if (n < 0 || n > 0xffffffff) return writeVarint(out, at, n);
  while (n > 0x7f) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

/**
 * Encodes rows (each a StoredPageRow from index `at`) as EventBook `pages` entries. Rows of one
 * append share their created_at and usually their type URL: the encoded timestamp and the
 * type's size are worked out once per run of equal values, not per row.
 */
export function encodePageRows(rows: readonly (readonly unknown[])[], at = 0): EncodedPages {
  const count = rows.length;
  let out = new Uint8Array(count * 96);
  let p = 0;
  let lastText: string | null = null;
  let lastBytes = new Uint8Array(0);
  // The Timestamp body of the previous row (seconds = 1, nanos = 2), and its size.
  let lastSeconds = Number.NaN;
  let lastNanos = Number.NaN;
  const time = new Uint8Array(22);
  let timeSize = 0;
  for (let i = 0; i < count; i++) {
    const row = rows[i] as readonly unknown[];
    const num = row[at] as number;
    const seconds = row[at + 1] as number;
    const nanos = row[at + 2] as number;
    const typeUrl = row[at + 3];
    const payload = row[at + 4];
    if (seconds !== lastSeconds || nanos !== lastNanos) {
      lastSeconds = seconds;
      lastNanos = nanos;
      timeSize = 0;
      if (seconds !== 0) {
        time[timeSize++] = 0x08;
        timeSize = writeSmallVarint(time, timeSize, seconds);
      }
      if (nanos !== 0) {
        time[timeSize++] = 0x10;
        timeSize = writeSmallVarint(time, timeSize, nanos);
      }
    }
    let size = 1 + varintSize(num) + 1 + 1 + timeSize;
    let type: Uint8Array | undefined;
    let value = 0;
    let any = 0;
    if (typeUrl !== null && typeUrl !== undefined) {
      if (typeUrl instanceof Uint8Array) type = typeUrl;
      else {
        if (typeUrl !== lastText) {
          lastText = typeUrl as string;
          lastBytes = utf8.encode(lastText);
        }
        type = lastBytes;
      }
      value = payload instanceof Uint8Array ? payload.length : 0;
      any =
        (type.length === 0 ? 0 : 1 + varintSize(type.length) + type.length) +
        (value === 0 ? 0 : 1 + varintSize(value) + value);
      size += 1 + varintSize(any) + any;
    }
    const need = p + 1 + varintSize(size) + size;
    if (need > out.length) {
      const bigger = new Uint8Array(Math.max(need, out.length * 2));
      bigger.set(out.subarray(0, p));
      out = bigger;
    }
    out[p++] = 0x1a; // EventBook.pages
    p = writeSmallVarint(out, p, size);
    out[p++] = 0x08; // EventPage.num
    p = writeSmallVarint(out, p, num);
    out[p++] = 0x1a; // EventPage.created_at (a body under 128 bytes: one length byte)
    out[p++] = timeSize;
    for (let k = 0; k < timeSize; k++) out[p + k] = time[k] as number;
    p += timeSize;
    if (type !== undefined) {
      out[p++] = 0x22; // EventPage.event
      p = writeSmallVarint(out, p, any);
      if (type.length > 0) {
        out[p++] = 0x0a; // Any.type_url
        p = writeSmallVarint(out, p, type.length);
        p = copy(out, p, type);
      }
      if (value > 0) {
        out[p++] = 0x12; // Any.value
        p = writeSmallVarint(out, p, value);
        p = copy(out, p, payload as Uint8Array);
      }
    }
    if (p !== need) throw new Error(`page encoding wrote ${p} bytes, expected ${need}`);
  }
  const last = rows[count - 1];
  return {
    bytes: out.subarray(0, p),
    count,
    lastSequence: last === undefined ? undefined : (last[at] as number),
  };
}

/** Concatenates encoded runs (an edition's inherited pages, then its own). */
export function concatEncoded(a: EncodedPages, b: EncodedPages): EncodedPages {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const bytes = new Uint8Array(a.bytes.length + b.bytes.length);
  bytes.set(a.bytes, 0);
  bytes.set(b.bytes, a.bytes.length);
  return { bytes, count: a.count + b.count, lastSequence: b.lastSequence };
}
