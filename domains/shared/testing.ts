// Test helpers for the sagas and the process manager: source books of packed events, numbered as
// the runtime delivers them, the payload of an emitted command, and destination aggregates kept in
// memory. Pure; unit tests only.
import {
  AnyPayload,
  type CommandBook,
  ContextualCommandSchema,
  Covers,
  type EventBook,
  EventBookSchema,
  EventBooks,
  EventPages,
  TypeUrl,
  Uuid,
} from "@angzarr/proto";
import type { Aggregate } from "@angzarr/sdk";
import { create, type DescMessage, type Message, type MessageShape } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";

/** A message with its schema, so it can be packed with `type.googleapis.com/`. */
export interface Packable {
  schema: DescMessage;
  message: MessageShape<DescMessage>;
}

export const packable = <D extends DescMessage>(schema: D, message: MessageShape<D>): Packable => ({
  schema,
  message: message as MessageShape<DescMessage>,
});

export interface SourceBookInit {
  domain: string;
  /** 16 bytes for a valid cover; another length to test malformed roots; undefined for none. */
  root: Uint8Array | undefined;
  correlationId?: string;
  firstSequence?: number;
}

/** A book of `events` (messages to pack, or ready-made Any payloads) from `firstSequence` on. */
export function sourceBook(init: SourceBookInit, events: (Packable | Any)[]): EventBook {
  const base = init.firstSequence ?? 0;
  const cover = Covers.make({
    domain: init.domain,
    root: new Uint8Array(16),
    correlationId: init.correlationId ?? "",
  });
  if (init.root === undefined) delete cover.root;
  else cover.root = Uuid.message(init.root);
  return create(EventBookSchema, {
    cover,
    pages: events.map((e, i) =>
      EventPages.numbered(base + i, "schema" in e ? AnyPayload.pack(e.schema, e.message) : e),
    ),
  });
}

/**
 * The payload of a saga/PM command book, checking the shape §3 requires: one page, sequence 0,
 * packed as `type.googleapis.com/{full name}`.
 */
export function commandPayload<D extends DescMessage>(
  book: CommandBook | undefined,
  schema: D,
): MessageShape<D> {
  if (book === undefined) throw new Error("no command book");
  const [page, ...rest] = book.pages;
  if (page === undefined || rest.length > 0) throw new Error(`expected one page, got ${book.pages.length}`);
  if (page.sequence !== 0) throw new Error(`expected sequence 0, got ${page.sequence}`);
  const expected = TypeUrl.forName(schema.typeName);
  if (page.command?.typeUrl !== expected)
    throw new Error(`expected ${expected}, got ${page.command?.typeUrl}`);
  return AnyPayload.unpack(page.command, schema);
}

/** The target of a command book as text, for compact assertions. */
export function target(book: CommandBook | undefined): {
  domain: string;
  root: string;
  correlationId: string;
} {
  const cover = book?.cover;
  return {
    domain: cover?.domain ?? "",
    root: Covers.rootString(cover),
    correlationId: cover?.correlationId ?? "",
  };
}

/** An Any whose bytes do not decode as any message (FF FE FD 00 DE AD). */
export const garbage = (typeUrl: string): Any =>
  create(AnySchema, { typeUrl, value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]) });

/**
 * Destination aggregates held in memory: each saga command runs through the real aggregate's
 * handler against the stored history, and accepted events are appended. Lets a test show that a
 * re-delivered source changes destination state only once. No I/O.
 */
export class DestinationStore<SD extends DescMessage> {
  private readonly books = new Map<string, EventBook>();
  readonly rejections: string[] = [];

  constructor(private readonly aggregate: Aggregate<SD>) {}

  /** Seeds an aggregate's history with prior events. */
  given(root: Uint8Array, ...events: Message[]): this {
    const book = this.history(root);
    const next = EventBooks.nextSequence(book);
    book.pages.push(...events.map((e, i) => EventPages.numbered(next + i, this.aggregate.packEvent(e))));
    return this;
  }

  /** Runs each command; accepted events are stored, rejections recorded by message. */
  run(commands: CommandBook[]): this {
    for (const command of commands) {
      const book = this.history(command.cover?.root?.value ?? new Uint8Array());
      try {
        const response = this.aggregate.handle(create(ContextualCommandSchema, { events: book, command }));
        if (response.result.case === "events") {
          const next = EventBooks.nextSequence(book);
          book.pages.push(
            ...response.result.value.pages.map((p, i) =>
              EventPages.numbered(next + i, p.event ?? create(AnySchema)),
            ),
          );
        }
      } catch (err) {
        if (!(err instanceof ConnectError)) throw err;
        this.rejections.push(err.rawMessage);
      }
    }
    return this;
  }

  /** State of the aggregate at `root`. */
  state(root: Uint8Array): MessageShape<SD> {
    return this.aggregate.rebuild(this.history(root));
  }

  /** Number of stored events at `root`. */
  count(root: Uint8Array): number {
    return this.history(root).pages.length;
  }

  private history(root: Uint8Array): EventBook {
    const key = Buffer.from(root).toString("hex");
    let book = this.books.get(key);
    if (!book) {
      book = create(EventBookSchema, {
        cover: Covers.make({ domain: this.aggregate.domain, root }),
        pages: [],
      });
      this.books.set(key, book);
    }
    return book;
  }
}
