// Checkpointed async consumers (runtime.md §5), one checkpoint per (consumer, domain, edition).
// The store's global log is the source of truth; bus messages only wake the consumer up. On
// start, on every wake-up and on a slow timer the consumer reads its domain's events of one
// timeline after its checkpoint, groups them into books (one per command: consecutive events of
// one aggregate), processes each aggregate's books in order and advances the checkpoint. A
// dropped, duplicated or reordered bus message therefore never loses or double-applies an event.
// A book that keeps failing is retried with backoff, then parked in the dead-letter queue (or the
// consumer stops, if configured so).
import {
  CoverSchema,
  Covers,
  Editions,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPages,
  TypeUrl,
} from "@angzarr/proto";
import { SpanKind, traced, withRemoteParent } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import type { BusFilter, BusSubscription, EventBus } from "../bus/types";
import { type Logger, log as rootLog } from "../observability/log";
import { rememberBookTrace, traceOf } from "../observability/trace-links";
import type { DeadLetterStore, EventStore, PositionStore, StoredEvent } from "../storage/types";
import { type BackoffPolicy, delayFor, sleep } from "./backoff";
import { reactiveTurn } from "./fair-share";
import { applyUpcaster, type PageUpcaster, upcastBook } from "./upcasting";

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
  /** Aggregates processed side by side (default LANES); each aggregate stays in order. */
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
  /**
   * Whether this replica may process now (EditionConsumers: its bus subscription is the active
   * one of the queue). A standby replica neither catches up nor moves the checkpoint.
   */
  active?: () => boolean;
  /**
   * Called once when the edition this consumer follows was deleted under it (EditionConsumers
   * stops following it). The consumer has stopped by then.
   */
  onTimelineGone?: () => void;
  log?: Logger;
}

/** One book of a batch in its aggregate's lane; `upcast`: its upcast failed, try it first. */
interface LaneItem {
  book: EventBook;
  upcast: boolean;
  /** Position of its last event. */
  last: bigint;
}

/** A batch read from the log, ready to process. */
interface PreparedBatch {
  events: StoredEvent[];
  lanes: Map<string, LaneItem[]>;
  reached: Map<string, number>;
}

/** A checkpoint as a catch-up stored or read it, and the resets the consumer had seen then. */
interface Known {
  position: bigint;
  resets: number;
  /** When it was last read from, or written to, the store (performance.now()). */
  at: number;
}

/**
 * Aggregates a catch-up processes side by side by default. A book's processing is mostly waiting
 * (handler calls, store round trips, a saga's command to another process), so a consumer takes
 * about LANES books per book latency: with 16, a distributed saga whose books took 30 ms each
 * could not keep up with 500 orders/s, and every book waited for the batches before it. More
 * books in flight also share more group commits downstream. 64 is also what a handler program's
 * socket client and a peer coordinator's HTTP/1.1 pool open at most.
 */
export const LANES = 64;

/** How long a catch-up run goes on from the checkpoint it stored before reading it again, ms. */
const KNOWN_FOR_MS = 1_000;

/** One aggregate's key in the consumer's maps (done, checkpointed, late, lanes). */
function aggregateKey(domain: string, edition: string, root: Uint8Array): string {
  return `${domain}\u0000${edition}\u0000${Buffer.from(root).toString("hex")}`;
}

/** Checkpoint key of a cursor that follows every timeline at once. */
export const ALL_EDITIONS = "*";

/**
 * A book a bus message announced but the catch-up did not reach: caught up again after
 * LATE_BOOK_FIRST_MS, doubling up to LATE_BOOK_MAX_MS, for at most LATE_BOOK_GIVE_UP_MS.
 */
const LATE_BOOK_FIRST_MS = 20;
const LATE_BOOK_MAX_MS = 1_000;
const LATE_BOOK_GIVE_UP_MS = 30_000;

