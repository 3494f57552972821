// The top-level fields of a message arriving in chunks (a request body read as it comes), handed
// over one by one as each is complete, with every received byte kept for a reader that gives up
// and decodes the whole body instead. Only length-delimited fields are handed over; anything
// else (another wire type, a malformed tag or length, a body that ends inside a field) stops the
// handing over for good: `failed` turns true and the caller decodes the whole body.

/** Longest field accepted (protobuf's own limit on a message is 2 GiB). */
const MAX_FIELD = 0x7fffffff;

export class FieldStream {
  /** Every chunk received, in order. */
  readonly chunks: Uint8Array[] = [];
  /** True once the bytes left what this reader understands. */
  failed = false;
  private received = 0;
  // The field being read: its tag and length once known, and the bytes of it so far.
  private header: number[] = [];
  /** Length of the field being read, or -1 between fields. */
  private fieldLength = -1;
  /** Its bytes so far, when it spans chunks (allocated at its first partial chunk). */
  private field: Uint8Array | undefined;
  private fieldNo = 0;
  private filled = 0;

  /**
   * Adds a chunk; calls `onField(number, bytes)` for each field it completes (bytes may be a view
   * into the chunk). Returns false once the stream failed (onField is not called again).
   */
  push(chunk: Uint8Array, onField: (no: number, bytes: Uint8Array) => boolean): boolean {
    this.chunks.push(chunk);
    this.received += chunk.length;
    let i = 0;
    while (!this.failed && i < chunk.length) {
      const length = this.fieldLength;
      if (length < 0) {
        i = this.readHeader(chunk, i);
        if (this.fieldLength === 0) this.complete(new Uint8Array(0), onField);
        continue;
      }
      const n = Math.min(length - this.filled, chunk.length - i);
      if (this.filled === 0 && n === length) {
        // The whole field inside this chunk: no copy.
        i += n;
        this.complete(chunk.subarray(i - n, i), onField);
        continue;
      }
      const field = this.field ?? new Uint8Array(length);
      this.field = field;
      field.set(chunk.subarray(i, i + n), this.filled);
      this.filled += n;
      i += n;
      if (this.filled === length) this.complete(field, onField);
    }
    return !this.failed;
  }

  /** True when the body ended between fields (call after the last chunk). */
  get whole(): boolean {
    return !this.failed && this.fieldLength < 0 && this.header.length === 0;
  }

  /** Every byte received, as one buffer. */
  joined(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0] as Uint8Array;
    const out = new Uint8Array(this.received);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private complete(bytes: Uint8Array, onField: (no: number, bytes: Uint8Array) => boolean): void {
    this.field = undefined;
    this.fieldLength = -1;
    this.filled = 0;
    if (!onField(this.fieldNo, bytes)) this.failed = true;
  }

  /** Reads tag and length bytes from `chunk` at `i`; returns the next position. */
  private readHeader(chunk: Uint8Array, i: number): number {
    const header = this.header;
    while (i < chunk.length) {
      const b = chunk[i++] as number;
      header.push(b);
      if (b & 0x80) {
        if (header.length > 10) this.failed = true;
        if (this.failed) return i;
        continue;
      }
      // A varint ended: the tag (first) or the length (second).
      const values = varints(header);
      if (values === undefined) {
        this.failed = true;
        return i;
      }
      if (values.length === 1) {
        const tag = values[0] as number;
        if ((tag & 7) !== 2 || tag >>> 3 === 0) {
          this.failed = true;
          return i;
        }
        continue;
      }
      const [tag, length] = values as [number, number];
      if (length > MAX_FIELD) {
        this.failed = true;
        return i;
      }
      this.fieldNo = tag >>> 3;
      this.fieldLength = length;
      this.filled = 0;
      header.length = 0;
      return i;
    }
    return i;
  }
}

/** The varints of `bytes` (each of at most 5 bytes, below 2^32), or undefined. */
function varints(bytes: number[]): number[] | undefined {
  const out: number[] = [];
  let value = 0;
  let scale = 1;
  let size = 0;
  for (const b of bytes) {
    value += (b & 0x7f) * scale;
    scale *= 128;
    size++;
    if (b & 0x80) {
      if (size >= 5) return undefined;
      continue;
    }
    if (value > 0xffffffff) return undefined;
    out.push(value);
    value = 0;
    scale = 1;
    size = 0;
  }
  return out;
}
