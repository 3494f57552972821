// The outbox dispatcher: delivers what sagas and process managers decided. A reaction writes its
// commands into the outbox in the same transaction as its own events and its trigger's causation
// record; the dispatcher then sends each entry through the aggregate pipeline with a causation key
// of its own (recorded in the target's append: a second send of a delivered entry persists
// nothing), and settles it in one more atomic write (with whatever the kind adds: a compensation
// to send next, a failure record, a dead letter). A transient failure leaves the entry pending,
// tried again with backoff, parked in the dead-letter queue after the configured attempts.
//
// Entries of one lane (one saga and source aggregate, one PM and correlation) are delivered one
// after the other in id order: a later entry never overtakes one that waits for a retry. After a
// restart, `start` finds the lanes with pending entries; they drain before anything new of theirs.
import {
  type CommandBook,
  CommandBookSchema,
  type Cover,
  type EventBook,
  EventBookSchema,
  type EventPage,
} from "@angzarr/proto";
import { withRemoteParent } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EventBus } from "../bus/types";
import { type Logger, log as rootLog } from "../observability/log";
import type {
  CausationKey,
  CausationStore,
  DeadLetterInput,
  OutboxEntry,
  OutboxInput,
  OutboxStore,
  OutboxWrite,
} from "../storage/types";
import type { AggregatePipeline, CommandOutcome } from "./aggregate-pipeline";
import { type BackoffPolicy, delayFor } from "./backoff";
import { handOver, reactiveTurn } from "./fair-share";
import { refOf } from "./history";
import { KeyedMutex } from "./keyed-mutex";
import { DECISION, DEFAULT_DECISION_CHUNK, decisionCommandName, decodeDecision } from "./outbox-decision";
import {
  decodeReaction,
  emptyReaction,
  encodeReaction,
  isTransient,
  mergeReaction,
  type Reaction,
  reasonOf,
} from "./reaction";
import { realTimer, type Timer } from "./timer";

/** What becomes of an entry once its command was answered, refused, or ran out of attempts. */
export interface Settlement {
  status: "delivered" | "rejected" | "parked";
  /** Books the delivery persisted (the command's events). */
  books: EventBook[];
  /** Reported to a waiting (cascade) caller. */
  failures: string[];
  /** Stored with the settlement (numbered by the store), published, and added to the result. */
  appends?: { cover: Cover; pages: EventPage[] }[];
  /** Entries to deliver next (a compensation). */
  enqueue?: OutboxInput[];
  deadLetter?: DeadLetterInput;
}

/** How the coordinator that wrote one kind of entry settles it. */
export interface DeliveryKind {
  /** The command was answered: persisted events, or a revocation. */
  answered(entry: OutboxEntry, command: CommandBook, outcome: CommandOutcome): Settlement;
  /** The command was refused (not worth trying again). */
  refused(entry: OutboxEntry, command: CommandBook, reason: string): Settlement;
  /** Every attempt failed transiently. */
  parked(entry: OutboxEntry, command: CommandBook, reason: string): Settlement;
}

export interface DispatcherOptions {
  outbox: OutboxStore;
  causations: CausationStore;
  /** Sends the commands (a pipeline here, or one reaching the target's coordinator elsewhere). */
  pipeline: Pick<AggregatePipeline, "run">;
  bus: EventBus;
  /** Attempts before an entry is parked, and the backoff between them. */
  retry?: BackoffPolicy;
  /** How often lanes waiting for a retry are looked at, ms. */
  pollMs?: number;
  timer?: Timer;
  log?: Logger;
  /**
   * Entries written per step when a stored decision is expanded (outbox-decision.ts), and the
   * number of commands from which a reaction stores its decision whole (default 256).
   */
  chunk?: number;
}

/** Tries before an entry or a deadline is parked: rides out a handler program's restart (~15 s). */
export const DEFAULT_OUTBOX_RETRY: BackoffPolicy = { initialMs: 50, maxMs: 5_000, attempts: 10 };
/** Entries read per lane (and per sweep page) at a time. */
const BATCH = 200;
/** Lanes delivered side by side in a sweep. */
const SWEEP_LANES = 8;
/** A sweep of every pending entry runs at least every this many polls (entries written elsewhere). */
const FULL_SWEEP_EVERY = 20;

