// Whole main-timeline histories as sagas and process managers are given them (read and upcast),
// kept in memory so that the next read of the same aggregate reads and upcasts only the pages
// stored since. A PM is handed its trigger's full history on every event of it (runtime.md §5):
// without this, every StockReserved read back the whole inventory aggregate, decoded it and sent
// it through the upcaster's program again, a cost that grew with the aggregate.
//
// Sound because the main timeline only grows at its end: its events are never deleted or
// rewritten (deleteEdition refuses the main timeline), and a sequence is stored only after the one
// before it (the append's sequence check), so the pages any reader sees are always a gap-free
// prefix. An entry is extended by `getFrom(ref, next)`, which sees every page another connection
// or process has committed since. Editions (whose events can be deleted) and explicit branch
// points are not kept. The upcaster is a function of the stored page (runtime.md §9): a page
// upcast once stays upcast the same way.
//
// Each kept history also keeps its pages encoded (book-bytes.ts): a request carrying the whole
// history copies them in one piece. Bounded in pages; least recently used aggregates go first.
// Callers get their own array; the pages are shared and must not be modified (nothing on the
// reactive path does).
import { type EventPage, EventPages } from "@angzarr/proto";
import type { AggregateRef, EventStore } from "../storage/types";
import { HistoryBytes } from "./book-bytes";
import { applyUpcaster, type PageUpcaster } from "./upcasting";

/** Pages kept over every aggregate. */
export const UPCAST_HISTORY_PAGES = 100_000;

function keyOf(ref: AggregateRef): string {
  return `${ref.domain}\u0000${Buffer.from(ref.root).toString("hex")}`;
}

/** True when the pages are numbered from, from + 1, ... with no gap. */
function numberedFrom(pages: EventPage[], from: number): boolean {
  return pages.every((page, i) => EventPages.sequence(page) === from + i);
}

export class UpcastHistories {
  /**
   * Per aggregate, its history from sequence 0 (never modified: replaced when it grows) and its
   * pages' encoded fields (requests to programs copy them whole).
   */
  private readonly entries = new Map<string, { pages: EventPage[]; bytes: HistoryBytes }>();
  private size = 0;
  /** Reads answered from memory (with only the newer pages read), for tests and metrics. */
  hits = 0;

  constructor(private readonly limit = UPCAST_HISTORY_PAGES) {}

  /** Whether reads of this aggregate are kept: main timeline, no branch point. */
  static keeps(ref: AggregateRef): boolean {
    return ref.edition === "" && ref.divergence === undefined && ref.root.length === 16;
  }

  /** Whether a read of the aggregate would read only the pages stored since the last one. */
  holds(ref: AggregateRef): boolean {
    return UpcastHistories.keeps(ref) && this.entries.has(keyOf(ref));
  }

  /**
   * The aggregate's whole history, upcast; `read` reads it whole when nothing is kept (so a
   * caller may batch those reads). Aggregates not kept are read whole every time.
   */
  async history(
    events: EventStore,
    ref: AggregateRef,
    upcast: PageUpcaster | undefined,
    read: () => Promise<EventPage[]> = () => events.get(ref),
  ): Promise<EventPage[]> {
    if (!UpcastHistories.keeps(ref)) return applyUpcaster(upcast, ref.domain, await read());
    const key = keyOf(ref);
    const kept = this.entries.get(key)?.pages;
    let pages: EventPage[];
    if (kept) {
      const fresh = await applyUpcaster(upcast, ref.domain, await events.getFrom(ref, kept.length));
      if (!numberedFrom(fresh, kept.length)) {
        // Not what an append-only timeline gives: forget it and read it whole.
        this.forget(key);
        return applyUpcaster(upcast, ref.domain, await read());
      }
      this.hits++;
      pages = fresh.length === 0 ? kept : kept.concat(fresh);
    } else {
      pages = await applyUpcaster(upcast, ref.domain, await read());
      if (!numberedFrom(pages, 0)) return pages;
    }
    this.remember(key, pages, kept);
    return pages.slice();
  }

  /**
   * Keeps `pages` as the aggregate's history unless a longer one was kept meanwhile; `base` is the
   * kept list it extends (undefined: read whole).
   */
  private remember(key: string, pages: EventPage[], base: EventPage[] | undefined): void {
    const current = this.entries.get(key);
    if (current !== undefined && current.pages.length > pages.length) return;
    const bytes = current?.bytes ?? new HistoryBytes();
    bytes.extend(pages, base);
    this.forget(key);
    this.entries.set(key, { pages, bytes });
    this.size += pages.length;
    // Least recently used first; one aggregate alone over the limit is not kept either.
    for (const [other, entry] of this.entries) {
      if (this.size <= this.limit) return;
      this.entries.delete(other);
      this.size -= entry.pages.length;
    }
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.size -= entry.pages.length;
  }
}
