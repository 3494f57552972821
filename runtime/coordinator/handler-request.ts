// The encoded ContextualCommand for a handler, spliced from parts: the prior book's cover and
// snapshot (encoded by protobuf-es, small), its pages as the store encoded them, and the
// command. Byte for byte what protobuf-es writes for
// `ContextualCommand{events: EventBook{cover, snapshot, pages}, command}`.
import { type CommandBook, type Cover, type Snapshot, SnapshotSchema } from "@angzarr/proto";
import type { StreamedBody } from "@angzarr/sdk";
import { varintSize } from "@angzarr/sdk/src/fast/page-codec.ts";
import { toBinary } from "@bufbuild/protobuf";
import type { EncodedPages } from "../storage/types";
import { coverBytes, commandBytes as encodedCommand } from "./command-bytes";

/** Writes `n` as a varint at `at`; returns the next position. */
export function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 128) {
    out[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/** Writes `tag`, the length of `bytes` and `bytes`; returns the next position. */
export function writeField(out: Uint8Array, at: number, tag: number, bytes: Uint8Array): number {
  out[at++] = tag;
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

/** Bytes of a length-delimited field of a one-byte tag. */
export const fieldSize = (length: number) => 1 + varintSize(length) + length;

/** A prior history as parts: encoded by the handler request (and, rarely, decoded). */
export interface PriorParts {
  cover: Cover;
  snapshot: Snapshot | undefined;
  pages: EncodedPages;
}

/** The encoded EventBook{cover = 1, snapshot = 2, pages = 3}, written at `at` of `out` (or measured). */
function writeBook(
  prior: PriorParts,
  cover: Uint8Array,
  snapshot: Uint8Array | undefined,
  out?: Uint8Array,
  at = 0,
) {
  const size =
    fieldSize(cover.length) +
    (snapshot === undefined ? 0 : fieldSize(snapshot.length)) +
    prior.pages.bytes.length;
  if (out === undefined) return size;
  let p = writeField(out, at, 0x0a, cover);
  if (snapshot !== undefined) p = writeField(out, p, 0x12, snapshot);
  out.set(prior.pages.bytes, p);
  return size;
}

/** The prior history as an encoded EventBook. */
export function encodePriorBook(prior: PriorParts): Uint8Array {
  const cover = coverBytes(prior.cover);
  const snapshot = prior.snapshot === undefined ? undefined : toBinary(SnapshotSchema, prior.snapshot);
  const out = new Uint8Array(writeBook(prior, cover, snapshot));
  writeBook(prior, cover, snapshot, out);
  return out;
}

/** Page bytes up to this size are copied into one request buffer; larger ones are sent as they are. */
const SPLICE_BELOW = 64 * 1024;

/**
 * The encoded ContextualCommand{events = 1, command = 2} as its parts, in order: one buffer when
 * the pages are small; else [everything before the pages, the store's page bytes themselves (not
 * copied), the command field].
 */
export function handlerRequestParts(prior: PriorParts, command: CommandBook): Uint8Array[] {
  const cover = coverBytes(prior.cover);
  const snapshot = prior.snapshot === undefined ? undefined : toBinary(SnapshotSchema, prior.snapshot);
  const commandBytes = encodedCommand(command);
  const book = writeBook(prior, cover, snapshot);
  const pages = prior.pages.bytes;
  if (pages.length < SPLICE_BELOW) {
    const out = new Uint8Array(fieldSize(book) + fieldSize(commandBytes.length));
    out[0] = 0x0a;
    const p = writeVarint(out, 1, book);
    writeBook(prior, cover, snapshot, out, p);
    writeField(out, p + book, 0x12, commandBytes);
    return [out];
  }
  const headSize = fieldSize(book) - pages.length;
  const head = new Uint8Array(headSize);
  head[0] = 0x0a;
  let p = writeVarint(head, 1, book);
  p = writeField(head, p, 0x0a, cover);
  if (snapshot !== undefined) p = writeField(head, p, 0x12, snapshot);
  if (p !== headSize) throw new Error(`request head is ${p} bytes, expected ${headSize}`);
  const tail = new Uint8Array(fieldSize(commandBytes.length));
  writeField(tail, 0, 0x12, commandBytes);
  return [head, pages, tail];
}

/** The encoded ContextualCommand{events = 1, command = 2} in one buffer. */
export function encodeHandlerRequest(prior: PriorParts, command: CommandBook): Uint8Array {
  const parts = handlerRequestParts(prior, command);
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A long prior history read in windows: the first pages now, the rest as the request is sent. */
export interface SplitPrior extends PriorParts {
  /** Sequences of the pages after `pages`, in order. */
  rest: { from: number; to: number };
  /** Pages per later window. */
  window: number;
  /** Reads the pages of [from, to] (each a whole window of it, or fails). */
  read(from: number, to: number): Promise<EncodedPages>;
}

/** An `events` field (tag 1) opening: tag and length of the EventBook part that follows. */
function eventsOpening(length: number): Uint8Array {
  const out = new Uint8Array(1 + varintSize(length));
  out[0] = 0x0a;
  writeVarint(out, 1, length);
  return out;
}

/**
 * The ContextualCommand{events = 1, command = 2} of a split history as a body made while it is
 * sent: the command field first, then the prior EventBook as several `events` fields: the first
 * with the cover, the snapshot and the first pages, each later one holding one window of pages
 * only. Protobuf parsers take fields in any order and merge repeated occurrences of a singular
 * message field (its repeated fields concatenated), so every parser decodes it to the message
 * `encodeHandlerRequest` gives for the whole history. Each window is read when the previous one
 * has been taken by the transport; `parts()` reads them again from the start at every call.
 */
export function streamedHandlerRequest(prior: SplitPrior, command: CommandBook): StreamedBody {
  const cover = coverBytes(prior.cover);
  const snapshot = prior.snapshot === undefined ? undefined : toBinary(SnapshotSchema, prior.snapshot);
  const commandBytes = encodedCommand(command);
  const book = writeBook(prior, cover, snapshot);
  const headSize = fieldSize(commandBytes.length) + fieldSize(book) - prior.pages.bytes.length;
  const head = new Uint8Array(headSize);
  let p = writeField(head, 0, 0x12, commandBytes);
  head[p++] = 0x0a;
  p = writeVarint(head, p, book);
  p = writeField(head, p, 0x0a, cover);
  if (snapshot !== undefined) p = writeField(head, p, 0x12, snapshot);
  if (p !== headSize) throw new Error(`request head is ${p} bytes, expected ${headSize}`);
  const { rest, window } = prior;
  return {
    async *parts() {
      yield [head, prior.pages.bytes];
      for (let from = rest.from; from <= rest.to; from += window) {
        const pages = await prior.read(from, Math.min(rest.to, from + window - 1));
        yield [eventsOpening(pages.bytes.length), pages.bytes];
      }
    },
  };
}