/** The causation key of one entry's delivery (recorded in the target aggregate's append). */
export function deliveryKey(entry: OutboxEntry): CausationKey {
  return { ...entry.cause, component: `${entry.cause.component}#${entry.name}` };
}

/** An entry's name under its cause, as one string. */
function entryKey(cause: CausationKey, name: string): string {
  const root = Buffer.from(cause.root).toString("hex");
  return `${cause.component}\u0000${cause.domain}\u0000${cause.edition}\u0000${root}\u0000${cause.sequence}\u0000${name}`;
}

/** True when `name` is `{one of names}#...` under the same cause (a follow-up, e.g. a compensation). */
function followUpOf(names: Set<string>, cause: CausationKey, name: string): boolean {
  for (let i = name.indexOf("#"); i >= 0; i = name.indexOf("#", i + 1)) {
    if (names.has(entryKey(cause, name.slice(0, i)))) return true;
  }
  return false;
}

/** ABORTED after the pipeline's own retries: contention, worth another try later. */
function retryable(err: unknown): boolean {
  return isTransient(err) || (err instanceof ConnectError && err.code === Code.Aborted);
}

interface Delivered {
  reaction: Reaction;
  followUps: OutboxEntry[];
}

export class OutboxDispatcher {
  private readonly kinds = new Map<string, DeliveryKind>();
  private readonly lanes = new KeyedMutex();
  /** Lanes with pending entries this process has not delivered yet (failed, or found at start). */
  private readonly backlog = new Set<string>();
  private readonly retry: BackoffPolicy;
  private readonly timer: Timer;
  private readonly log: Logger;
  private sweeping: Promise<void> | undefined;
  private sweepAgain = false;
  private tick: unknown;
  private polls = 0;
  private stopped = true;
  /** Set by stop() (not before a first start: cascades deliver without a started dispatcher). */
  private halted = false;
  private serves: (entry: OutboxEntry) => boolean = () => true;
  /** Commands per expansion write of a stored decision (and the size from which one is stored). */
  readonly chunk: number;

  constructor(private readonly options: DispatcherOptions) {
    this.chunk = Math.max(1, options.chunk ?? DEFAULT_DECISION_CHUNK);
    this.retry = options.retry ?? DEFAULT_OUTBOX_RETRY;
    this.timer = options.timer ?? realTimer;
    this.log = options.log ?? rootLog.child({ component: "outbox" });
  }

  /** Makes entries of `kind` deliverable here. */
  register(kind: string, handler: DeliveryKind): void {
    this.kinds.set(kind, handler);
  }

  /**
   * Limits the sweeps (what a crash left, what waits for a retry) to the entries this process
   * serves, e.g. its own sagas and PMs when other processes run others. Default: every entry.
   */
  serveOnly(serves: (entry: OutboxEntry) => boolean): void {
    this.serves = serves;
  }

  /** Finds the lanes with pending entries (left by a crash) and starts delivering them. */
  async start(): Promise<void> {
    this.stopped = false;
    this.halted = false;
    let after = 0;
    for (;;) {
      await reactiveTurn();
      const page = await this.options.outbox.pending({ limit: BATCH, afterId: after });
      for (const e of page) if (this.serves(e)) this.backlog.add(e.lane);
      if (page.length < BATCH) break;
      after = (page.at(-1) as OutboxEntry).id;
    }
    if (this.backlog.size > 0) this.log.info("outbox.backlog", { lanes: this.backlog.size });
    this.arm();
    if (this.backlog.size > 0) void this.sweep();
  }

