// A client's command as the aggregate coordinator handles it: stamped with its correlation id
// (derived from the canonical encoding of the book as received, when the client gave none) and
// sent to the handler inside its request. The derivation encodes the book once; the stamped book
// differs from it only in its cover (field 1, written first), so its bytes are that encoding with
// the stamped cover spliced in, not a second encoding of the whole book. A book carrying unknown
// fields anywhere is left to protobuf-es (the canonical encoding leaves them out, the handler's
// request keeps them). Stamped books and covers are never modified once made (a command's cover
// is shared by its prior history and its stored book), so their bytes are kept per object.
import {
  type CommandBook,
  CommandBookSchema,
  CommandBooks,
  type Cover,
  CoverSchema,
  Uuid,
} from "@angzarr/proto";
import { varintSize } from "@angzarr/sdk/src/fast/page-codec.ts";
import { create, toBinary } from "@bufbuild/protobuf";
import { writeVarint } from "./handler-request";

const coverBytesOf = new WeakMap<Cover, Uint8Array>();
const commandBytesOf = new WeakMap<CommandBook, Uint8Array>();

/** The cover's bytes: as `stamped` encoded them for the cover it made, or protobuf-es's. */
export function coverBytes(cover: Cover): Uint8Array {
  return coverBytesOf.get(cover) ?? toBinary(CoverSchema, cover);
}

/** The command book's bytes: as stamped (see `stamped`), or protobuf-es's. */
export function commandBytes(book: CommandBook): Uint8Array {
  return commandBytesOf.get(book) ?? toBinary(CommandBookSchema, book);
}

/** True when the message, or one inside it, holds fields its schema does not know. */
export function hasUnknownFields(value: unknown): boolean {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) return value.some(hasUnknownFields);
  const record = value as Record<string, unknown>;
  const unknown = record.$unknown;
  if (Array.isArray(unknown) && unknown.length > 0) return true;
  for (const key in record) if (key !== "$unknown" && hasUnknownFields(record[key])) return true;
  return false;
}

export interface Stamped {
  book: CommandBook;
  cover: Cover;
  correlationId: string;
}

/**
 * The book with its cover's correlation id: the client's, or CommandBooks.deriveCorrelationId's
 * (UUIDv5 over the canonical encoding of the book as received).
 */
export function stamped(book: CommandBook, cover: Cover): Stamped {
  if (cover.correlationId !== "") {
    const same = create(CoverSchema, { ...cover });
    return {
      book: create(CommandBookSchema, { ...book, cover: same }),
      cover: same,
      correlationId: same.correlationId,
    };
  }
  const canonical = toBinary(CommandBookSchema, book, { writeUnknownFields: false });
  const correlationId = Uuid.v5(CommandBooks.CORRELATION_NAMESPACE, canonical);
  const withId = create(CoverSchema, { ...cover, correlationId });
  const out = create(CommandBookSchema, { ...book, cover: withId });
  if (canonical[0] === 0x0a && !hasUnknownFields(book)) {
    // canonical = [0x0a, length of the cover, the cover, the other fields]
    let length = 0;
    let at = 1;
    for (let shift = 1; ; shift *= 128) {
      const byte = canonical[at++] as number;
      length += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
    }
    const rest = canonical.subarray(at + length);
    const coverOut = toBinary(CoverSchema, withId);
    coverBytesOf.set(withId, coverOut);
    const bytes = new Uint8Array(1 + varintSize(coverOut.length) + coverOut.length + rest.length);
    bytes[0] = 0x0a;
    const p = writeVarint(bytes, 1, coverOut.length);
    bytes.set(coverOut, p);
    bytes.set(rest, p + coverOut.length);
    commandBytesOf.set(out, bytes);
  }
  return { book: out, cover: withId, correlationId };
}
