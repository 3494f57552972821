// Hosts the reactive side in one process: a checkpointed consumer per saga, per PM input domain
// and per projector; one outbox dispatcher delivering what sagas and PMs decided; the deadline
// scheduler; the sync-projector and cascade runner the command pipeline calls for
// SYNC_MODE_SIMPLE / CASCADE.
import {
  AnyPayload,
  CommandBookSchema,
  CoverSchema,
  EditionEventsDeletedSchema,
  type EventBook,
  EventBookSchema,
  EventPageSchema,
  EventPages,
  ProcessTimeoutSchema,
  type Projection,
  ProjectionSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create, fromBinary } from "@bufbuild/protobuf";
import { matches } from "../bus/filter";
import type { BusFilter } from "../bus/types";
import { type Logger, log as rootLog } from "../observability/log";
import { NotFoundError } from "../storage/errors";
import type { DeadLetterEntry, EditionStore, OutboxEntry, PositionStore } from "../storage/types";
import type { CascadeResult, DownstreamRunner } from "./aggregate-pipeline";
import type { BackoffPolicy } from "./backoff";
import { EditionConsumers } from "./consumer";
import { DeadlineScheduler } from "./deadlines";
import { projectionDomain } from "./domains";
import { deliveryKey, type OutboxDispatcher } from "./outbox-dispatcher";
import { ProcessManagerCoordinator } from "./pm-coordinator";
import type { ReactiveDirectory } from "./reactive-ports";
import { dispatcherOf, type Reaction, type ReactionDeps, SagaCoordinator } from "./saga-coordinator";
import { Speculator } from "./speculator";
import type { Timer } from "./timer";
import { UpcastHistories } from "./upcast-histories";
import { upcastBook } from "./upcasting";

export interface ReactiveHostOptions extends ReactionDeps {
  positions: PositionStore;
  /**
   * Attempts and backoff before a consumer parks a failing book, the dispatcher parks an outbox
   * entry, and the scheduler parks a deadline (default 5 attempts, 50 ms → 2 s).
   */
  retry?: BackoffPolicy;
  timer?: Timer;
  /** The editions registry: consumers follow registered editions from the start. */
  editions?: EditionStore;
  directory: ReactiveDirectory;
  pollMs?: number;
  onFailure?: "dead-letter" | "stop";
  /** Deepest chain CASCADE follows before reporting a loop. */
  maxCascadeDepth?: number;
}

export type ConsumerKind = "saga" | "process_manager" | "projector";

export class ReactiveHost implements DownstreamRunner {
  readonly sagas: SagaCoordinator;
  readonly processManagers: ProcessManagerCoordinator;
  readonly dispatcher: OutboxDispatcher;
  /** What-if runs of the same components (SpeculativeService and the coordinator services). */
  readonly speculator: Speculator;
  private readonly consumers: EditionConsumers[] = [];
  private readonly kinds = new Map<EditionConsumers, ConsumerKind>();
  private readonly deadlines: DeadlineScheduler;
  private readonly log: Logger;

