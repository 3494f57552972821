// Pages of whole histories, kept between calls. Sagas and process managers are handed whole
// aggregate histories (runtime.md §4, §7): a PM gets the same inventory history, a page longer,
// on every order, and reading every page of it again (then decoding its event) is most of what it
// does. A program keeps, per aggregate (domain, root, edition), the bytes of the page fields it
// read last and the pages read from them. A book whose page fields start with exactly those bytes
// takes the kept pages and reads only the pages after them; a book whose page fields are a
// shorter run of them (an older request that arrives late) takes that many. Reading a page is a
// pure function of its bytes, so equal bytes give equal pages: comparing bytes (memcmp) is all
// that is checked, and the key only decides which bytes are compared.
//
// The pages handed out are shared between calls (and their events, decoded once, between the
// calls of a component: components.ts): a program reads them, never modifies them.
import type { Cover, EventPage } from "@angzarr/proto";
import { pageRun, readPageAt } from "./page-codec";

/** Pages kept over every aggregate of one program part, at most; least recently used go first. */
export const DEFAULT_MAX_KEPT_PAGES = 25_000;

interface Kept {
  /** The page fields read, in buffer[0, length); the buffer grows by doubling. */
  buffer: Uint8Array;
  length: number;
  /** End of each page's field in the buffer. */
  ends: number[];
  pages: EventPage[];
}

/** Pages that came out of a HistoryPages: their decoded events may be kept as well. */
const keptPages = new WeakSet<EventPage>();

/** Whether the page is one a HistoryPages keeps (shared between calls, never modified). */
export function isKeptPage(page: EventPage): boolean {
  return keptPages.has(page);
}

function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, length: number): boolean {
  return Buffer.compare(a.subarray(aStart, aStart + length), b.subarray(0, length)) === 0;
}

/**
 * One aggregate's key in a program's caches: domain, root and timeline (edition with its branch
 * points); the correlation id is not part of it.
 */
export function aggregateKey(cover: Cover | undefined): string {
  const root = cover?.root?.value ?? new Uint8Array(0);
  const edition = cover?.edition;
  const divergences = edition?.divergences.map((d) => `${d.domain}:${d.sequence}`).join(",") ?? "";
  return `${cover?.domain ?? ""}\u0000${Buffer.from(root).toString("hex")}\u0000${edition?.name ?? ""}\u0000${divergences}`;
}

export class HistoryPages {
  private readonly kept = new Map<string, Kept>();
  private keptCount = 0;
  /** Pages handed out from earlier reads, and pages read anew (for tests and figures). */
  readonly counts = { reused: 0, read: 0 };

  constructor(private readonly maxPages = DEFAULT_MAX_KEPT_PAGES) {}

  /** Aggregates kept. */
  get size(): number {
    return this.kept.size;
  }

  /**
   * The pages of the run of page fields that starts at `start` in `buf` (a book's bytes, up to
   * `end`), and where the run stops; undefined when some page is malformed or holds what the page
   * reader declines (protobuf-es then reads the whole book, and nothing is kept).
   */
  read(
    cover: Cover,
    buf: Uint8Array,
    start: number,
    end: number,
  ): { pages: EventPage[]; next: number } | undefined {
    const key = aggregateKey(cover);
    const before = this.kept.get(key);
    let reused = 0;
    if (before !== undefined) {
      if (before.length <= end - start && sameBytes(buf, start, before.buffer, before.length)) {
        reused = before.length;
      } else {
        const run = pageRun(buf, start, end);
        if (run === undefined) return undefined;
        const length = run.stop - start;
        const count = length === 0 ? -1 : before.ends.indexOf(length) + 1;
        if (count > 0 && sameBytes(buf, start, before.buffer, length)) {
          this.kept.delete(key);
          this.kept.set(key, before);
          this.counts.reused += count;
          return { pages: before.pages.slice(0, count), next: run.stop };
        }
      }
    }
    const tail = pageRun(buf, start + reused, end);
    if (tail === undefined) return undefined;
    const added = tail.stop - (start + reused);
    if (added === 0 && reused === 0) return undefined;
    const kept: Kept =
      reused > 0 && before !== undefined
        ? before
        : { buffer: new Uint8Array(Math.max(added, 1024)), length: 0, ends: [], pages: [] };
    const keptBefore = before?.pages.length ?? 0;
    // The new fields are copied after the kept ones (never over them: pages read before hold views
    // of the buffer), then read from the copy.
    let buffer = kept.buffer;
    if (kept.length + added > buffer.length) {
      buffer = new Uint8Array(Math.max(kept.length + added, buffer.length * 2));
      buffer.set(kept.buffer.subarray(0, kept.length));
    }
    buffer.set(buf.subarray(start + reused, tail.stop), kept.length);
    const shift = kept.length - (start + reused);
    const pages: EventPage[] = new Array(tail.starts.length);
    for (let i = 0; i < tail.starts.length; i++) {
      const page = readPageAt(buffer, (tail.starts[i] as number) + shift, (tail.ends[i] as number) + shift);
      if (page === undefined) return undefined;
      pages[i] = page;
    }
    kept.buffer = buffer;
    kept.length += added;
    for (let i = 0; i < pages.length; i++) {
      const page = pages[i] as EventPage;
      keptPages.add(page);
      kept.pages.push(page);
      kept.ends.push((tail.ends[i] as number) + shift);
    }
    this.counts.reused += kept.pages.length - pages.length;
    this.counts.read += pages.length;
    this.kept.delete(key);
    this.kept.set(key, kept);
    this.keptCount += kept.pages.length - keptBefore;
    // Least recently used first, down to the bound (the entry just read included, when it alone
    // holds more).
    for (const [oldest, entry] of this.kept) {
      if (this.keptCount <= this.maxPages) break;
      this.kept.delete(oldest);
      this.keptCount -= entry.pages.length;
    }
    return { pages: kept.pages.slice(), next: tail.stop };
  }
}