  /**
   * Stops delivering: lanes being drained stop after their current entry (what is left stays
   * pending, delivered exactly once after a restart). Resolves once a running sweep is done.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    if (this.tick !== undefined) this.timer.clear(this.tick);
    this.tick = undefined;
    await this.sweeping;
  }

  /**
   * Delivers entries just written for one lane (after any older pending entries of the lane).
   * Resolves with what they caused; an entry left for a retry is reported as a failure.
   */
  async deliver(lane: string, fresh: OutboxEntry[]): Promise<Reaction> {
    const reaction = emptyReaction();
    if (fresh.length === 0) return reaction;
    const results = await this.runLane(lane, fresh);
    // Linear in the entries (a saga may decide 100,000 commands at once): what the fresh entries
    // and their follow-ups (`name#...` of the same cause) caused.
    const ids = new Set(fresh.map((f) => f.id));
    const names = new Set(fresh.map((f) => entryKey(f.cause, f.name)));
    for (const [id, result] of results) {
      if (ids.has(id) || followUpOf(names, result.cause, result.name))
        mergeReaction(reaction, result.reaction);
      await reactiveTurn();
    }
    for (const f of fresh) {
      if (!results.has(f.id)) reaction.failures.push(this.notYet(f));
    }
    return reaction;
  }

  /** What an entry caused: delivered now when still pending, read from the store when settled. */
  async outcome(entry: OutboxEntry): Promise<Reaction> {
    if (entry.status !== "pending") return decodeReaction(entry.result);
    const results = await this.runLane(entry.lane);
    const delivered = results.get(entry.id);
    if (delivered) return delivered.reaction;
    const now = await this.options.outbox.get(entry.id);
    if (now && now.status !== "pending") return decodeReaction(now.result);
    return { books: [], failures: [this.notYet(now ?? entry)] };
  }

  /** What the reactions recorded under these causations caused, their deliveries included. */
  async recorded(keys: CausationKey[]): Promise<Reaction> {
    const reaction = emptyReaction();
    for (const key of keys) {
      mergeReaction(reaction, decodeReaction(await this.options.causations.outcome(key)));
      for (const entry of await this.options.outbox.byCause(key)) {
        mergeReaction(reaction, await this.outcome(entry));
        await reactiveTurn();
      }
    }
    return reaction;
  }