  constructor(private readonly options: ReactiveHostOptions) {
    this.dispatcher = dispatcherOf(options, {
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      ...(options.timer ? { timer: options.timer } : {}),
    });
    const deps = {
      ...options,
      dispatcher: this.dispatcher,
      histories: options.histories ?? new UpcastHistories(),
    };
    this.sagas = new SagaCoordinator(deps);
    this.processManagers = new ProcessManagerCoordinator(deps);
    this.speculator = new Speculator(options.directory, this.sagas, this.processManagers, deps);
    this.deadlines = new DeadlineScheduler(this.processManagers, options.events, options.log, {
      deadLetters: options.deadLetters,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.timer ? { timer: options.timer } : {}),
    });
    this.log = options.log ?? rootLog.child({ component: "reactive-host" });
  }

  /** Timelines per domain found in the store, scanned once per start and shared by consumers. */
  private storedEditions: Promise<Map<string, Set<string>>> | undefined;

  private editionSource() {
    const registry = async () => (await this.options.editions?.list())?.map((e) => e.name) ?? [];
    return {
      initial: async (domain: string) => {
        this.storedEditions ??= this.options.events.listAggregates().then((all) => {
          const map = new Map<string, Set<string>>();
          for (const a of all) {
            const set = map.get(a.domain) ?? new Set<string>();
            set.add(a.edition);
            map.set(a.domain, set);
          }
          return map;
        });
        return [...((await this.storedEditions).get(domain) ?? []), ...(await registry())];
      },
      periodic: async () => registry(),
    };
  }

  /**
   * Starts the outbox dispatcher (what a crash left pending goes out first, lane by lane), then
   * every consumer (each catches up from its checkpoint), then the deadlines.
   */
  async start(): Promise<void> {
    this.storedEditions = undefined;
    // Sweeps deliver what this host's sagas and PMs decided (deadlines included), nothing else.
    const mine = new Set([
      ...this.options.directory.sagas().map((s) => s.name),
      ...this.options.directory.processManagers().map((p) => p.name),
    ]);
    this.dispatcher.serveOnly((entry) => mine.has(entry.cause.component.split("#")[0] ?? ""));
    await this.dispatcher.start();
    const { directory } = this.options;
    for (const saga of directory.sagas()) {
      this.consumers.push(
        this.consumer("saga", saga.name, saga.input, (book) =>
          this.sagas.handleBook(saga, book).then(() => {}),
        ),
      );
    }
    for (const pm of directory.processManagers()) {
      for (const input of pm.inputs) {
        this.consumers.push(
          this.consumer("process_manager", pm.name, input, (book) =>
            this.processManagers.handleBook(pm, book).then(() => {}),
          ),
        );
      }
    }
    for (const projector of directory.projectors()) {
      this.consumers.push(
        this.consumer("projector", projector.name, projector.input, async (book) => {
          const projection = await projector.handle(book);
          await this.stream(projector.name, book, projection);
        }),
      );
    }
    await Promise.all(this.consumers.map((c) => c.start()));
    await this.deadlines.start(directory.processManagers());
    this.log.info("reactive.started", { consumers: this.consumers.length });
  }

  /**
   * Stops promptly, even amid a flood: the dispatcher first (deliveries in progress stop after
   * their current entry, the rest stays pending in the outbox), so that consumers waiting on a
   * reaction's deliveries are not held until the whole flood is delivered.
   */
  async stop(): Promise<void> {
    const dispatcher = this.dispatcher.stop();
    await this.deadlines.stop();
    await Promise.all(this.consumers.map((c) => c.stop()));
    await dispatcher;
  }

  /**
   * Wakes every consumer and waits until each has caught up, then delivers every outbox entry
   * whose turn has come (tests, CLI). Entries waiting for a retry are not waited for.
   */
  async settle(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.wake()));
    await this.dispatcher.sweep();
  }

  /**
   * Rebuilds an async projection: resets the projector's checkpoint and replays its input domain
   * from the start. Resolves once caught up, with the number of events handed over again.
   */
  async rebuildProjection(name: string): Promise<number> {
    if (!this.options.directory.projectors().some((p) => p.name === name)) {
      throw new NotFoundError(`No projector registered with name: ${name}`);
    }
    const consumers = this.consumers.filter((c) => c.name === name);
    let replayed = 0;
    for (const consumer of consumers) {
      await consumer.stop();
      await consumer.resetCheckpoint();
      const before = consumer.processedEvents;
      await consumer.start();
      replayed += consumer.processedEvents - before;
    }
    this.log.info("projection.rebuilt", { projector: name, events: replayed });
    return replayed;
  }

  /** Every consumer's checkpoint per followed timeline (operators' view, lag). */
  async checkpoints(): Promise<
    { consumer: string; kind: ConsumerKind; domain: string; edition: string; position: bigint }[]
  > {
    const all = await Promise.all(
      this.consumers.map(async (c) =>
        (await c.checkpoints()).map((p) => ({ consumer: c.name, kind: this.kinds.get(c) ?? "saga", ...p })),
      ),
    );
    return all.flat();
  }

  private consumer(
    kind: ConsumerKind,
    name: string,
    filter: BusFilter,
    process: (book: EventBook) => Promise<void>,
  ) {
    const consumer = this.newConsumer(name, filter, process);
    this.kinds.set(consumer, kind);
    return consumer;
  }

  private newConsumer(name: string, filter: BusFilter, process: (book: EventBook) => Promise<void>) {
    return new EditionConsumers({
      name,
      filter,
      events: this.options.events,
      positions: this.options.positions,
      deadLetters: this.options.deadLetters,
      bus: this.options.bus,
      process,
      ...(this.options.pollMs ? { pollMs: this.options.pollMs } : {}),
      ...(this.options.onFailure ? { onFailure: this.options.onFailure } : {}),
      ...(this.options.retry ? { retry: this.options.retry } : {}),
      editions: this.editionSource(),
      // Consumers hand on books already upcast (the type filter needs the current versions too).
      ...(this.options.upcast ? { upcast: this.options.upcast } : {}),
    });
  }

  /**
   * Processes a dead-lettered payload again: an event book goes back to the consumer that parked
   * it, a refused command is sent again. Marks the entry replayed on success; throws otherwise.
   */
  async replay(entry: DeadLetterEntry): Promise<void> {
    if (entry.replayedAt) return;
    if (entry.payloadType === CommandBookSchema.typeName) {
      // A command parked by the outbox keeps its delivery key: replayed twice, it lands once.
      const parked = await this.parkedEntry(entry);
      await this.options.pipeline.run(
        fromBinary(CommandBookSchema, entry.payload),
        parked ? { causation: deliveryKey(parked) } : {},
      );
    } else if (entry.payloadType === EventBookSchema.typeName) {
      const book = fromBinary(EventBookSchema, entry.payload);
      const { directory } = this.options;
      const saga = directory.sagas().find((s) => s.name === entry.consumer);
      const pm = directory.processManagers().find((p) => p.name === entry.consumer);
      const projector = directory.projectors().find((p) => p.name === entry.consumer);
      const timeout = book.pages[0];
      if (saga) await this.sagas.handleBook(saga, book);
      else if (pm && book.cover?.domain === pm.stateDomain && timeout && isTimeout(timeout.event?.typeUrl)) {
        // A parked deadline: delivered again (once, by its scheduling page).
        await this.processManagers.deliverTimeout(
          pm,
          book.cover,
          EventPages.sequence(timeout) ?? 0,
          AnyPayload.unpack(timeout.event, ProcessTimeoutSchema),
        );
      } else if (pm) await this.processManagers.handleBook(pm, book);
      else if (projector) await projector.handle(book);
      else throw new NotFoundError(`No consumer registered with name: ${entry.consumer}`);
    } else {
      throw new NotFoundError(`Unknown dead-letter payload type: ${entry.payloadType}`);
    }
    await this.options.deadLetters.markReplayed(entry.id);
    this.log.info("dlq.replayed", { id: entry.id, consumer: entry.consumer });
  }

  /** The outbox entry a dead letter was parked from (its key names it), if any. */
  private async parkedEntry(entry: DeadLetterEntry): Promise<OutboxEntry | undefined> {
    const id = /^outbox\/.+\/(\d+)$/.exec(entry.key ?? "")?.[1];
    const parked = id === undefined ? undefined : await this.options.outbox.get(Number(id));
    return parked?.status === "parked" ? parked : undefined;
  }

  /** Sync projectors of the book's domain (SYNC_MODE_SIMPLE). */
  async projectors(book: EventBook): Promise<Projection[]> {
    const out: Projection[] = [];
    const upcast = await this.upcast(book);
    for (const projector of this.options.directory.projectors()) {
      if (projector.synchronous && matches(projector.input, upcast)) out.push(await projector.handle(upcast));
    }
    return out;
  }

  /** The book as handlers see it: upcast (runtime.md §9). */
  private upcast(book: EventBook): Promise<EventBook> {
    return upcastBook(this.options.upcast, book);
  }

  /**
   * Streams a projector's output to whoever follows the correlation id (wire-contract §3.9): a book
   * `_projection.{projector}.{source domain}` with one page numbered Projection.sequence. Bus only,
   * never stored; a lost one is not repaired (the read model is the record).
   */
  private async stream(projector: string, source: EventBook, projection: Projection): Promise<void> {
    const cover = source.cover;
    if (!cover || cover.correlationId === "") return;
    const book = create(EventBookSchema, {
      cover: create(CoverSchema, { ...cover, domain: projectionDomain(projector, cover.domain) }),
      pages: [
        create(EventPageSchema, {
          sequence: { case: "num", value: projection.sequence },
          createdAt: Timestamps.now(),
          event: AnyPayload.pack(ProjectionSchema, projection),
        }),
      ],
    });
    // Nothing relies on it: a bus that can send it unconfirmed does, and the book's processing
    // does not wait for it.
    const bus = this.options.bus;
    if (bus.notify) {
      bus.notify(book);
      return;
    }
    try {
      await bus.publish(book);
    } catch (err) {
      this.log.warn("projection.stream_failed", { projector, error: (err as Error).message });
    }
  }

  /**
   * Tells every projector that an edition was deleted (one `angzarr.EditionEventsDeleted` page per
   * input domain), so it drops its read model of that edition.
   */
  async deleteEditionReadModels(edition: string): Promise<void> {
    for (const projector of this.options.directory.projectors()) {
      const domain = projector.input.domain ?? "";
      const deleted = create(EditionEventsDeletedSchema, {
        edition,
        domain,
        deletedAt: new Date().toISOString(),
      });
      await projector.handle(
        create(EventBookSchema, {
          cover: create(CoverSchema, { domain, edition: { name: edition } }),
          pages: [EventPages.forced(AnyPayload.pack(EditionEventsDeletedSchema, deleted))],
        }),
      );
    }
    this.log.info("edition.read_models_deleted", { edition });
  }

  /** Everything the book causes, transitively, with every projection and every failure. */
  async cascade(book: EventBook): Promise<CascadeResult> {
    const projections: Projection[] = [];
    const failures: string[] = [];
    await this.follow(book, 0, projections, failures);
    return { projections, failures };
  }

  private async follow(
    book: EventBook,
    depth: number,
    projections: Projection[],
    failures: string[],
  ): Promise<void> {
    if (depth > (this.options.maxCascadeDepth ?? 16)) {
      failures.push(`runtime: cascade deeper than ${this.options.maxCascadeDepth ?? 16} steps`);
      return;
    }
    const step = await this.react(book, true);
    projections.push(...step.projections);
    failures.push(...step.failures);
    for (const caused of step.caused) await this.follow(caused, depth + 1, projections, failures);
  }

  /**
   * One step of SIMPLE / CASCADE for one persisted book, in this host: its synchronous projectors;
   * with `cascade`, its sagas and process managers too, answering with the books they caused.
   */
  async react(
    book: EventBook,
    cascade: boolean,
  ): Promise<{ projections: Projection[]; caused: EventBook[]; failures: string[] }> {
    const projections = await this.projectors(book);
    if (!cascade) return { projections, caused: [], failures: [] };
    const upcast = await this.upcast(book);
    const reactions: Reaction[] = [];
    for (const saga of this.options.directory.sagas()) {
      if (matches(saga.input, upcast)) reactions.push(await this.sagas.handleBook(saga, upcast));
    }
    for (const pm of this.options.directory.processManagers()) {
      if (pm.inputs.some((f) => matches(f, upcast)))
        reactions.push(await this.processManagers.handleBook(pm, upcast));
    }
    return {
      projections,
      caused: reactions.flatMap((r) => r.books),
      failures: reactions.flatMap((r) => r.failures),
    };
  }
}

function isTimeout(typeUrl: string | undefined): boolean {
  return TypeUrl.fullName(typeUrl ?? "") === ProcessTimeoutSchema.typeName;
}
