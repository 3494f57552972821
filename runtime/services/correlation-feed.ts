// A live feed of every published book carrying one correlation id, for EventStream.Subscribe and
// CommandGateway.ExecuteStream. Subscribing before executing means nothing published in between
// is missed; `PageLedger` makes sure each event reaches the client once.
import { Covers, type EventBook, EventBookSchema, EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type { EventBus } from "../bus/types";
import { AsyncQueue } from "./async-queue";

let feedCounter = 0;

export interface CorrelationFeed {
  queue: AsyncQueue<EventBook>;
  /** Resolves once books published from now on reach the feed. */
  ready(): Promise<void>;
  close(): void;
}

/** Subscribes to every domain and queues the books whose cover carries `correlationId`. */
export function openCorrelationFeed(bus: EventBus, correlationId: string, label: string): CorrelationFeed {
  const queue = new AsyncQueue<EventBook>();
  const subscription = bus.subscribe(
    `${label}#${++feedCounter}`,
    {},
    (book) => {
      if (book.cover?.correlationId === correlationId) queue.push(book);
    },
    { transient: true },
  );
  return {
    queue,
    ready: () => subscription.ready(),
    close() {
      subscription.unsubscribe();
      queue.close();
    },
  };
}

/** Remembers which events (aggregate + sequence) a stream already delivered. */
export class PageLedger {
  private readonly seen = new Set<string>();

  /**
   * The book reduced to pages not delivered yet, and marks them delivered. Undefined when every
   * page was already sent. Unnumbered pages cannot be identified and always pass.
   */
  admit(book: EventBook): EventBook | undefined {
    const base = aggregateKey(book);
    const fresh = book.pages.filter((page) => {
      const num = EventPages.sequence(page);
      if (num === undefined) return true;
      const key = `${base}\u0000${num}`;
      if (this.seen.has(key)) return false;
      this.seen.add(key);
      return true;
    });
    if (fresh.length === book.pages.length) return book.pages.length === 0 ? undefined : book;
    if (fresh.length === 0) return undefined;
    return create(EventBookSchema, { ...book, pages: fresh });
  }
}

function aggregateKey(book: EventBook): string {
  const cover = book.cover;
  const root = cover?.root?.value;
  const rootHex = root === undefined ? "" : Buffer.from(root).toString("hex");
  return `${cover?.domain ?? ""}\u0000${Covers.edition(cover)}\u0000${rootHex}`;
}
