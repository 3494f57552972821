// Checkpointed async consumers (runtime.md §5), one checkpoint per (consumer, domain, edition).
// The store's global log is the source of truth; bus messages only wake the consumer up. On
// start, on every wake-up and on a slow timer the consumer reads its domain's events of one
// timeline after its checkpoint, groups them into books (one per command: consecutive events of
// one aggregate), processes each aggregate's books in order and advances the checkpoint. A
// dropped, duplicated or reordered bus message therefore never loses or double-applies an event.
// A book that keeps failing is retried with backoff, then parked in the dead-letter queue (or the
// consumer stops, if configured so).
import { CoverSchema, Covers, Editions, type EventBook, EventBookSchema, TypeUrl } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import type { BusFilter, BusSubscription, EventBus } from "../bus/types";
import { type Logger, log as rootLog } from "../observability/log";
import type { DeadLetterStore, EventStore, PositionStore, StoredEvent } from "../storage/types";
import { type BackoffPolicy, delayFor, sleep } from "./backoff";
import { type PageUpcaster, upcastBook } from "./upcasting";

export interface ConsumerOptions {
  /** Checkpoint name, e.g. the saga's program name. */
  name: string;
  filter: BusFilter;
  events: EventStore;
  positions: PositionStore;
  deadLetters: DeadLetterStore;
  bus: EventBus;
  process: (book: EventBook) => Promise<void>;
  onFailure?: "dead-letter" | "stop";
  retry?: BackoffPolicy;
  /** Poll interval when nothing wakes the consumer, ms. */
  pollMs?: number;
  batchSize?: number;
  /** Aggregates processed side by side (default 16); each aggregate stays in order. */
  concurrency?: number;
  /**
   * The timeline this consumer follows ("" = main), with its own checkpoint. Absent: every
   * timeline in one cursor, checkpointed under ALL_EDITIONS (unfiltered consumers).
   */
  edition?: string;
  /** Subscribe to the bus itself (default), or be woken by an owner (EditionConsumers). */
  subscribe?: boolean;
  /**
   * EditionConsumers: timelines of the domain to follow besides the main one and those announced
   * on the bus. `initial` is asked once at start (may scan the store), `periodic` now and then
   * (should be cheap, e.g. the editions registry).
   */
  editions?: { initial(domain: string): Promise<string[]>; periodic(domain: string): Promise<string[]> };
  /** Upgrades stored pages before the type filter and the handler see them (runtime.md §9). */
  upcast?: PageUpcaster;
  log?: Logger;
}

/** Checkpoint key of a cursor that follows every timeline at once. */
export const ALL_EDITIONS = "*";

export class CheckpointedConsumer {
  private subscription: BusSubscription | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly log: Logger;
  /**
   * Per aggregate, the last position processed beyond the checkpoint: a batch cut short (a lane
   * failed, the consumer stopped) is read again, and what it already did is skipped.
   */
  private readonly done = new Map<string, bigint>();
  /** Books processed, for tests and metrics. */
  processed = 0;
  /** Events in those books. */
  processedEvents = 0;

  constructor(private readonly options: ConsumerOptions) {
    this.log = options.log ?? rootLog.child({ consumer: options.name });
  }

  private get domain(): string {
    return this.options.filter.domain ?? "";
  }