  /** Delivers every pending entry whose turn has come, lane by lane; resolves when done. */
  sweep(): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      try {
        do {
          this.sweepAgain = false;
          await this.sweepOnce();
        } while (this.sweepAgain && !this.stopped);
      } catch (err) {
        this.log.error("outbox.sweep_failed", { error: reasonOf(err) });
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const lanes: string[] = [];
    const seen = new Set<string>();
    let after = 0;
    for (;;) {
      await reactiveTurn();
      const page = await this.options.outbox.pending({ limit: BATCH, afterId: after });
      for (const e of page) {
        if (!seen.has(e.lane) && this.kinds.has(e.kind) && this.serves(e)) {
          seen.add(e.lane);
          lanes.push(e.lane);
        }
      }
      if (page.length < BATCH) break;
      after = (page.at(-1) as OutboxEntry).id;
    }
    for (const lane of this.backlog) if (!seen.has(lane)) this.backlog.delete(lane);
    let next = 0;
    const worker = async () => {
      while (next < lanes.length && !this.stopped) await this.runLane(lanes[next++] as string);
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_LANES, lanes.length) }, worker));
  }

  /** Polls lanes waiting for a retry; now and then sweeps everything. */
  private arm(): void {
    if (this.stopped) return;
    this.tick = this.timer.set(() => {
      this.tick = undefined;
      if (this.stopped) return;
      if (this.backlog.size > 0 || ++this.polls % FULL_SWEEP_EVERY === 0) void this.sweep();
      this.arm();
    }, this.options.pollMs ?? 250);
  }

  /**
   * Delivers a lane's entries in id order until one must wait: the fresh ones directly when
   * nothing older waits in the lane, else whatever the store holds pending for it.
   */
  private runLane(
    lane: string,
    fresh?: OutboxEntry[],
  ): Promise<Map<number, Delivered & { cause: CausationKey; name: string }>> {
    return this.lanes.run(lane, async () => {
      const results = new Map<number, Delivered & { cause: CausationKey; name: string }>();
      try {
        if (fresh && !this.backlog.has(lane)) {
          if (await this.drain(lane, [...fresh], false, results)) this.backlog.add(lane);
          return results;
        }
        for (;;) {
          const queue = await this.options.outbox.pending({ lane, limit: BATCH });
          if (await this.drain(lane, queue, true, results)) {
            this.backlog.add(lane);
            return results;
          }
          if (queue.length < BATCH) {
            this.backlog.delete(lane);
            return results;
          }
        }
      } catch (err) {
        // A store failure while settling: the entry stays pending; the next sweep goes on.
        this.backlog.add(lane);
        this.log.warn("outbox.lane_failed", { lane, error: reasonOf(err) });
        return results;
      }
    });
  }

  /** Delivers the queue in order; true when an entry must wait (the lane is blocked). */
  private async drain(
    lane: string,
    queue: OutboxEntry[],
    maybeDelivered: boolean,
    results: Map<number, Delivered & { cause: CausationKey; name: string }>,
  ): Promise<boolean> {
    // Follow-ups go first, then the rest of the queue in order (no shift(): queues can be long).
    const followUps: OutboxEntry[] = [];
    let next = 0;
    while (followUps.length > 0 || next < queue.length) {
      const entry = (followUps.length > 0 ? followUps.pop() : queue[next++]) as OutboxEntry;
      if (entry.status !== "pending" || results.has(entry.id)) continue;
      await reactiveTurn();
      // Stopping: what is left stays pending (delivered after the restart, exactly once).
      if (this.halted) return true;
      if (entry.kind === DECISION) {
        const expanded = await this.expand(entry);
        if (expanded === "stopped") return true;
        results.set(entry.id, { ...expanded, cause: entry.cause, name: entry.name });
        // Resumed after a crash: the earlier chunks wait in the store; the lane is read again
        // in id order (next poll), so the decision's commands keep their order.
        if (expanded.resumed) return true;
        for (let i = expanded.followUps.length - 1; i >= 0; i--)
          followUps.push(expanded.followUps[i] as OutboxEntry);
        continue;
      }
      if (!this.kinds.has(entry.kind)) {
        this.log.warn("outbox.unknown_kind", { lane, kind: entry.kind });
        return true;
      }
      if (entry.dueAt > this.timer.now()) return true;
      const done = await this.deliverOne(entry, maybeDelivered || entry.attempts > 0);
      if (!done) return true;
      results.set(entry.id, { ...done, cause: entry.cause, name: entry.name });
      for (let i = done.followUps.length - 1; i >= 0; i--) followUps.push(done.followUps[i] as OutboxEntry);
    }
    return false;
  }

  /**
   * Expands a stored decision into one entry per command, `chunk` per write, handing the event
   * loop over between writes; the last write settles the decision. A chunk refused as a
   * duplicate was written before a crash: skipped (`resumed`). Resolves with the entries written
   * now, in order, to be delivered next; "stopped" when stopped halfway (resumed later).
   */
  private async expand(entry: OutboxEntry): Promise<(Delivered & { resumed: boolean }) | "stopped"> {
    const { kind, commands } = decodeDecision(entry.payload);
    const written: OutboxEntry[] = [];
    let resumed = false;
    for (let start = 0; start < commands.length || start === 0; start += this.chunk) {
      if (start > 0) await handOver();
      if (this.halted) return "stopped";
      const end = Math.min(commands.length, start + this.chunk);
      const last = end >= commands.length;
      const enqueue: OutboxInput[] = [];
      for (let i = start; i < end; i++) {
        enqueue.push({
          cause: entry.cause,
          name: decisionCommandName(i),
          lane: entry.lane,
          kind,
          payload: commands[i] as Uint8Array,
          ...(entry.traceparent ? { traceparent: entry.traceparent } : {}),
        });
      }
      const [result] = await this.options.outbox.write([
        last
          ? {
              enqueue,
              settle: { id: entry.id, status: "delivered" },
              outcome: () => encodeReaction(emptyReaction()),
            }
          : { enqueue },
      ]);
      if (result?.kind === "written") for (const e of result.enqueued) written.push(e);
      else if (last)
        return { reaction: emptyReaction(), followUps: [], resumed: true }; // settled meanwhile
      else resumed = true;
      if (last) break;
    }
    if (resumed) this.log.info("outbox.decision_resumed", { lane: entry.lane, commands: commands.length });
    return { reaction: emptyReaction(), followUps: written, resumed };
  }

  /** One delivery attempt; undefined when the entry stays pending for a retry. */
  private async deliverOne(entry: OutboxEntry, maybeDelivered: boolean): Promise<Delivered | undefined> {
    const kind = this.kinds.get(entry.kind) as DeliveryKind;
    const command = fromBinary(CommandBookSchema, entry.payload);
    const causation = deliveryKey(entry);
    let settlement: Settlement;
    if (maybeDelivered && (await this.options.causations.has(causation))) {
      // Delivered before a crash kept it from being settled: settle it, send nothing.
      settlement = kind.answered(entry, command, {
        kind: "events",
        book: create(EventBookSchema, { cover: command.cover }),
      });
    } else {
      try {
        // The command continues the trace of the reaction that decided it (stored with the entry).
        const outcome = await withRemoteParent(entry.traceparent, () =>
          this.options.pipeline.run(command, { causation }),
        );
        settlement = kind.answered(entry, command, outcome);
      } catch (err) {
        const reason = reasonOf(err);
        if (!retryable(err)) settlement = kind.refused(entry, command, reason);
        else {
          const attempts = entry.attempts + 1;
          if (attempts < this.retry.attempts) {
            const wait = delayFor(this.retry, attempts);
            await this.options.outbox.retryLater(entry.id, this.timer.now() + wait, reason);
            this.log.warn("outbox.retry", {
              component: entry.cause.component,
              entry: entry.name,
              attempts,
              error: reason,
            });
            return undefined;
          }
          settlement = kind.parked(entry, command, `${reason} (after ${attempts} attempts)`);
        }
      }
    }
    return this.settle(entry, settlement);
  }

  /** Writes the settlement atomically and publishes what it stored. */
  private async settle(entry: OutboxEntry, s: Settlement): Promise<Delivered> {
    const appends = s.appends ?? [];
    const booksOf = (stored: EventPage[][]) =>
      stored.map((pages, i) => create(EventBookSchema, { cover: appends[i]?.cover, pages }));
    const write: OutboxWrite = {
      settle: { id: entry.id, status: s.status },
      appends: appends.map((a) => ({
        ref: refOf(a.cover),
        pages: a.pages,
        correlationId: a.cover.correlationId,
      })),
      ...(s.enqueue ? { enqueue: s.enqueue } : {}),
      ...(s.deadLetter ? { deadLetter: s.deadLetter } : {}),
      outcome: (stored) => encodeReaction({ books: [...s.books, ...booksOf(stored)], failures: s.failures }),
    };
    const [result] = await this.options.outbox.write([write]);
    if (result?.kind !== "written") {
      // Settled meanwhile (another delivery of the same entry): what that one recorded stands.
      const now = await this.options.outbox.get(entry.id);
      return { reaction: decodeReaction(now?.result), followUps: [] };
    }
    const stored = booksOf(result.stored);
    for (const book of stored) await this.publish(book);
    return { reaction: { books: [...s.books, ...stored], failures: s.failures }, followUps: result.enqueued };
  }

  private async publish(book: EventBook): Promise<void> {
    try {
      await this.options.bus.publish(book);
    } catch (err) {
      // The store is the truth: consumers repair from it.
      this.log.warn("bus.publish_failed", { domain: book.cover?.domain, error: reasonOf(err) });
    }
  }

  private notYet(entry: OutboxEntry): string {
    if (entry.kind === DECISION) {
      const n = decodeDecision(entry.payload).commands.length;
      return `${entry.cause.component}: ${n} commands not delivered yet; they will be tried again`;
    }
    const target = fromBinary(CommandBookSchema, entry.payload).cover?.domain ?? "";
    const why = entry.lastError ? ` (${entry.lastError})` : "";
    return `${entry.cause.component}: command to ${target} not delivered yet${why}; it will be tried again`;
  }
}
