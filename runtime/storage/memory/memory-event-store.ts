// The event store in memory: the reference semantics every backend must match.
//
// Each aggregate (domain, edition, root) holds its own pages in ascending order; a global log
// lists every stored page by position. Every write validates first and mutates afterwards, all
// within one synchronous step, so appends are atomic and never partial.

import {
  Covers,
  Editions,
  type EventBook,
  EventBooks,
  type EventPage,
  EventPageSchema,
  EventPages,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import { clone, create } from "@bufbuild/protobuf";
import { type Any, AnySchema, type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { CausationRecordedError, InvalidInputError, MAX_SEQUENCE, SequenceConflictError } from "../errors";
import type { AggregateRef, AppendOptions, EventStore, GlobalReadFilter, StoredEvent } from "../types";
import type { MemoryCausationStore } from "./memory-causation-store";
import type { MemorySnapshotStore } from "./memory-snapshot-store";
import { aggregateKey, checkPosition, checkRef, checkSequence } from "./validation";

export const MAIN_DELETE_REFUSED = "Cannot delete main timeline events";

interface StoredPage {
  num: number;
  createdAt: Timestamp;
  /** Nanoseconds since the epoch of createdAt, for time comparisons. */
  createdNanos: bigint;
  event: Any | undefined;
  correlationId: string;
  position: bigint;
  traceparent?: string;
}

interface Stream {
  domain: string;
  edition: string;
  root: Uint8Array;
  pages: StoredPage[];
}

interface LogEntry {
  stream: Stream;
  page: StoredPage;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toPage(stored: StoredPage): EventPage {
  return create(EventPageSchema, {
    sequence: { case: "num", value: stored.num },
    createdAt: clone(TimestampSchema, stored.createdAt),
    ...(stored.event ? { event: clone(AnySchema, stored.event) } : {}),
  });
}

/** Last sequence + 1 of a history, else 0. */
function nextOf(history: StoredPage[]): number {
  let next = 0;
  for (const page of history) if (page.num + 1 > next) next = page.num + 1;
  return next;
}

/** A checked append, ready to apply (see MemoryEventStore.planAppend). */
export interface AppendPlan {
  count: number;
  apply(): EventPage[];
}

export class MemoryEventStore implements EventStore {
  readonly #streams = new Map<string, Stream>();
  readonly #log: LogEntry[] = [];
  #lastPosition = 0n;

  constructor(
    private readonly snapshots: MemorySnapshotStore,
    private readonly causations?: MemoryCausationStore,
  ) {}

  async append(ref: AggregateRef, pages: EventPage[], options: AppendOptions): Promise<EventPage[]> {
    const r = checkRef(ref);
    if (pages.length === 0) return [];
    if (options.expectedNext !== undefined) {
      const next = nextOf(this.#composite(r));
      if (next !== options.expectedNext) throw new SequenceConflictError(options.expectedNext, next);
    }
    const plan = this.planAppend(r, pages, options.correlationId, 0, options.traceparent);
    if (options.causation) {
      if (!this.causations) throw new InvalidInputError("this event store keeps no causation records");
      if (this.causations.recorded(options.causation))
        throw new CausationRecordedError(options.causation.component);
    }
    // Validated: from here on nothing throws, so the write is all or nothing.
    if (options.causation) this.causations?.claim(options.causation);
    const stored = plan.apply();
    const last = stored.at(-1) as EventPage;
    if (options.snapshotState) this.snapshots.store(r, EventPages.sequence(last) ?? 0, options.snapshotState);
    return stored;
  }

  /**
   * The checks of an append (typed refusals thrown here), and the write itself as a function that
   * cannot fail, for writes that span several stores (the outbox). `before` counts pages already
   * planned for the same aggregate in the same write, to be applied first.
   */
  planAppend(
    ref: AggregateRef,
    pages: EventPage[],
    correlationId: string,
    before = 0,
    traceparent?: string,
  ): AppendPlan {
    const r = checkRef(ref);
    for (const page of pages) {
      if (page.sequence.case === "num") checkSequence(page.sequence.value, "page sequence");
    }
    let next = nextOf(this.#composite(r)) + before;
    for (const page of pages) {
      if (page.sequence.case === "num" && page.sequence.value !== next) {
        throw new SequenceConflictError(next, page.sequence.value);
      }
      if (next > MAX_SEQUENCE)
        throw new InvalidInputError(`Sequence overflow: ${next} exceeds ${MAX_SEQUENCE}`);
      next++;
    }
    return {
      count: pages.length,
      apply: () => {
        const now = Timestamps.now();
        const stream = this.#stream(r, true);
        let num = nextOf(this.#composite(r));
        const stored = pages.map((page): StoredPage => {
          const createdAt = clone(TimestampSchema, page.createdAt ?? now);
          return {
            num: num++,
            createdAt,
            createdNanos: Timestamps.toNanos(createdAt),
            event: page.event ? clone(AnySchema, page.event) : undefined,
            correlationId,
            position: ++this.#lastPosition,
            ...(traceparent ? { traceparent } : {}),
          };
        });
        for (const page of stored) {
          stream.pages.push(page);
          this.#log.push({ stream, page });
        }
        return stored.map(toPage);
      },
    };
  }

  async get(ref: AggregateRef): Promise<EventPage[]> {
    return this.#composite(checkRef(ref)).map(toPage);
  }

  async getFrom(ref: AggregateRef, from: number): Promise<EventPage[]> {
    const r = checkRef(ref);
    checkSequence(from, "from");
    return this.#composite(r)
      .filter((p) => p.num >= from)
      .map(toPage);
  }

  async getRange(ref: AggregateRef, from: number, to: number): Promise<EventPage[]> {
    const r = checkRef(ref);
    checkSequence(from, "from");
    checkSequence(to, "to");
    return this.#composite(r)
      .filter((p) => p.num >= from && p.num <= to)
      .map(toPage);
  }

  async getUntil(ref: AggregateRef, time: Timestamp): Promise<EventPage[]> {
    const r = checkRef(ref);
    const limit = Timestamps.toNanos(time);
    return this.#composite(r)
      .filter((p) => p.createdNanos <= limit)
      .map(toPage);
  }

  async getByCorrelation(correlationId: string): Promise<EventBook[]> {
    if (correlationId === "") return [];
    const found: { domain: string; edition: string; rootText: string; book: EventBook }[] = [];
    for (const stream of this.#streams.values()) {
      const pages = stream.pages.filter((p) => p.correlationId === correlationId);
      if (pages.length === 0) continue;
      const cover = Covers.make({
        domain: stream.domain,
        root: stream.root.slice(),
        correlationId,
        edition: stream.edition,
      });
      const rootText = Uuid.toText(stream.root);
      found.push({
        domain: stream.domain,
        edition: stream.edition,
        rootText,
        book: EventBooks.make(cover, pages.map(toPage)),
      });
    }
    found.sort(
      (a, b) =>
        compareText(a.domain, b.domain) ||
        compareText(a.edition, b.edition) ||
        compareText(a.rootText, b.rootText),
    );
    return found.map((f) => f.book);
  }

  async correlations(ref: AggregateRef): Promise<{ sequence: number; correlationId: string }[]> {
    const stream = this.#stream(checkRef(ref), false);
    return (stream?.pages ?? []).map((p) => ({ sequence: p.num, correlationId: p.correlationId }));
  }

  async listRoots(domain: string, edition: string): Promise<Uint8Array[]> {
    const name = Editions.normalize(edition);
    return [...this.#streams.values()]
      .filter((s) => s.domain === domain && s.edition === name && s.pages.length > 0)
      .map((s) => s.root.slice())
      .sort(compareBytes);
  }

  async listAggregates(): Promise<{ domain: string; edition: string; root: Uint8Array }[]> {
    return [...this.#streams.values()]
      .filter((s) => s.pages.length > 0)
      .map((s) => ({ domain: s.domain, edition: s.edition, root: s.root.slice() }))
      .sort(
        (a, b) =>
          compareText(a.domain, b.domain) ||
          compareText(a.edition, b.edition) ||
          compareBytes(a.root, b.root),
      );
  }

  async listDomains(): Promise<string[]> {
    const domains = new Set<string>();
    for (const s of this.#streams.values()) if (s.pages.length > 0) domains.add(s.domain);
    return [...domains].sort(compareText);
  }

  async nextSequence(ref: AggregateRef): Promise<number> {
    return nextOf(this.#composite(checkRef(ref)));
  }

  async deleteEdition(domain: string, edition: string): Promise<number> {
    const name = Editions.normalize(edition);
    if (Editions.isMain(name)) throw new InvalidInputError(MAIN_DELETE_REFUSED);
    let count = 0;
    const doomed = new Set<Stream>();
    for (const [key, stream] of this.#streams) {
      if (stream.domain === domain && stream.edition === name) {
        count += stream.pages.length;
        doomed.add(stream);
        this.#streams.delete(key);
      }
    }
    if (doomed.size > 0) {
      const kept = this.#log.filter((e) => !doomed.has(e.stream));
      this.#log.splice(0, this.#log.length, ...kept);
    }
    return count;
  }

  async countEdition(edition: string): Promise<{ domain: string; events: number }[]> {
    const name = Editions.normalize(edition);
    if (Editions.isMain(name))
      throw new InvalidInputError("Count the events of an edition, not of the main timeline");
    const counts = new Map<string, number>();
    for (const stream of this.#streams.values()) {
      if (stream.edition !== name || stream.pages.length === 0) continue;
      counts.set(stream.domain, (counts.get(stream.domain) ?? 0) + stream.pages.length);
    }
    return [...counts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([domain, events]) => ({ domain, events }));
  }

  async readAll(afterPosition: bigint, limit: number, filter: GlobalReadFilter = {}): Promise<StoredEvent[]> {
    checkPosition(afterPosition, "afterPosition");
    if (!Number.isInteger(limit) || limit < 0) throw new InvalidInputError(`Invalid limit: ${limit}`);
    const edition = filter.edition === undefined ? undefined : Editions.normalize(filter.edition);
    const out: StoredEvent[] = [];
    for (let i = this.#firstAfter(afterPosition); i < this.#log.length && out.length < limit; i++) {
      const { stream, page } = this.#log[i] as LogEntry;
      if (filter.domain !== undefined && stream.domain !== filter.domain) continue;
      if (edition !== undefined && stream.edition !== edition) continue;
      out.push({
        position: page.position,
        domain: stream.domain,
        edition: stream.edition,
        root: stream.root.slice(),
        correlationId: page.correlationId,
        page: toPage(page),
        ...(page.traceparent ? { traceparent: page.traceparent } : {}),
      });
    }
    return out;
  }

  async headPosition(): Promise<bigint> {
    return this.#lastPosition;
  }

  /** Index of the first log entry with a position above `position` (binary search). */
  #firstAfter(position: bigint): number {
    let lo = 0;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#log[mid] as LogEntry).page.position <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #stream(ref: AggregateRef, make: true): Stream;
  #stream(ref: AggregateRef, make: false): Stream | undefined;
  #stream(ref: AggregateRef, make: boolean): Stream | undefined {
    const key = aggregateKey(ref.domain, ref.edition, ref.root);
    let stream = this.#streams.get(key);
    if (stream === undefined && make) {
      stream = { domain: ref.domain, edition: ref.edition, root: ref.root.slice(), pages: [] };
      this.#streams.set(key, stream);
    }
    return stream;
  }

  /**
   * The history a ref sees. Main timeline: its own pages. Edition: the main pages below the
   * divergence point followed by the edition's own pages. The divergence point is the ref's
   * explicit one (sequence: main pages with a lower number; time: main pages created at or before
   * it), else the lowest sequence the edition holds (all main pages when it holds none).
   */
  #composite(ref: AggregateRef): StoredPage[] {
    const own = this.#stream(ref, false)?.pages ?? [];
    if (Editions.isMain(ref.edition)) return own;
    const main = this.#stream({ ...ref, edition: Editions.MAIN }, false)?.pages ?? [];
    const divergence = ref.divergence;
    let inherited: StoredPage[];
    if (divergence?.kind === "sequence") {
      inherited = main.filter((p) => p.num < divergence.sequence);
    } else if (divergence?.kind === "time") {
      const limit = Timestamps.toNanos(divergence.time);
      inherited = main.filter((p) => p.createdNanos <= limit);
    } else {
      const first = own[0];
      inherited = first === undefined ? main : main.filter((p) => p.num < first.num);
    }
    return [...inherited, ...own];
  }
}
