// The aggregate command pipeline (runtime.md §1): cover checks, correlation id, snapshot-aware
// load, client sequence check, handler call, result validation, atomic persist with snapshot,
// publish of the delta, sync modes. Pure orchestration over ports.
import {
  type BusinessResponse,
  type CommandBook,
  CommandBookSchema,
  type CommandResponse,
  CommandResponseSchema,
  ContextualCommandSchema,
  type Cover,
  type DryRunRequest,
  type EventBook,
  EventBookSchema,
  EventBooks,
  type EventPage,
  EventPageSchema,
  EventPages,
  type Projection,
  type RevocationResponse,
  type Snapshot,
  SnapshotSchema,
  SyncMode,
  type TemporalQuery,
  Uuid,
} from "@angzarr/proto";
import { tracedOrServed } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import type { EventBus } from "../bus/types";
import { codeOf } from "../observability/instrument";
import { type Logger, log as rootLog } from "../observability/log";
import { commandDuration, commandsTotal, secondsSince } from "../observability/metrics";
import {
  CausationRecordedError,
  InvalidInputError,
  SequenceConflictError,
  StorageError,
  StorageUnavailable,
} from "../storage/errors";
import type {
  AggregateRef,
  CausationKey,
  EditionStore,
  EncodedPages,
  EventStore,
  HistoryWindows,
  SnapshotRecord,
  SnapshotStore,
} from "../storage/types";
import { type BackoffPolicy, DEFAULT_BACKOFF, delayFor, sleep } from "./backoff";
import { stamped as stampedCommand } from "./command-bytes";
import { EditionResolver } from "./editions";
import * as E from "./errors";
import { clientCommand } from "./fair-share";
import {
  encodePriorBook,
  handlerRequestParts,
  type PriorParts,
  type SplitPrior,
  streamedHandlerRequest,
} from "./handler-request";
import { KeyedMutex } from "./keyed-mutex";
import type { AggregateHandler, HandlerDirectory } from "./ports";
import { applyUpcaster, type Upcasters } from "./upcasting";

export type { PageUpcaster } from "./upcasting";

/** What a CASCADE gathered: every projection, and every failure in the chain. */
export interface CascadeResult {
  projections: Projection[];
  /** Each failure as "{component}: {reason}" (or "{component} aborted: {reason}"). */
  failures: string[];
}

/** Everything that happens downstream of one persisted command, for SIMPLE / CASCADE. */
export interface DownstreamRunner {
  /** Sync projectors of the book's domain. */
  projectors(book: EventBook): Promise<Projection[]>;
  /** Sagas, PMs and what they cause, transitively (CASCADE). */
  cascade(book: EventBook): Promise<CascadeResult>;
}

export interface AggregatePipelineDeps {
  events: EventStore;
  snapshots: SnapshotStore;
  editions: EditionStore;
  handlers: HandlerDirectory;
  bus: EventBus;
  /** Per-domain upcasters for loaded histories (runtime.md §9). */
  upcasters?: Upcasters;
  downstream?: DownstreamRunner;
  backoff?: BackoffPolicy;
  /** Per-call timeout towards handler programs, ms (0 = none). */
  handlerTimeoutMs?: number;
  /**
   * Main-timeline histories of more pages than `above` after the snapshot are read in windows of
   * `window` pages while the request is being sent (stores with getEncodedRange), so the handler
   * program receives and folds one window while the next is read. Default: DEFAULT_HISTORY_WINDOWS.
   */
  historyWindows?: HistoryWindows;
  /**
   * Remember, per aggregate, the snapshot this pipeline's last append stored with it and decide
   * the aggregate's next command on it without reading the store; the append then names the
   * sequence it expects (AppendOptions.expectedNext), so a history another writer extended
   * meanwhile refuses it and the command is decided again on what the store holds. For stores
   * with no cheaper current read (PostgreSQL; SQLite checks its own cache against the file).
   * Also decides without a read the commands that name a new aggregate (presumedNew): a client's
   * at sequence 0, and a saga's or PM's while its domain's recent targets were all new.
   */
  rememberSnapshots?: boolean;
  log?: Logger;
}

/** Aggregates whose last stored snapshot a pipeline remembers (the oldest forgotten first). */
const REMEMBERED_AGGREGATES = 4_096;
/** Snapshots larger than this are read from the store each time. */
const REMEMBERED_SNAPSHOT_BYTES = 64 * 1024;

