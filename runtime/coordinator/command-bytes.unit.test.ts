import { describe, expect, test } from "bun:test";
import {
  type CommandBook,
  CommandBookSchema,
  CommandBooks,
  CommandPageSchema,
  CoverSchema,
  Covers,
  SagaCommandOriginSchema,
} from "@angzarr/proto";
import { seeded } from "@angzarr/sdk";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { commandBytes, coverBytes, hasUnknownFields, stamped } from "./command-bytes";

/** Command books of the shapes a client or a saga sends: editions, several pages, a saga origin. */
function randomBook(rand: () => number): CommandBook {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const cover = () =>
    Covers.make({
      domain: `d${int(3)}`,
      root: bytes(16),
      ...(rand() < 0.3 ? { correlationId: `c-${int(1000)}` } : {}),
      ...(rand() < 0.3 ? { edition: `e${int(3)}` } : {}),
    });
  return create(CommandBookSchema, {
    cover: cover(),
    pages: Array.from({ length: 1 + int(3) }, () =>
      create(CommandPageSchema, {
        sequence: int(300),
        ...(rand() < 0.9
          ? {
              command: create(AnySchema, {
                typeUrl: `type.googleapis.com/t.C${int(4)}`,
                value: bytes(int(200)),
              }),
            }
          : {}),
      }),
    ),
    ...(rand() < 0.3
      ? {
          sagaOrigin: create(SagaCommandOriginSchema, {
            sagaName: "s",
            triggeringAggregate: cover(),
            triggeringEventSequence: int(50),
          }),
        }
      : {}),
  });
}

/** `bytes` with an unknown varint field 99 appended (what a newer peer's field looks like). */
function withUnknown(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from([...bytes, 0x98, 0x06, 0x07]);
}

describe("a command stamped with its correlation id", () => {
  test("seeded books: the derived id, and the stamped book's bytes are protobuf-es's", () => {
    const rand = seeded(13);
    for (let i = 0; i < 500; i++) {
      const book = randomBook(rand);
      const given = book.cover?.correlationId ?? "";
      const out = stamped(book, book.cover as NonNullable<CommandBook["cover"]>);
      expect(out.correlationId).toBe(given === "" ? CommandBooks.deriveCorrelationId(book) : given);
      expect(out.cover.correlationId).toBe(out.correlationId);
      expect(out.book.cover).toBe(out.cover);
      expect(
        Buffer.from(commandBytes(out.book)).equals(Buffer.from(toBinary(CommandBookSchema, out.book))),
      ).toBe(true);
      expect(Buffer.from(coverBytes(out.cover)).equals(Buffer.from(toBinary(CoverSchema, out.cover)))).toBe(
        true,
      );
      // The book as received is left as it was.
      expect(book.cover?.correlationId).toBe(given);
    }
  });

  test("unknown fields anywhere in the book are kept in its bytes and left out of the id", () => {
    const rand = seeded(7);
    for (let i = 0; i < 100; i++) {
      const plain = randomBook(rand);
      if (plain.cover) plain.cover.correlationId = "";
      const page = plain.pages[0] as CommandBook["pages"][number];
      const nested = create(CommandBookSchema, {
        ...plain,
        pages: [
          fromBinary(CommandPageSchema, withUnknown(toBinary(CommandPageSchema, page))),
          ...plain.pages.slice(1),
        ],
      });
      const top = fromBinary(CommandBookSchema, withUnknown(toBinary(CommandBookSchema, plain)));
      for (const book of [nested, top]) {
        expect(hasUnknownFields(book)).toBe(true);
        const out = stamped(book, book.cover as NonNullable<CommandBook["cover"]>);
        expect(out.correlationId).toBe(CommandBooks.deriveCorrelationId(plain));
        const bytes = commandBytes(out.book);
        expect(Buffer.from(bytes).equals(Buffer.from(toBinary(CommandBookSchema, out.book)))).toBe(true);
        expect(Buffer.from(bytes).includes(Buffer.from([0x98, 0x06, 0x07]))).toBe(true);
      }
      expect(hasUnknownFields(plain)).toBe(false);
    }
  });
});