/** How long a consumer's start waits for the bus to grant it its queue (replicas: one at a time). */
const ACTIVATION_WAIT_MS = 2_000;

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
  /**
   * Per aggregate, the last sequence a stored checkpoint has passed: a bus message for a book no
   * later than that needs no catch-up (its effects are done and the checkpoint is durable).
   * A hint only: cleared when it grows large, at a reset and at a stop.
   */
  private readonly checkpointed = new Map<string, number>();
  /**
   * Per aggregate, the last sequence of a book a bus message announced that the catch-up it
   * started did not reach (not readable yet), and since when: come back for it (wakeFor).
   */
  private readonly late = new Map<string, { sequence: number; since: number }>();
  private lateTimer: ReturnType<typeof setTimeout> | undefined;
  private lateRound = 0;
  /** Checkpoint resets so far: a checkpoint remembered from before one is stale. */
  private resets = 0;
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
      this.subscription = this.options.bus.subscribe(this.options.name, this.options.filter, (book) =>
        this.wakeFor(book),
      );
      this.timer = setInterval(() => this.poll(), this.options.pollMs ?? 250);
    }
    await this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.forgetLateBooks();
    await this.running;
    this.checkpointed.clear();
  }

  /**
   * A bus message's wake-up: resolves at once when a stored checkpoint has passed the book's last
   * page already (the message came after a catch-up that read its events), else catches up. A
   * catch-up that did not reach the book (its events not readable yet: on PostgreSQL a transaction
   * older than the book's is still open somewhere on the server) is tried again shortly, until it
   * reaches it (LATE_BOOK_*): the wake-up is not left to the poll.
   */
  async wakeFor(book: EventBook): Promise<void> {
    const cover = book.cover;
    const last = book.pages.at(-1);
    const sequence = last === undefined ? undefined : EventPages.sequence(last);
    if (!cover?.root || sequence === undefined) return this.wake();
    const key = aggregateKey(cover.domain, Covers.edition(cover), cover.root.value);
    if (this.passed(key, sequence) && this.isActive()) return;
    await this.wake();
    if (this.passed(key, sequence) || this.stopped || !this.isActive()) return;
    this.log.debug("consumer.book_not_readable", { domain: cover.domain, sequence });
    this.late.set(key, { sequence, since: performance.now() });
    this.comeBackForLateBooks();
  }

  private passed(key: string, sequence: number): boolean {
    return (this.checkpointed.get(key) ?? -1) >= sequence;
  }

  /**
   * Catches up again after a growing delay while some announced book is still not reached; a
   * book not reached within LATE_BOOK_GIVE_UP_MS is left to the poll.
   */
  private comeBackForLateBooks(): void {
    if (this.lateTimer !== undefined || this.late.size === 0) return;
    const delay = Math.min(LATE_BOOK_FIRST_MS * 2 ** this.lateRound, LATE_BOOK_MAX_MS);
    this.lateTimer = setTimeout(async () => {
      await this.wake();
      this.lateTimer = undefined;
      const now = performance.now();
      for (const [key, { sequence, since }] of this.late) {
        if (this.passed(key, sequence) || now - since > LATE_BOOK_GIVE_UP_MS) this.late.delete(key);
      }
      if (this.stopped || !this.isActive()) this.late.clear();
      this.lateRound = this.late.size === 0 ? 0 : this.lateRound + 1;
      this.comeBackForLateBooks();
    }, delay);
  }

  private forgetLateBooks(): void {
    this.late.clear();
    this.lateRound = 0;
    if (this.lateTimer !== undefined) clearTimeout(this.lateTimer);
    this.lateTimer = undefined;
  }

  /**
   * The poll's wake-up: only when no catch-up is running. A running one reads on until the log is
   * exhausted, and what it misses the next poll finds. Coalesced into a running catch-up instead,
   * polls would keep extending it whenever one catch-up lasts longer than the poll interval (a
   * slow store under load), and every wake() waiting on it (a settle, a start, a bus message's
   * acknowledgement) would wait for good.
   */
  poll(): void {
    if (this.running === undefined) void this.wake();
  }

  /** Catches up now (coalesces concurrent wake-ups); resolves when caught up. */
  wake(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      // The checkpoint as this run last stored it: the wake-ups a run coalesces (one per bus
      // message under load) go on from it without reading it back from the store each time.
      let known: Known | undefined;
      try {
        do {
          this.again = false;
          known = await this.catchUp(known);
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
    this.resets++;
    this.done.clear();
    this.checkpointed.clear();
    await this.options.positions.reset(this.options.name, this.domain, this.checkpointEdition);
  }

  /** The checkpoint (0n = nothing processed). */
  async checkpoint(): Promise<bigint> {
    return (await this.options.positions.get(this.options.name, this.domain, this.checkpointEdition)) ?? 0n;
  }

  /** Whether this replica processes now (its own subscription, else the owner's gate). */
  private isActive(): boolean {
    const own = this.subscription;
    if (own?.active) return own.active();
    return this.options.active?.() ?? true;
  }

  /**
   * Processes what follows the checkpoint; resolves with the checkpoint it leaves (undefined:
   * read it from the store next time). `known` is the one a previous catch-up of this run left.
   *
   * While one batch's books are processed, the next batch is read and upcast (a full batch means
   * more may follow): the upcaster's program and the handler's work side by side. The batch read
   * ahead is used only when the checkpoint the loop goes on from is the one it was read after.
   */
  private async catchUp(known: Known | undefined): Promise<Known | undefined> {
    const batch = this.options.batchSize ?? 500;
    const filter = {
      ...(this.options.filter.domain !== undefined ? { domain: this.options.filter.domain } : {}),
      ...(this.options.edition !== undefined ? { edition: this.options.edition } : {}),
    };
    let ahead: { after: bigint; resets: number; batch: Promise<PreparedBatch | undefined> } | undefined;
    try {
      for (;;) {
        // Store reads are synchronous: a long backlog would hold the event loop without turns.
        await reactiveTurn();
        if (this.stopped || !this.isActive()) return undefined;
        // Stale after a reset here (a rebuild), and read again now and then: another replica's
        // reset (a rebuild asked of it while on standby) is seen within KNOWN_FOR_MS.
        const resets = this.resets;
        const now = performance.now();
        const reuse = known !== undefined && known.resets === resets && now - known.at < KNOWN_FOR_MS;
        const after = reuse && known ? known.position : await this.checkpoint();
        const since = reuse && known ? known.at : now;
        known = undefined;
        const early = ahead?.after === after && ahead.resets === resets ? await ahead.batch : undefined;
        ahead = undefined;
        const prepared =
          early ?? (await this.prepareBatch(await this.options.events.readAll(after, batch, filter)));
        const { events, lanes, reached } = prepared;
        if (events.length === 0) return { position: after, resets, at: since };
        const last = events.at(-1) as StoredEvent;
        if (events.length === batch) {
          // Read on while this batch is processed (a failed read is read again in the loop).
          const next = this.options.events
            .readAll(last.position, batch, filter)
            .then((read) => this.prepareBatch(read))
            .catch(() => undefined);
          ahead = { after: last.position, resets, batch: next };
        }
        // Order matters per aggregate only: books of different aggregates run side by side (up to
        // `concurrency` lanes, LANES by default); each lane keeps its aggregate's order. The
        // checkpoint moves past the batch once every lane is done; a batch cut short is read
        // again, and causation records (sagas, PMs) and (root, sequence) idempotency
        // (projectors) make the repeat harmless.
        let complete = true;
        // Every lane settles before the catch-up ends, even when one fails: an aggregate is never
        // in two lanes (or two catch-ups) at once.
        await runLanes([...lanes.entries()], this.options.concurrency ?? LANES, async ([key, lane]) => {
          for (const { book, upcast, last } of lane) {
            if (!complete || this.stopped || !this.isActive()) {
              complete = false;
              return;
            }
            // Done by an earlier try of this batch that stopped short: not again.
            if ((this.done.get(key) ?? 0n) >= last) continue;
            await reactiveTurn();
            if (!(await this.processWithRetry(book, upcast))) {
              complete = false;
              return;
            }
            this.done.set(key, last);
          }
        });
        if (!complete || this.stopped) return undefined;
        const stored = { resets: this.resets, at: performance.now() };
        await this.options.positions.put(
          this.options.name,
          this.domain,
          this.checkpointEdition,
          last.position,
        );
        this.done.clear();
        if (this.checkpointed.size > 50_000) this.checkpointed.clear();
        for (const [key, sequence] of reached) this.checkpointed.set(key, sequence);
        known = { position: last.position, ...stored };
        if (events.length < batch) return known;
      }
    } finally {
      // A batch read ahead and not used is dropped once its read settles.
      await ahead?.batch;
    }
  }

  /**
   * A batch read from the log as books (one per command) in lanes per aggregate, upcast and
   * filtered by type, with the last sequence per aggregate it reaches.
   */
  private async prepareBatch(events: StoredEvent[]): Promise<PreparedBatch> {
    const lanes = new Map<string, LaneItem[]>();
    /** Last sequence per aggregate in this batch (passed once the checkpoint is stored). */
    const reached = new Map<string, number>();
    const groups = groupByCommand(events);
    const raws = groups.map((group) => {
      const raw = toBook(group);
      const head = group[0] as StoredEvent;
      // Read before its bus message (or without one): the trace it was stored in goes on.
      if (head.traceparent !== undefined) rememberBookTrace(raw, head.traceparent);
      return raw;
    });
    // Upcast before the type filter; a failing upcaster is retried (then parked) with the book.
    const upcast = await this.upcastAll(raws);
    groups.forEach((group, i) => {
      const head = group[0] as StoredEvent;
      const key = aggregateKey(head.domain, head.edition, head.root);
      const lastSequence = EventPages.sequence((group.at(-1) as StoredEvent).page);
      if (lastSequence !== undefined) reached.set(key, lastSequence);
      const book = upcast[i];
      if (book !== undefined && !this.wanted(book)) return;
      const item = {
        book: book ?? (raws[i] as EventBook),
        upcast: book === undefined,
        last: (group.at(-1) as StoredEvent).position,
      };
      const lane = lanes.get(key);
      if (lane) lane.push(item);
      else lanes.set(key, [item]);
    });
    return { events, lanes, reached };
  }

  /**
   * The books upcast, in order; undefined for a book whose upcast failed (processing tries it
   * again). One upcaster call per domain for the whole batch; when it fails, book by book, so only
   * the books at fault wait for their retries.
   */
  private async upcastAll(books: EventBook[]): Promise<(EventBook | undefined)[]> {
    const upcaster = this.options.upcast;
    if (upcaster === undefined || books.length <= 1) return Promise.all(books.map((b) => this.upcast(b)));
    const byDomain = new Map<string, number[]>();
    books.forEach((book, i) => {
      const domain = book.cover?.domain ?? "";
      const at = byDomain.get(domain);
      if (at) at.push(i);
      else byDomain.set(domain, [i]);
    });
    const out: (EventBook | undefined)[] = new Array(books.length);
    for (const [domain, indexes] of byDomain) {
      const pages: EventPage[] = [];
      for (const i of indexes) for (const page of (books[i] as EventBook).pages) pages.push(page);
      let upcast: EventPage[] | undefined;
      try {
        upcast = await applyUpcaster(upcaster, domain, pages);
      } catch {
        upcast = undefined;
      }
      let at = 0;
      for (const i of indexes) {
        const book = books[i] as EventBook;
        if (upcast === undefined) {
          out[i] = await this.upcast(book);
          continue;
        }
        const own = upcast.slice(at, at + book.pages.length);
        at += book.pages.length;
        out[i] = upcast === pages ? book : create(EventBookSchema, { ...book, pages: own });
      }
    }
    return out;
  }

  /**
   * True when the book's timeline no longer holds any event of its domain: an edition deleted
   * after the book was read. The main timeline is never gone.
   */
  private async timelineGone(book: EventBook): Promise<boolean> {
    const edition = Covers.edition(book.cover);
    if (Editions.isMain(edition)) return false;
    const domain = book.cover?.domain ?? "";
    try {
      const counts = await this.options.events.countEdition(edition);
      return !counts.some((c) => c.domain === domain && c.events > 0);
    } catch {
      return false; // the store cannot tell now: the usual retries apply
    }
  }

  /** Stops following a deleted edition (never the main timeline or an all-timelines cursor). */
  private retire(): void {
    if (this.options.edition === undefined || Editions.isMain(this.options.edition)) return;
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.forgetLateBooks();
    this.options.onTimelineGone?.();
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
        await withRemoteParent(traceOf(book), () =>
          traced(
            `consume ${this.options.name}`,
            () => ({
              "messaging.operation.type": "process",
              "messaging.consumer.group.name": this.options.name,
              "angzarr.component": this.options.name,
              "angzarr.domain": book.cover?.domain ?? "",
              "angzarr.correlation_id": book.cover?.correlationId ?? "",
              ...sequenceRange(book),
            }),
            () => this.options.process(current),
            SpanKind.CONSUMER,
          ),
        );
        this.processed++;
        this.processedEvents += book.pages.length;
        return true;
      } catch (err) {
        const message = (err as Error).message ?? String(err);
        if (await this.timelineGone(book)) {
          // The edition was deleted (its events with it) after this book was read: nothing left
          // to process, retry or park. This timeline is done; its checkpoint went with it.
          this.log.info("consumer.edition_gone", {
            domain: book.cover?.domain,
            edition: Covers.edition(book.cover),
            error: message,
          });
          this.retire();
          return false;
        }
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
    // The bus handler resolves once the timeline has caught up (its checkpoint stored): a durable
    // bus acknowledges the book only then. Subscribed first: a replica on standby (another one
    // holds the queue) does not catch up, not even at start.
    this.subscription = this.options.bus.subscribe(this.options.name, this.options.filter, (book) => {
      if (this.stopped) return;
      const edition = this.options.filter.domain === undefined ? undefined : Covers.edition(book.cover);
      const key = edition ?? ALL_EDITIONS;
      const consumer = this.byEdition.get(key);
      if (consumer) return consumer.wakeFor(book);
      // A timeline announced by this book: its consumer's start catches up; the book itself may
      // not be readable yet, so the new consumer comes back for it like for any other.
      return this.ensure(edition).then(() => this.byEdition.get(key)?.wakeFor(book));
    });
    await this.untilActiveOrStandby();
    // After a stop (a rebuild), the timelines already known start again from their checkpoints.
    await Promise.all([...this.byEdition.values()].map((c) => c.start()));
    if (this.options.filter.domain === undefined) {
      await this.ensure(undefined);
    } else {
      await this.ensure(Editions.MAIN);
      await this.discover("initial");
    }
    this.timer = setInterval(() => {
      // Every so often, look for editions whose first message the bus lost.
      if (++this.polls % 20 === 0) void this.discover("periodic");
      for (const c of this.byEdition.values()) c.poll();
    }, this.options.pollMs ?? 250);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.byEdition.values()].map((c) => c.stop()));
  }

  /**
   * A bus with one active replica per queue takes a moment to grant the queue (and refuses a
   * standby): waits for the grant, at most ACTIVATION_WAIT_MS, so that a start or a rebuild on
   * the active replica has caught up when it resolves. A standby goes on after the wait.
   */
  private async untilActiveOrStandby(): Promise<void> {
    const subscription = this.subscription;
    if (!subscription?.active || subscription.active()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      subscription.ready(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ACTIVATION_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
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
    const consumer: CheckpointedConsumer = new CheckpointedConsumer({
      ...this.options,
      subscribe: false,
      active: () => this.subscription?.active?.() ?? true,
      ...(edition !== undefined ? { edition } : {}),
      // A deleted edition is followed no more (a new edition of that name starts afresh).
      onTimelineGone: () => {
        if (this.byEdition.get(key) === consumer) this.byEdition.delete(key);
      },
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

/** The sequence range of a book's pages, as span attributes. */
function sequenceRange(book: EventBook): Record<string, number> {
  const first = book.pages[0]?.sequence;
  const last = book.pages.at(-1)?.sequence;
  return first?.case === "num" && last?.case === "num"
    ? { "angzarr.sequence.first": first.value, "angzarr.sequence.last": last.value }
    : {};
}