/** An aggregate as this pipeline's last append left it: a snapshot with no page after it. */
interface Remembered {
  snapshot: Snapshot;
  next: number;
}

const NO_PAGES: EncodedPages = { bytes: new Uint8Array(0), count: 0, lastSequence: undefined };

/**
 * A saga's or PM's command is decided on a presumed empty history once this many in a row of its
 * domain found none (read, or presumed and confirmed by the append); one that found a history
 * starts the count again, so a domain of existing aggregates pays at most one wasted handler call
 * per PRESUME_NEW_AFTER commands.
 */
const PRESUME_NEW_AFTER = 16;

/** Histories of more than 16,384 pages after the snapshot go in windows of 8,192. */
export const DEFAULT_HISTORY_WINDOWS: HistoryWindows = { above: 16_384, window: 8_192 };

/** What one command produced: persisted events, or the handler's revocation request. */
export type CommandOutcome =
  | { kind: "events"; book: EventBook }
  | { kind: "revocation"; revocation: RevocationResponse; cover: Cover };

/** The prior history of one command: decoded, or (fast path) an encoded EventBook. */
interface Prior {
  /** The sequence the next event gets. */
  next: number;
  book?: EventBook;
  encoded?: PriorParts | SplitPrior;
  /** Remembered, not read: the store may hold more (the append names `next` as expected). */
  remembered?: true;
}

/** A new aggregate's history, presumed without a read (the append expects sequence 0). */
const presumedEmpty = (cover: Cover): Prior => ({
  next: 0,
  encoded: { cover, snapshot: undefined, pages: NO_PAGES },
  remembered: true,
});

const isSplit = (parts: PriorParts | SplitPrior | undefined): parts is SplitPrior =>
  parts !== undefined && "rest" in parts;

/**
 * The prior history as a message (decoding the encoded form: error details, general path); a
 * split history holds its first window only, its whole book is `AggregatePipeline.priorBook`'s.
 */
function priorBook(prior: Prior): EventBook {
  if (prior.book) return prior.book;
  return fromBinary(EventBookSchema, prior.encoded ? encodePriorBook(prior.encoded) : new Uint8Array(0));
}

const REVOKE_TYPE = "angzarr.RevokeEventCommand";

/** True for a type URL naming angzarr.RevokeEventCommand (any prefix). */
function isRevoke(typeUrl: string | undefined): boolean {
  return typeUrl !== undefined && typeUrl.slice(typeUrl.lastIndexOf("/") + 1) === REVOKE_TYPE;
}

interface Prepared {
  book: CommandBook;
  cover: Cover;
  ref: AggregateRef;
  handler: AggregateHandler;
  correlationId: string;
  /** Recorded atomically with the events: a repeat of the same effect persists nothing. */
  causation?: CausationKey;
}

export interface RunOptions {
  /**
   * Exactly-once for saga/PM effects: the key is recorded in the same transaction as the events;
   * when it is already recorded the command's events are not persisted again (empty outcome).
   */
  causation?: CausationKey;
}

/** ABORTED errors raised by the store's sequence check (another writer won), not by the client's. */
const storeConflicts = new WeakSet<object>();

export class AggregatePipeline {
  private readonly mutex = new KeyedMutex();
  /** rememberSnapshots: by aggregate key (main timeline only), in the order last stored. */
  private readonly remembered = new Map<string, Remembered>();
  /** rememberSnapshots: per domain, saga/PM commands in a row that found their aggregate new. */
  private readonly newInARow = new Map<string, number>();
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  /** Timelines: main, or registered editions with their branch points. */
  readonly editions: EditionResolver;

  constructor(private readonly deps: AggregatePipelineDeps) {
    this.log = deps.log ?? rootLog.child({ component: "aggregate-pipeline" });
    this.backoff = deps.backoff ?? DEFAULT_BACKOFF;
    this.editions = new EditionResolver(deps.editions);
  }

  /** Wires the sync-projector / cascade runner once it exists (it needs this pipeline too). */
  setDownstream(downstream: DownstreamRunner): void {
    this.deps.downstream = downstream;
  }

  /**
   * Executes a command and answers per the sync mode. Client commands (no `saga_origin`) are
   * checked against the aggregate's sequence; saga/PM commands are stamped and retried.
   */
  async execute(book: CommandBook, syncMode: SyncMode = SyncMode.NONE): Promise<CommandResponse> {
    const outcome = await this.run(book);
    if (outcome.kind === "revocation")
      throw E.failedPrecondition(E.Messages.revoked(outcome.revocation.reason));
    const projections = await this.afterPersist(outcome.book, syncMode);
    return create(CommandResponseSchema, { events: outcome.book, projections });
  }