  private get checkpointEdition(): string {
    return this.options.edition ?? ALL_EDITIONS;
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.options.subscribe !== false) {
      this.subscription = this.options.bus.subscribe(this.options.name, this.options.filter, () =>
        this.wake(),
      );
      this.timer = setInterval(() => this.wake(), this.options.pollMs ?? 250);
    }
    await this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Catches up now (coalesces concurrent wake-ups); resolves when caught up. */
  wake(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.catchUp();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.log.error("consumer.catch_up_failed", { error: (err as Error).message });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  get name(): string {
    return this.options.name;
  }

  /** Forgets the checkpoint: the next catch-up starts from the beginning of the log. */
  async resetCheckpoint(): Promise<void> {
    this.done.clear();
    await this.options.positions.reset(this.options.name, this.domain, this.checkpointEdition);
  }

  /** The checkpoint (0n = nothing processed). */
  async checkpoint(): Promise<bigint> {
    return (await this.options.positions.get(this.options.name, this.domain, this.checkpointEdition)) ?? 0n;
  }

  private async catchUp(): Promise<void> {
    const batch = this.options.batchSize ?? 500;
    for (;;) {
      if (this.stopped) return;
      const after = await this.checkpoint();
      const filter = {
        ...(this.options.filter.domain !== undefined ? { domain: this.options.filter.domain } : {}),
        ...(this.options.edition !== undefined ? { edition: this.options.edition } : {}),
      };
      const events = await this.options.events.readAll(after, batch, filter);
      if (events.length === 0) return;
      // Order matters per aggregate only: books of different aggregates run side by side (up to
      // `concurrency` lanes); each lane keeps its aggregate's order. The checkpoint moves past
      // the batch once every lane is done; a batch cut short is read again, and causation records
      // (sagas, PMs) and (root, sequence) idempotency (projectors) make the repeat harmless.
      const lanes = new Map<string, { book: EventBook; upcast: boolean; last: bigint }[]>();
      for (const group of groupByCommand(events)) {
        const head = group[0] as StoredEvent;
        const key = `${head.domain}\u0000${head.edition}\u0000${Buffer.from(head.root).toString("hex")}`;
        // Upcast before the type filter; a failing upcaster is retried (then parked) with the book.
        const raw = toBook(group);
        const book = await this.upcast(raw);
        if (book !== undefined && !this.wanted(book)) continue;
        const item = {
          book: book ?? raw,
          upcast: book === undefined,
          last: (group.at(-1) as StoredEvent).position,
        };
        const lane = lanes.get(key);
        if (lane) lane.push(item);
        else lanes.set(key, [item]);
      }
      let complete = true;
      // Every lane settles before the catch-up ends, even when one fails: an aggregate is never
      // in two lanes (or two catch-ups) at once.
      await runLanes([...lanes.entries()], this.options.concurrency ?? 16, async ([key, lane]) => {
        for (const { book, upcast, last } of lane) {
          if (!complete || this.stopped) return;
          // Done by an earlier try of this batch that stopped short: not again.
          if ((this.done.get(key) ?? 0n) >= last) continue;
          if (!(await this.processWithRetry(book, upcast))) {
            complete = false;
            return;
          }
          this.done.set(key, last);
        }
      });
      if (!complete || this.stopped) return;
      const last = events.at(-1) as StoredEvent;
      await this.options.positions.put(this.options.name, this.domain, this.checkpointEdition, last.position);
      this.done.clear();
      if (events.length < batch) return;
    }
  }

  /** The book upcast; undefined (logged) when the upcaster fails (processing tries again). */
  private async upcast(book: EventBook): Promise<EventBook | undefined> {
    try {
      return await upcastBook(this.options.upcast, book);
    } catch (err) {
      this.log.warn("consumer.upcast_failed", { domain: book.cover?.domain, error: (err as Error).message });
      return undefined;
    }
  }

  private wanted(book: EventBook): boolean {
    const types = this.options.filter.eventTypes ?? [];
    if (types.length === 0) return true;
    return book.pages.some((p) =>
      types.some((t) => TypeUrl.matchesEventType(t, TypeUrl.fullName(p.event?.typeUrl ?? ""))),
    );
  }

  /** True when processed (or parked in the DLQ); false when the consumer must stop here. */
  private async processWithRetry(book: EventBook, upcastFirst = false): Promise<boolean> {
    const policy = this.options.retry ?? { initialMs: 50, maxMs: 2000, attempts: 5 };
    for (let attempt = 1; ; attempt++) {
      try {
        const current = upcastFirst ? await upcastBook(this.options.upcast, book) : book;
        if (upcastFirst && !this.wanted(current)) return true;
        await this.options.process(current);
        this.processed++;
        this.processedEvents += book.pages.length;
        return true;
      } catch (err) {
        const message = (err as Error).message ?? String(err);
        if (attempt < policy.attempts && !this.stopped) {
          this.log.warn("consumer.retry", { attempt, error: message });
          await sleep(delayFor(policy, attempt));
          continue;
        }
        if (this.stopped) return false;
        if ((this.options.onFailure ?? "dead-letter") === "stop") {
          this.log.error("consumer.stopped", { error: message });
          this.stopped = true;
          return false;
        }
        const cover = book.cover;
        const first = book.pages[0];
        const edition = Covers.edition(cover);
        const root = cover?.root?.value ?? new Uint8Array(16);
        const sequence = first?.sequence.case === "num" ? first.sequence.value : 0;
        await this.options.deadLetters.add({
          consumer: this.options.name,
          domain: cover?.domain ?? "",
          edition,
          root,
          sequence,
          correlationId: cover?.correlationId ?? "",
          reason: message,
          payloadType: EventBookSchema.typeName,
          payload: toBinary(EventBookSchema, book),
          // Parked once, even when a crash makes the consumer fail on this book again.
          key: `consumer/${this.options.name}/${cover?.domain ?? ""}/${edition}/${Buffer.from(root).toString("hex")}/${sequence}`,
        });
        this.log.error("consumer.dead_lettered", { error: message, domain: cover?.domain });
        return true;
      }
    }
  }
}

/**
 * One consumer of one domain, with a checkpoint per timeline (consumer, domain, edition): the
 * main timeline always, and every edition found in the store or announced on the bus. Each
 * timeline's cursor moves on its own, so an edition's events never hold the main timeline back.
 * A consumer without a domain filter keeps one cursor over everything.
 */
export class EditionConsumers {
  private readonly byEdition = new Map<string, CheckpointedConsumer>();
  private subscription: BusSubscription | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polls = 0;
  private stopped = true;

