// What a component reads out of a whole history, carried from one call to the next. A process
// manager is handed the same aggregate's whole history, a page or so longer, on every event
// (runtime.md §7); folding every page again is then most of its work. A HistoryFold keeps, per
// aggregate, the pages it folded last and the result; a book whose first pages are those very page
// objects (the pages a program keeps between calls are shared, never modified:
// fast/history-pages.ts) starts from a copy of that result and folds only the pages after them.
// Anything else is folded from the start. The check compares page objects one by one, so a result
// is reused only for exactly the pages it was folded from.
import type { Cover, EventBook, EventPage } from "@angzarr/proto";
import type { DecodedPage, EventTypes, SkipHandler } from "./components";
import { aggregateKey, DEFAULT_MAX_KEPT_PAGES } from "./fast/history-pages";

export interface HistoryFoldDefinition<S> {
  /** The pages folded: the component's event types. */
  types: EventTypes;
  /** The result for no pages, from the book's cover. */
  initial: (cover: Cover | undefined) => S;
  /** Folds one decoded page into the result (in place). */
  step: (result: S, page: DecodedPage) => void;
  /** A copy that later steps may change without changing the original. */
  copy: (result: S) => S;
  /** Hears about skipped pages (unknown type or undecodable), as EventTypes.decode does. */
  onSkip?: SkipHandler;
  /**
   * Pages remembered at most over every aggregate (least recently used go first; the pages they
   * hold stay in memory while remembered); default DEFAULT_MAX_KEPT_PAGES.
   */
  maxPages?: number;
}

interface Folded<S> {
  pages: EventPage[];
  result: S;
}

export class HistoryFold<S> {
  private readonly folded = new Map<string, Folded<S>>();
  private readonly maxPages: number;
  private pageCount = 0;
  /** Pages folded anew and pages whose fold was reused (for tests and figures). */
  readonly counts = { folded: 0, reused: 0 };

  constructor(private readonly definition: HistoryFoldDefinition<S>) {
    this.maxPages = definition.maxPages ?? DEFAULT_MAX_KEPT_PAGES;
  }

  /** The result of folding every page of the book. The caller may change it: it is its own copy. */
  read(book: EventBook): S {
    const key = aggregateKey(book.cover);
    const before = this.folded.get(key);
    const pages = book.pages;
    // The kept result is folded on in place: until it is kept again, it is out of the map.
    this.folded.delete(key);
    if (before !== undefined) this.pageCount -= before.pages.length;
    const reuse = before !== undefined && startsWith(pages, before.pages);
    const from = reuse ? before.pages.length : 0;
    const result = reuse ? before.result : this.definition.initial(book.cover);
    const tail = from === 0 ? book : { ...book, pages: pages.slice(from) };
    const onSkip = this.definition.onSkip;
    for (const page of this.definition.types.decode(tail, onSkip, onSkip)) this.definition.step(result, page);
    this.counts.reused += from;
    this.counts.folded += pages.length - from;
    this.folded.set(key, { pages: pages.slice(), result });
    this.pageCount += pages.length;
    // Least recently used first (the one just kept included, when it alone holds more).
    for (const [oldest, entry] of this.folded) {
      if (this.pageCount <= this.maxPages) break;
      this.folded.delete(oldest);
      this.pageCount -= entry.pages.length;
    }
    return this.definition.copy(result);
  }
}

/** Whether `pages` begins with the very page objects of `prefix`. */
function startsWith(pages: EventPage[], prefix: EventPage[]): boolean {
  if (prefix.length > pages.length) return false;
  for (let i = 0; i < prefix.length; i++) if (pages[i] !== prefix[i]) return false;
  return true;
}