  /** Steps 1–7 plus publish; revocations are returned, not thrown (the saga path needs them). */
  async run(book: CommandBook, options: RunOptions = {}): Promise<CommandOutcome> {
    const started = performance.now();
    const domain = book.cover?.domain ?? "";
    try {
      // Attributes are built only when a span is started (not with tracing off or unsampled).
      // A client's command served by this process's gateway takes over the gateway's server
      // span (one span per command); a saga's or PM's command gets a span of its own.
      const outcome = await tracedOrServed(
        `command ${domain}`,
        // Few attributes: every one is encoded again for each exported span.
        () => {
          const attributes: Record<string, string> = {
            "angzarr.domain": domain,
            "angzarr.correlation_id": book.cover?.correlationId ?? "",
            "angzarr.root": book.cover?.root?.value.length === 16 ? Uuid.toText(book.cover.root.value) : "",
          };
          if (book.sagaOrigin) attributes["angzarr.origin"] = book.sagaOrigin.sagaName;
          return attributes;
        },
        // A client's command goes before reactive work at every step (fair-share.ts).
        () =>
          book.sagaOrigin === undefined && options.causation === undefined
            ? clientCommand(() => this.runUnmeasured(book, options))
            : this.runUnmeasured(book, options),
      );
      commandsTotal.add(1, domain, outcome.kind === "revocation" ? "REVOKED" : "OK");
      return outcome;
    } catch (err) {
      commandsTotal.add(1, domain, codeOf(err));
      throw err;
    } finally {
      commandDuration.record(secondsSince(started), domain);
    }
  }