  constructor(private readonly options: ConsumerOptions) {}

  get name(): string {
    return this.options.name;
  }

  get processed(): number {
    return [...this.byEdition.values()].reduce((n, c) => n + c.processed, 0);
  }

  get processedEvents(): number {
    return [...this.byEdition.values()].reduce((n, c) => n + c.processedEvents, 0);
  }

  async start(): Promise<void> {
    this.stopped = false;
    // After a stop (a rebuild), the timelines already known start again from their checkpoints.
    await Promise.all([...this.byEdition.values()].map((c) => c.start()));
    if (this.options.filter.domain === undefined) {
      await this.ensure(undefined);
    } else {
      await this.ensure(Editions.MAIN);
      await this.discover("initial");
    }
    this.subscription = this.options.bus.subscribe(this.options.name, this.options.filter, (book) => {
      if (this.stopped) return;
      const edition = this.options.filter.domain === undefined ? undefined : Covers.edition(book.cover);
      const consumer = this.byEdition.get(edition ?? ALL_EDITIONS);
      if (consumer) void consumer.wake();
      else void this.ensure(edition);
    });
    this.timer = setInterval(() => {
      // Every so often, look for editions whose first message the bus lost.
      if (++this.polls % 20 === 0) void this.discover("periodic");
      for (const c of this.byEdition.values()) void c.wake();
    }, this.options.pollMs ?? 250);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.byEdition.values()].map((c) => c.stop()));
  }

  /** Catches every timeline up; resolves when all are caught up. */
  async wake(): Promise<void> {
    await Promise.all([...this.byEdition.values()].map((c) => c.wake()));
  }

  async resetCheckpoint(): Promise<void> {
    await Promise.all([...this.byEdition.values()].map((c) => c.resetCheckpoint()));
  }

  /** Each followed timeline's checkpoint ("*" = the one cursor of an unfiltered consumer). */
  async checkpoints(): Promise<{ domain: string; edition: string; position: bigint }[]> {
    const domain = this.options.filter.domain ?? "";
    return Promise.all(
      [...this.byEdition.entries()].map(async ([edition, c]) => ({
        domain,
        edition,
        position: await c.checkpoint(),
      })),
    );
  }

  /** Starts a consumer for every edition of this domain the source knows. */
  private async discover(when: "initial" | "periodic"): Promise<void> {
    const domain = this.options.filter.domain;
    const source = this.options.editions;
    if (domain === undefined || source === undefined || this.stopped) return;
    try {
      const editions = await source[when](domain);
      for (const edition of editions) if (!this.byEdition.has(edition)) await this.ensure(edition);
    } catch (err) {
      rootLog.warn("consumer.edition_discovery_failed", {
        consumer: this.options.name,
        error: (err as Error).message,
      });
    }
  }

  private async ensure(edition: string | undefined): Promise<void> {
    const key = edition ?? ALL_EDITIONS;
    if (this.byEdition.has(key) || this.stopped) return;
    const consumer = new CheckpointedConsumer({
      ...this.options,
      subscribe: false,
      ...(edition !== undefined ? { edition } : {}),
    });
    this.byEdition.set(key, consumer);
    await consumer.start();
  }
}

/**
 * Runs `work` over `items` with at most `limit` in flight. Resolves once every started item has
 * settled; a failure stops new items from starting and is thrown after the others have settled.
 */
async function runLanes<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** Consecutive events of one aggregate and correlation form one book (one command's delta). */
export function groupByCommand(events: StoredEvent[]): StoredEvent[][] {
  const groups: StoredEvent[][] = [];
  for (const e of events) {
    const current = groups.at(-1);
    const head = current?.[0];
    if (
      current &&
      head &&
      head.domain === e.domain &&
      head.edition === e.edition &&
      head.correlationId === e.correlationId &&
      Buffer.compare(head.root, e.root) === 0
    ) {
      current.push(e);
    } else {
      groups.push([e]);
    }
  }
  return groups;
}

export function toBook(group: StoredEvent[]): EventBook {
  const head = group[0] as StoredEvent;
  return create(EventBookSchema, {
    cover: create(CoverSchema, {
      domain: head.domain,
      root: { value: head.root },
      correlationId: head.correlationId,
      ...(head.edition === Editions.MAIN ? {} : { edition: { name: head.edition } }),
    }),
    pages: group.map((e) => e.page),
  });
}
