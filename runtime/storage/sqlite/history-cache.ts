// The load of hot main-timeline aggregates (snapshot + encoded pages after it), kept in memory
// so a command does not read and encode them again from the file. An entry is served only while
// it provably equals the file:
// - other connections and processes: SQLite's `PRAGMA data_version` changes on this connection
//   whenever another connection commits to the file. An entry carries the value from before its
//   read (or from inside the write transaction that produced it), so any foreign commit since
//   makes it a miss;
// - this connection: every write to an aggregate's pages or snapshot drops its entry and takes a
//   new generation inside the write transaction. After the commit, the writer may put back what
//   it now knows (the old entry extended by its pages, or its new snapshot with no pages after
//   it) only if nothing else wrote to the aggregate in between and nobody re-read it. A write
//   that rolls back puts nothing back.
// Bounded in bytes; least recently used entries go first.
import type { EncodedPages, SnapshotRecord } from "../types";

export interface CachedHistory {
  /** data_version of the connection when the entry was known to equal the file. */
  version: number;
  snapshot: SnapshotRecord | undefined;
  /** The pages after the snapshot (all of them without one). */
  pages: EncodedPages;
  /**
   * The highest sequence stored for the aggregate when the entry was made (-1: none), when known
   * (a local append knows it; a load with no pages after its snapshot does not).
   */
  last?: number;
}

/** Total bytes of cached pages and snapshot states. */
export const HISTORY_CACHE_BYTES = 32 * 1024 * 1024;
/** Larger histories are not kept (a snapshot cadence keeps hot aggregates far below). */
export const HISTORY_ENTRY_MAX_BYTES = 4 * 1024 * 1024;
/** Local writes remembered until they settle (other write paths never settle theirs). */
const MAX_UNSETTLED = 10_000;

/** The cache key of an aggregate on the main timeline. */
export function historyKey(domain: string, root: Uint8Array): string {
  return `${domain}\u0000${Buffer.from(root.buffer, root.byteOffset, root.byteLength).toString("latin1")}`;
}

/** The sequence the entry's aggregate gives its next event. */
export function nextOf(entry: CachedHistory): number {
  if (entry.pages.lastSequence !== undefined) return entry.pages.lastSequence + 1;
  return entry.snapshot === undefined ? 0 : entry.snapshot.sequence + 1;
}

/**
 * The sequence the file gives the aggregate's next event, when the entry (current) tells:
 * the last page after the snapshot, else what the write that made the entry stored. A snapshot
 * alone does not tell (one may be put at any sequence).
 */
export function storedNextOf(entry: CachedHistory): number | undefined {
  if (entry.pages.lastSequence !== undefined) return entry.pages.lastSequence + 1;
  if (entry.last !== undefined) return entry.last + 1;
  return entry.snapshot === undefined ? 0 : undefined;
}

const sizeOf = (entry: CachedHistory) => entry.pages.bytes.length + (entry.snapshot?.state.value.length ?? 0);

export class HistoryCache {
  private readonly entries = new Map<string, CachedHistory>();
  /**
   * The last local write to each aggregate still to settle, as a number never reused (so a late
   * writer cannot mistake another's write for its own).
   */
  private readonly generations = new Map<string, number>();
  private lastGeneration = 0;
  private bytes = 0;

  constructor(
    private readonly maxBytes = HISTORY_CACHE_BYTES,
    private readonly maxEntryBytes = HISTORY_ENTRY_MAX_BYTES,
  ) {}

  /** The entry when it is still current at `version`; refreshes its recency. */
  get(key: string, version: number): CachedHistory | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.version !== version) {
      this.bytes -= sizeOf(entry);
      return undefined;
    }
    this.entries.set(key, entry);
    return entry;
  }

  /** The entry as it is, unchecked: the base a local write may extend. */
  peek(key: string): CachedHistory | undefined {
    return this.entries.get(key);
  }

  /** Stores what was just read from the file. */
  put(key: string, entry: CachedHistory): void {
    this.drop(key);
    const size = sizeOf(entry);
    if (size > this.maxEntryBytes) return;
    this.entries.set(key, entry);
    this.bytes += size;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= sizeOf(old);
    }
  }

  /** A local write to the aggregate, inside its transaction: drops the entry; the write's generation. */
  written(key: string): number {
    this.drop(key);
    if (this.generations.size >= MAX_UNSETTLED) this.generations.clear();
    const generation = ++this.lastGeneration;
    this.generations.set(key, generation);
    return generation;
  }

  /**
   * After the commit of the write that got `generation`: keeps `entry` when no other write and
   * no read touched the aggregate since.
   */
  settle(key: string, generation: number, entry: () => CachedHistory | undefined): void {
    if (this.generations.get(key) !== generation) return;
    this.generations.delete(key);
    if (this.entries.has(key)) return;
    const known = entry();
    if (known !== undefined) this.put(key, known);
  }

  /** Forgets everything (a write the entries cannot follow, e.g. a whole edition's snapshots). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    // Writes in flight must not put anything back either.
    for (const key of this.generations.keys()) this.generations.set(key, ++this.lastGeneration);
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= sizeOf(entry);
  }
}