  private async runUnmeasured(book: CommandBook, options: RunOptions): Promise<CommandOutcome> {
    const prepared = {
      ...(await this.prepare(book)),
      ...(options.causation ? { causation: options.causation } : {}),
    };
    const fromSaga = book.sagaOrigin !== undefined;
    if (!fromSaga) {
      // Another writer (a second coordinator of the domain) appended between our read and our
      // write: decide again on fresh state, where the client's sequence is checked anew.
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.attempt(prepared, false);
        } catch (err) {
          if (!storeConflicts.has(err as object) || attempt >= this.backoff.attempts) throw err;
          this.log.debug("command.conflict_retry", { domain: prepared.ref.domain, attempt });
        }
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(prepared, true);
      } catch (err) {
        if (!E.isRetryable(err) || attempt >= this.backoff.attempts) throw err;
        const delay = delayFor(this.backoff, attempt);
        this.log.debug("command.retry", { domain: prepared.ref.domain, attempt, delayMs: delay });
        await sleep(delay);
      }
    }
  }

  /**
   * Dry run: steps 1–6 (the client sequence check included) against history as of a point in
   * time; nothing persisted or published.
   */
  async dryRun(request: DryRunRequest): Promise<CommandResponse> {
    if (!request.command) throw E.invalid(E.Messages.dryRunNoCommand);
    const point = request.pointInTime;
    if (!point || point.pointInTime.case === undefined) throw E.invalid(E.Messages.dryRunNoPoint);
    const prepared = await this.prepare(request.command);
    const pages = await this.loadAsOf(prepared.ref, point);
    const prior = create(EventBookSchema, { cover: prepared.cover, pages });
    const next = EventBooks.nextSequence(prior);
    // Step 4 as for a real command: a client command names the sequence it expects, here the
    // next sequence of the history as of the point in time.
    const expected = request.command.pages[0]?.sequence ?? 0;
    if (request.command.sagaOrigin === undefined && expected !== next) {
      throw E.sequenceMismatch(expected, next, prior);
    }
    const response = await this.callHandler(prepared, { next, book: prior });
    if (response.result.case === "revocation") {
      throw E.failedPrecondition(E.Messages.revoked(response.result.value.reason));
    }
    const pagesOut = this.validate(prepared, next, response);
    let number = next;
    const numbered = pagesOut.map((p) =>
      EventPages.isForced(p)
        ? create(EventPageSchema, { ...p, sequence: { case: "num", value: number++ } })
        : p,
    );
    return create(CommandResponseSchema, {
      events: create(EventBookSchema, { cover: prepared.cover, pages: numbered }),
    });
  }

  /** The aggregate's current history as the handler would see it (snapshot + later pages). */
  async currentBook(cover: Cover): Promise<EventBook> {
    return this.load(await this.editions.ref(cover), cover);
  }

  private async prepare(book: CommandBook): Promise<Prepared> {
    const cover = book.cover;
    if (!cover) throw E.invalid(E.Messages.noCover);
    const root = cover.root?.value;
    if (root === undefined || root.length === 0) throw E.invalid(E.Messages.noRoot);
    if (root.length !== 16) throw E.invalid(E.Messages.invalidUuid(`expected 16 bytes, got ${root.length}`));
    const handler = this.deps.handlers.aggregate(cover.domain);
    if (!handler) E.checkDomainName(cover.domain);
    if (!handler) throw E.notFound(E.Messages.unknownDomain(cover.domain));
    if (book.pages.length === 0) throw E.invalid(E.Messages.noPages);
    // Compensations come from the runtime's saga path, which marks them with their saga origin.
    if (book.sagaOrigin === undefined && book.pages.some((p) => isRevoke(p.command?.typeUrl))) {
      throw E.invalid(E.Messages.clientRevoke);
    }

    const { book: withId, cover: stamped, correlationId } = stampedCommand(book, cover);
    const ref = await this.editions.ref(cover);
    return { book: withId, cover: stamped, ref, handler, correlationId };
  }

  private async attempt(prepared: Prepared, fromSaga: boolean): Promise<CommandOutcome> {
    const key = `${prepared.ref.domain}\u0000${prepared.ref.edition}\u0000${Buffer.from(prepared.ref.root).toString("hex")}`;
    return this.mutex.run(key, async () => {
      let prior: Prior;
      if (this.presumesNew(prepared, key, fromSaga)) {
        const presumed = await this.decideOnPresumedEmpty(prepared, key, fromSaga);
        if ("outcome" in presumed) return presumed.outcome;
        prior = presumed.prior;
      } else {
        prior = await this.loadPrior(prepared, key);
        if (fromSaga && !prior.remembered) this.countNew(prepared.ref.domain, prior.next === 0);
      }
      // A client's sequence other than the remembered one: what the store holds decides.
      if (prior.remembered && !fromSaga && (prepared.book.pages[0]?.sequence ?? 0) !== prior.next) {
        this.remembered.delete(key);
        prior = await this.loadPrior(prepared, key);
      }
      return this.decide(prepared, key, fromSaga, prior);
    });
  }

  /**
   * rememberSnapshots: whether the command is decided on an empty history without a read. Only
   * on the main timeline (an edition's history starts with main's), for an aggregate this
   * pipeline does not remember, when the command names a new aggregate: a client's at sequence 0
   * (against any other history it is refused anyway), a saga's or PM's while the last
   * PRESUME_NEW_AFTER of its domain found their aggregate new.
   */
  private presumesNew(prepared: Prepared, key: string, fromSaga: boolean): boolean {
    if (
      !this.deps.rememberSnapshots ||
      prepared.ref.edition !== "" ||
      this.deps.events.getEncodedFrom === undefined ||
      prepared.handler.handleEncoded === undefined ||
      this.remembered.has(key)
    )
      return false;
    if (fromSaga) return (this.newInARow.get(prepared.ref.domain) ?? 0) >= PRESUME_NEW_AFTER;
    return (prepared.book.pages[0]?.sequence ?? 0) === 0;
  }

  private countNew(domain: string, fresh: boolean): void {
    if (fresh) this.newInARow.set(domain, Math.min((this.newInARow.get(domain) ?? 0) + 1, PRESUME_NEW_AFTER));
    else this.newInARow.delete(domain);
  }

  /**
   * The command decided on an empty history, unread. Pages stored prove it: the append expected
   * sequence 0. Any other answer (a conflict, a revocation, an error, nothing to store) is
   * checked against the store: when it holds no history the answer stands; else the history
   * read is returned, for the command to be decided on (a client's at sequence 0 is then refused
   * as at once, only later).
   */
  private async decideOnPresumedEmpty(
    prepared: Prepared,
    key: string,
    fromSaga: boolean,
  ): Promise<{ outcome: CommandOutcome } | { prior: Prior }> {
    let answer: { outcome: CommandOutcome } | { error: unknown } | undefined;
    try {
      const outcome = await this.decide(prepared, key, fromSaga, presumedEmpty(prepared.cover));
      if (outcome.kind === "events" && outcome.book.pages.length > 0) {
        if (fromSaga) this.countNew(prepared.ref.domain, true);
        return { outcome };
      }
      answer = { outcome };
    } catch (err) {
      // A store conflict: the aggregate has a history (read below, decided on it).
      if (!storeConflicts.has(err as object)) answer = { error: err };
    }
    const prior = await this.loadPrior(prepared, key);
    const fresh = prior.next === 0 && answer !== undefined;
    if (fromSaga) this.countNew(prepared.ref.domain, fresh);
    if (!fresh || answer === undefined) return { prior };
    if ("error" in answer) throw answer.error;
    return answer;
  }

  /** Steps 4–8 on the prior history given. */
  private async decide(
    prepared: Prepared,
    key: string,
    fromSaga: boolean,
    prior: Prior,
  ): Promise<CommandOutcome> {
    const next = prior.next;
    let command = prepared.book;
    if (fromSaga) {
      command = create(CommandBookSchema, {
        ...command,
        pages: command.pages.map((p, i) => ({ ...p, sequence: next + i })),
      });
    } else {
      const expected = command.pages[0]?.sequence ?? 0;
      if (expected !== next) {
        // The sender rebases on what the handler would be given (bounded in sequenceMismatch).
        const book = isSplit(prior.encoded)
          ? await this.load(prepared.ref, prepared.cover)
          : priorBook(prior);
        throw E.sequenceMismatch(expected, next, book);
      }
    }
    const response = await this.callHandler({ ...prepared, book: command }, prior);
    if (response.result.case === "revocation") {
      return { kind: "revocation", revocation: response.result.value, cover: prepared.cover };
    }
    const pages = this.validate(prepared, next, response);
    const snapshotState = response.result.case === "events" ? response.result.value.snapshotState : undefined;
    let stored: EventPage[];
    try {
      stored = await this.persist(prepared, pages, snapshotState, prior.remembered ? next : undefined);
    } catch (err) {
      this.remembered.delete(key);
      throw err;
    }
    this.remember(key, prepared.ref, stored, snapshotState);
    this.log.debug("command.stored", {
      domain: prepared.ref.domain,
      events: stored.length,
      correlationId: prepared.correlationId,
    });
    const delta = create(EventBookSchema, { cover: prepared.cover, pages: stored });
    if (stored.length > 0) await this.publish(delta);
    return { kind: "events", book: delta };
  }

  /**
   * What the handler is given. The fast path applies when the store encodes pages and the handler
   * takes encoded requests: the history stays bytes, stored pages are never decoded and encoded
   * again. A domain with an upcaster takes it too when no page follows the snapshot (its answers
   * carry snapshots, so nearly always): there is nothing to upcast. Otherwise the general path
   * reads the pages decoded and upcasts them.
   */
  private async loadPrior(prepared: Prepared, key: string): Promise<Prior> {
    const encodable =
      this.deps.events.getEncodedFrom !== undefined && prepared.handler.handleEncoded !== undefined;
    const known = encodable ? this.remembered.get(key) : undefined;
    if (known !== undefined) {
      return {
        next: known.next,
        encoded: { cover: prepared.cover, snapshot: known.snapshot, pages: NO_PAGES },
        remembered: true,
      };
    }
    if (encodable && !(this.deps.upcasters?.has(prepared.ref.domain) ?? false)) {
      return this.loadEncoded(prepared, true);
    }
    if (encodable) {
      const prior = await this.loadEncoded(prepared);
      if (prior.encoded !== undefined && prior.encoded.pages.count === 0) return prior;
    }
    return this.decodedPrior(await this.load(prepared.ref, prepared.cover));
  }

  /**
   * rememberSnapshots: after an append, the aggregate as it left it when it stored a snapshot at
   * its last page (main timeline); anything else forgets the aggregate.
   */
  private remember(
    key: string,
    ref: AggregateRef,
    stored: EventPage[],
    snapshotState: EventBook["snapshotState"],
  ): void {
    if (!this.deps.rememberSnapshots) return;
    this.remembered.delete(key);
    const last = stored.at(-1)?.sequence;
    if (
      ref.edition !== "" ||
      snapshotState === undefined ||
      last?.case !== "num" ||
      snapshotState.value.length > REMEMBERED_SNAPSHOT_BYTES
    )
      return;
    if (this.remembered.size >= REMEMBERED_AGGREGATES) {
      const oldest = this.remembered.keys().next().value;
      if (oldest !== undefined) this.remembered.delete(oldest);
    }
    this.remembered.set(key, {
      snapshot: create(SnapshotSchema, { sequence: last.value, state: snapshotState }),
      next: last.value + 1,
    });
  }

  private decodedPrior(book: EventBook): Prior {
    return { next: EventBooks.nextSequence(book), book };
  }

  /**
   * The history for the fast path: snapshot + stored pages as encoded bytes. `splittable`: a long
   * main-timeline history may come split (its first window read, the rest read while sent).
   */
  private async loadEncoded(prepared: Prepared, splittable = false): Promise<Prior> {
    const { ref, cover } = prepared;
    const events = this.deps.events;
    const read = events.getEncodedFrom?.bind(events);
    if (read === undefined) return this.decodedPrior(await this.load(ref, cover));
    const readRange = events.getEncodedRange?.bind(events);
    const windows =
      splittable && ref.edition === "" && readRange !== undefined
        ? (this.deps.historyWindows ?? DEFAULT_HISTORY_WINDOWS)
        : undefined;
    try {
      let stored: SnapshotRecord | undefined;
      let pages: EncodedPages;
      if (events.getEncodedHistory !== undefined) {
        let rest: { from: number; to: number } | undefined;
        ({ snapshot: stored, pages, rest } = await events.getEncodedHistory(ref, windows));
        if (rest !== undefined && windows !== undefined && readRange !== undefined) {
          const snapshot = stored
            ? create(SnapshotSchema, { sequence: stored.sequence, state: stored.state })
            : undefined;
          const split: SplitPrior = {
            cover,
            snapshot,
            pages,
            rest,
            window: windows.window,
            read: (from, to) => this.readWindow(ref, from, to, readRange),
          };
          return { next: rest.to + 1, encoded: split };
        }
      } else {
        stored = await this.deps.snapshots.get(ref);
        pages = await read(ref, stored ? stored.sequence + 1 : 0);
      }
      const snapshot = stored
        ? create(SnapshotSchema, { sequence: stored.sequence, state: stored.state })
        : undefined;
      const next =
        pages.lastSequence !== undefined ? pages.lastSequence + 1 : stored ? stored.sequence + 1 : 0;
      return { next, encoded: { cover, snapshot, pages } };
    } catch (err) {
      throw this.loadError(err);
    }
  }

  /**
   * One window of a split history. Fewer pages than the range holds (the history is not what it
   * was when the load began) fail the call, ABORTED: a handler is never sent a wrong history.
   */
  private async readWindow(
    ref: AggregateRef,
    from: number,
    to: number,
    readRange: NonNullable<EventStore["getEncodedRange"]>,
  ): Promise<EncodedPages> {
    let pages: EncodedPages;
    try {
      pages = await readRange(ref, from, to);
    } catch (err) {
      throw this.loadError(err);
    }
    if (pages.count !== to - from + 1 || pages.lastSequence !== to) {
      this.log.warn("command.history_window_short", { domain: ref.domain, from, to, got: pages.count });
      throw E.aborted(E.Messages.loadFailed(`pages ${from}..${to} read ${pages.count} pages`));
    }
    return pages;
  }

  private async load(ref: AggregateRef, cover: Cover): Promise<EventBook> {
    try {
      const snapshot = await this.deps.snapshots.get(ref);
      let pages = snapshot
        ? await this.deps.events.getFrom(ref, snapshot.sequence + 1)
        : await this.deps.events.get(ref);
      pages = await this.upcast(ref.domain, pages);
      return create(EventBookSchema, {
        cover,
        pages,
        ...(snapshot
          ? { snapshot: create(SnapshotSchema, { sequence: snapshot.sequence, state: snapshot.state }) }
          : {}),
      });
    } catch (err) {
      throw this.loadError(err);
    }
  }

  private async loadAsOf(ref: AggregateRef, point: TemporalQuery): Promise<EventPage[]> {
    try {
      const pages =
        point.pointInTime.case === "asOfSequence"
          ? await this.deps.events.getRange(ref, 0, point.pointInTime.value)
          : await this.deps.events.getUntil(
              ref,
              point.pointInTime.value as NonNullable<typeof point.pointInTime.value>,
            );
      return await this.upcast(ref.domain, pages);
    } catch (err) {
      throw this.loadError(err);
    }
  }

  private loadError(err: unknown) {
    if (err instanceof InvalidInputError) return E.invalid(err.message);
    if (err instanceof StorageUnavailable) return E.unavailable(E.Messages.loadFailed(err.message));
    if (err instanceof StorageError) return E.internal(E.Messages.loadFailed(err.message));
    if (err instanceof Error && "code" in err && typeof (err as { code: unknown }).code === "number")
      return err;
    return E.internal(E.Messages.loadFailed((err as Error).message ?? String(err)));
  }

  private upcast(domain: string, pages: EventPage[]): Promise<EventPage[]> {
    return applyUpcaster(this.deps.upcasters?.upcast, domain, pages);
  }

  private async callHandler(prepared: Prepared, prior: Prior): Promise<BusinessResponse> {
    const options = {
      correlationId: prepared.correlationId,
      ...(this.deps.handlerTimeoutMs ? { timeoutMs: this.deps.handlerTimeoutMs } : {}),
    };
    if (prior.encoded !== undefined && prepared.handler.handleEncoded) {
      const body = isSplit(prior.encoded)
        ? streamedHandlerRequest(prior.encoded, prepared.book)
        : handlerRequestParts(prior.encoded, prepared.book);
      return prepared.handler.handleEncoded(body, options);
    }
    const events = isSplit(prior.encoded) ? await this.load(prepared.ref, prepared.cover) : priorBook(prior);
    const request = create(ContextualCommandSchema, { events, command: prepared.book });
    return prepared.handler.handle(request, options);
  }

  /** Step 6: pages numbered contiguously from the next sequence (force pages allowed). */
  private validate(prepared: Prepared, next: number, response: BusinessResponse): EventPage[] {
    if (response.result.case !== "events") return [];
    const pages = response.result.value.pages;
    pages.forEach((page, i) => {
      const num = EventPages.sequence(page);
      if (num !== undefined && num !== next + i) {
        this.log.warn("command.bad_numbering", { domain: prepared.ref.domain, expected: next + i, got: num });
        throw E.aborted(E.Messages.sequenceConflict(next + i, num));
      }
    });
    return pages;
  }

  private async persist(
    prepared: Prepared,
    pages: EventPage[],
    snapshotState: EventBook["snapshotState"],
    expectedNext: number | undefined,
  ): Promise<EventPage[]> {
    if (pages.length === 0) return [];
    try {
      return await this.deps.events.append(prepared.ref, pages, {
        correlationId: prepared.correlationId,
        ...(expectedNext !== undefined ? { expectedNext } : {}),
        ...(snapshotState ? { snapshotState } : {}),
        ...(prepared.causation ? { causation: prepared.causation } : {}),
      });
    } catch (err) {
      if (err instanceof CausationRecordedError) {
        this.log.info("command.already_applied", { domain: prepared.ref.domain, source: err.component });
        return [];
      }
      if (err instanceof SequenceConflictError) {
        const conflict = E.aborted(E.Messages.sequenceConflict(err.expected, err.actual));
        storeConflicts.add(conflict);
        throw conflict;
      }
      if (err instanceof InvalidInputError) throw E.invalid(err.message);
      if (err instanceof StorageUnavailable) throw E.unavailable(E.Messages.persistFailed(err.message));
      throw E.internal(E.Messages.persistFailed((err as Error).message));
    }
  }

  private async publish(book: EventBook): Promise<void> {
    try {
      await this.deps.bus.publish(book);
    } catch (err) {
      // The store is the source of truth: consumers repair from it. Never fail the command here.
      this.log.warn("bus.publish_failed", { domain: book.cover?.domain, error: (err as Error).message });
    }
  }

  private async afterPersist(book: EventBook, syncMode: SyncMode): Promise<Projection[]> {
    const downstream = this.deps.downstream;
    if (!downstream || syncMode === SyncMode.NONE || book.pages.length === 0) return [];
    // Unknown sync-mode numbers read as SIMPLE (wire-contract §3.7).
    if (syncMode !== SyncMode.CASCADE) {
      try {
        return await downstream.projectors(book);
      } catch (err) {
        throw E.internal(E.Messages.projectorSyncFailed((err as Error).message));
      }
    }
    const { projections, failures } = await downstream.cascade(book);
    // The command's own events are persisted whatever failed downstream: say so, with the events.
    if (failures.length > 0) throw E.cascadeFailed(book, projections, failures);
    return projections;
  }
}
