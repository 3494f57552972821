// Saga coordination (runtime.md §4): per source page, prepare → fetch destinations → execute,
// then one atomic write: the page's causation record, the facts, and the decided commands into
// the outbox. The outbox dispatcher then delivers each command exactly once; a refused command is
// compensated (RevokeEventCommand to the trigger, through the outbox too), and the compensation's
// bookkeeping (SagaCompensationFailed, dead letter) is written atomically with its settlement. A
// re-delivered page finds its causation recorded and changes nothing.
import {
  AnyPayload,
  type CommandBook,
  CommandBookSchema,
  CommandPageSchema,
  type Cover,
  CoverSchema,
  Covers,
  Editions,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPages,
  type RevokeEventCommand,
  RevokeEventCommandSchema,
  SagaCommandOriginSchema,
  SagaCompensationFailedSchema,
  SagaExecuteRequestSchema,
  SagaPrepareRequestSchema,
  type SagaResponse,
  SagaResponseSchema,
  type TemporalQuery,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import type { EventBus } from "../bus/types";
import { type Logger, log as rootLog } from "../observability/log";
import { traceContext } from "../observability/trace-links";
import type {
  AggregateRef,
  CausationKey,
  CausationStore,
  DeadLetterInput,
  DeadLetterStore,
  EventStore,
  OutboxEntry,
  OutboxStore,
} from "../storage/types";
import type { PageUpcaster } from "./aggregate-pipeline";
import type { BackoffPolicy } from "./backoff";
import { SAGA_FAILURE_DOMAIN } from "./domains";
import { reactiveTurn } from "./fair-share";
import { readHistories, readHistory } from "./history";
import { KeyedMutex } from "./keyed-mutex";
import { decidedEntries, encodeCommands } from "./outbox-decision";
import {
  type DeliveryKind,
  type DispatcherOptions,
  OutboxDispatcher,
  type Settlement,
} from "./outbox-dispatcher";
import type { CommandRunner } from "./ports";
import { emptyReaction, encodeReaction, mergeReaction, type Reaction } from "./reaction";
import type { SagaHandler } from "./reactive-ports";
import type { FlowListener } from "./topology-recorder";
import type { UpcastHistories } from "./upcast-histories";

export {
  decodeReaction,
  emptyReaction,
  encodeReaction,
  isTransient,
  mergeReaction,
  type Reaction,
} from "./reaction";

export { SAGA_FAILURE_DOMAIN };

/** Outbox kinds written by sagas. */
export const SAGA_COMMAND = "saga-command";
export const COMPENSATION = "saga-compensation";

export interface ReactionDeps {
  /** Sends decided commands: the pipeline here, or the target domain's coordinator elsewhere. */
  pipeline: CommandRunner;
  events: EventStore;
  causations: CausationStore;
  deadLetters: DeadLetterStore;
  /** Where decided commands wait for delivery (same database as events and causations). */
  outbox: OutboxStore;
  bus: EventBus;
  /**
   * Delivers the outbox; one per process, shared by its sagas and PMs (absent: each coordinator
   * makes its own, to be started by whoever runs it).
   */
  dispatcher?: OutboxDispatcher;
  /** Attempts and backoff of deliveries before parking (a dispatcher made here uses it). */
  retry?: BackoffPolicy;
  upcast?: PageUpcaster;
  /** Hears about every flow a reaction causes (topology). */
  flows?: FlowListener;
  log?: Logger;
  /**
   * Outbox entries written per step of a large decision (a dispatcher made here uses it; see
   * outbox-decision.ts; default 256).
   */
  outboxChunk?: number;
  /** Whole histories kept between reads (the host shares one among its sagas and PMs). */
  histories?: UpcastHistories;
}

/** The dispatcher a coordinator uses: the shared one, or its own. */
export function dispatcherOf(
  deps: ReactionDeps,
  extra: Pick<DispatcherOptions, "pollMs" | "timer"> = {},
): OutboxDispatcher {
  return (
    deps.dispatcher ??
    new OutboxDispatcher({
      outbox: deps.outbox,
      causations: deps.causations,
      pipeline: deps.pipeline,
      bus: deps.bus,
      ...(deps.retry ? { retry: deps.retry } : {}),
      ...(deps.log ? { log: deps.log } : {}),
      ...(deps.outboxChunk ? { chunk: deps.outboxChunk } : {}),
      ...extra,
    })
  );
}

function pageMatches(types: string[] | undefined, typeUrl: string): boolean {
  if (!types || types.length === 0) return true;
  const name = TypeUrl.fullName(typeUrl);
  return types.some((t) => TypeUrl.matchesEventType(t, name));
}

/**
 * Reads aggregate histories for a saga or PM: on the timeline given (default the cover's), with its
 * registered branch point, upcast, whole or as of a point in time.
 */
export function historyReader(deps: ReactionDeps, asOf?: TemporalQuery) {
  return (cover: Cover, edition?: string): Promise<EventBook> =>
    readHistory(deps.events, cover, historyOptions(deps, asOf, edition));
}

/** Reads many histories as historyReader does, in batches (destinations of a saga or PM). */
export function historiesReader(deps: ReactionDeps, asOf?: TemporalQuery) {
  return (covers: Cover[], edition?: string): Promise<EventBook[]> =>
    readHistories(deps.events, covers, historyOptions(deps, asOf, edition));
}

function historyOptions(deps: ReactionDeps, asOf: TemporalQuery | undefined, edition: string | undefined) {
  return {
    ...(edition !== undefined ? { edition } : {}),
    ...(deps.upcast ? { upcast: deps.upcast } : {}),
    ...(asOf ? { asOf } : {}),
    ...(deps.histories ? { cache: deps.histories } : {}),
    resolve: (c: Cover, e?: string) => deps.pipeline.editions.ref(c, e),
  };
}

/**
 * Tells the topology that events of the cause's domain made its component (a saga or PM; the part
 * of the key before any `#`) write `written`.
 */
export function observeFlow(deps: ReactionDeps, cause: CausationKey, written: EventBook): void {
  deps.flows?.flow({
    from: cause.domain,
    component: cause.component.split("#", 1)[0] ?? cause.component,
    to: written.cover?.domain ?? "",
    correlationId: written.cover?.correlationId ?? "",
  });
}

/** One source page's causation key for a component. */
export function causationOf(component: string, cover: Cover, sequence: number): CausationKey {
  return {
    component,
    domain: cover.domain,
    edition: Covers.edition(cover),
    root: cover.root?.value ?? new Uint8Array(16),
    sequence,
  };
}

/** Pages a saga coordinator remembers having reacted to (SagaCoordinator.seen). */
const SEEN_PAGES = 10_000;

export class SagaCoordinator {
  private readonly log: Logger;
  /** One reaction at a time per (saga, source aggregate): the async consumer and a cascade may race. */
  private readonly mutex = new KeyedMutex();
  /**
   * Pages this coordinator reacted to lately (their causation ids), oldest first, at most
   * SEEN_PAGES. Only a page seen before is looked up in the causation store before deciding (a
   * cascade's book reaching the consumer too, a retried book): its record answers without a second
   * decision. A page not seen here is decided at once; if it was recorded anyway (before a
   * restart, by another replica) the decision's write refuses it and its record answers.
   */
  private readonly seen = new Set<string>();
  readonly dispatcher: OutboxDispatcher;

  constructor(private readonly deps: ReactionDeps) {
    this.log = deps.log ?? rootLog.child({ component: "saga-coordinator" });
    this.dispatcher = dispatcherOf(deps);
    this.dispatcher.register(SAGA_COMMAND, this.commandKind());
    this.dispatcher.register(COMPENSATION, this.compensationKind());
  }

  /** Reacts to every unhandled page of a delivered book, one page at a time. */
  async handleBook(saga: SagaHandler, book: EventBook): Promise<Reaction> {
    const reaction = emptyReaction();
    const cover = book.cover;
    if (!cover || !Covers.hasValidRoot(cover)) return reaction;
    if (saga.input.domain !== undefined && cover.domain !== saga.input.domain) return reaction;
    // One lane per source aggregate: its commands are delivered in the order they were decided.
    // Printable (PostgreSQL text holds no NUL): names and domains never contain '/'.
    const lane = `${saga.name}/${cover.domain}/${Covers.edition(cover)}/${Buffer.from(cover.root?.value ?? []).toString("hex")}`;
    for (const page of book.pages) {
      const sequence = EventPages.sequence(page);
      if (sequence === undefined || !pageMatches(saga.input.eventTypes, page.event?.typeUrl ?? "")) continue;
      const key = causationOf(saga.name, cover, sequence);
      await reactiveTurn();
      await this.mutex.run(lane, async () => {
        if (this.seenBefore(`${lane}/${sequence}`) && (await this.deps.causations.has(key))) {
          mergeReaction(reaction, await this.dispatcher.recorded([key]));
          return;
        }
        const source = create(EventBookSchema, { cover, pages: [page] });
        const response = await this.decide(saga, source);
        mergeReaction(reaction, await this.commit(key, lane, response));
      });
    }
    return reaction;
  }

  /** Whether the page was seen before; remembers it (the oldest forgotten past SEEN_PAGES). */
  private seenBefore(page: string): boolean {
    if (this.seen.has(page)) return true;
    this.seen.add(page);
    if (this.seen.size > SEEN_PAGES) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }

  /**
   * The decision, written once: causation, facts and outbox entries in one write. The entries are
   * keyed by their place in this stored decision, never by deciding again. Then delivered.
   */
  private async commit(key: CausationKey, lane: string, response: SagaResponse): Promise<Reaction> {
    const facts = response.events
      .filter((b) => b.cover && Covers.hasValidRoot(b.cover) && b.pages.length > 0)
      .map((b) => ({
        cover: b.cover as Cover,
        pages: b.pages.map((p) => (p.event ? EventPages.forced(p.event, p.createdAt) : p)),
      }));
    const booksOf = (stored: EventPage[][]) =>
      stored.map((pages, i) => create(EventBookSchema, { cover: facts[i]?.cover, pages }));
    // Facts land on their aggregate's timeline with its registered branch point.
    const refs = await Promise.all(facts.map((f) => this.deps.pipeline.editions.ref(f.cover)));
    // Many commands: stored as one decision, expanded by the dispatcher in chunks.
    const enqueue = await decidedEntries(
      { cause: key, lane, kind: SAGA_COMMAND, ...traceContext() },
      await encodeCommands(response.commands),
      this.dispatcher.chunk,
    );
    const [result] = await this.deps.outbox.write([
      {
        causations: [key],
        appends: facts.map((f, i) => ({
          ref: refs[i] as AggregateRef,
          pages: f.pages,
          correlationId: f.cover.correlationId,
        })),
        enqueue,
        outcome: (stored) => encodeReaction({ books: booksOf(stored), failures: [] }),
      },
    ]);
    if (result?.kind !== "written") return this.dispatcher.recorded([key]); // handled meanwhile
    const reaction = emptyReaction();
    for (const book of booksOf(result.stored)) {
      await reactiveTurn();
      await this.publish(book);
      reaction.books.push(book);
      observeFlow(this.deps, key, book);
    }
    mergeReaction(reaction, await this.dispatcher.deliver(lane, result.enqueued));
    return reaction;
  }

  private async publish(book: EventBook): Promise<void> {
    try {
      await this.deps.bus.publish(book);
    } catch (err) {
      this.log.warn("bus.publish_failed", { domain: book.cover?.domain, error: (err as Error).message });
    }
  }

  /**
   * Prepare → fetch → execute → stamp, with no side effects (also used for speculation, with
   * supplied destinations or destinations read as of a point in time).
   */
  async decide(
    saga: SagaHandler,
    source: EventBook,
    supplied?: EventBook[],
    asOf?: TemporalQuery,
  ): Promise<SagaResponse> {
    const cover = source.cover as Cover;
    let destinations = supplied ?? [];
    if (supplied === undefined || supplied.length === 0) {
      const prepared = await saga.prepare(create(SagaPrepareRequestSchema, { source }));
      // In batches, taking turns: a saga may ask for many destinations.
      destinations = await historiesReader(this.deps, asOf)(prepared.destinations, Covers.edition(cover));
    }
    const response = await saga.execute(create(SagaExecuteRequestSchema, { source, destinations }));
    const first = source.pages[0];
    const sequence = first ? (EventPages.sequence(first) ?? 0) : 0;
    return create(SagaResponseSchema, {
      commands: await stampCommands(response.commands, saga.name, cover, sequence),
      events: response.events.map((b) => stampFacts(b, cover)),
    });
  }

  /** A saga command: delivered, or refused and compensated, or parked. */
  private commandKind(): DeliveryKind {
    const refused = (entry: OutboxEntry, command: CommandBook, reason: string): Settlement => {
      const origin = originOf(entry, command);
      this.log.warn("saga.command_rejected", {
        saga: origin.saga,
        target: command.cover?.domain,
        correlationId: origin.trigger.correlationId,
        reason,
      });
      const revoke = revokeCommand(origin.saga, origin.trigger, origin.sequence, command, reason);
      return {
        status: "rejected",
        books: [],
        failures: [`${origin.saga}: command to ${command.cover?.domain} rejected: ${reason}`],
        enqueue: [
          {
            cause: entry.cause,
            name: `${entry.name}#compensation`,
            lane: entry.lane,
            kind: COMPENSATION,
            payload: toBinary(CommandBookSchema, revoke),
            ...(entry.traceparent ? { traceparent: entry.traceparent } : {}),
          },
        ],
      };
    };
    return {
      answered: (entry, command, outcome) => {
        if (outcome.kind !== "events") {
          return refused(entry, command, `Command revoked: ${outcome.revocation.reason}`);
        }
        if (outcome.book.pages.length > 0) observeFlow(this.deps, entry.cause, outcome.book);
        return {
          status: "delivered",
          books: outcome.book.pages.length > 0 ? [outcome.book] : [],
          failures: [],
        };
      },
      refused,
      parked: (entry, command, reason) => {
        this.log.error("saga.command_parked", {
          saga: entry.cause.component,
          target: command.cover?.domain,
          reason,
        });
        return parkedCommand(entry, command, reason);
      },
    };
  }

  /**
   * A compensation (RevokeEventCommand to the trigger): its answer's flags are honoured in the
   * same write that settles it, so a crash or a failing write never records anything twice.
   */
  private compensationKind(): DeliveryKind {
    const failed = (status: "rejected" | "parked", revoke: CommandBook, why: string): Settlement => {
      const r = revokeOf(revoke);
      this.log.error("saga.compensation_failed", {
        saga: r.sagaName,
        correlationId: revoke.cover?.correlationId,
        error: why,
      });
      return {
        status,
        books: [],
        failures: [`${r.sagaName}: compensation failed: ${why}`],
        appends: [failureRecord(revoke, r, why)],
        deadLetter: compensationLetter(revoke, r, `compensation failed: ${why}`, false),
      };
    };
    return {
      answered: (_entry, revoke, outcome) => {
        if (outcome.kind === "events") {
          return {
            status: "delivered",
            books: outcome.book.pages.length > 0 ? [outcome.book] : [],
            failures: [],
          };
        }
        const answer = outcome.revocation;
        const r = revokeOf(revoke);
        const settlement: Settlement = { status: "delivered", books: [], failures: [] };
        if (answer.emitSystemRevocation) settlement.appends = [failureRecord(revoke, r, answer.reason)];
        if (answer.sendToDeadLetterQueue || answer.escalate) {
          settlement.deadLetter = compensationLetter(
            revoke,
            r,
            `${r.rejectionReason}; ${answer.reason}`,
            answer.escalate,
          );
        }
        if (answer.escalate) {
          this.log.error("saga.escalated", {
            saga: r.sagaName,
            correlationId: revoke.cover?.correlationId,
            reason: answer.reason,
          });
        }
        if (answer.abort)
          settlement.failures.push(`${r.sagaName} aborted: ${answer.reason || r.rejectionReason}`);
        return settlement;
      },
      refused: (_entry, revoke, why) => failed("rejected", revoke, why),
      parked: (_entry, revoke, why) => failed("parked", revoke, why),
    };
  }
}

/** Who sent a saga/PM command, from its stamped origin (the entry's cause when missing). */
export function originOf(
  entry: OutboxEntry,
  command: CommandBook,
): { saga: string; trigger: Cover; sequence: number } {
  const origin = command.sagaOrigin;
  const trigger =
    origin?.triggeringAggregate ??
    Covers.make({ domain: entry.cause.domain, root: entry.cause.root, edition: entry.cause.edition });
  return {
    saga: origin?.sagaName || entry.cause.component,
    trigger,
    sequence: origin?.triggeringEventSequence ?? entry.cause.sequence,
  };
}

/** A saga or PM command that could not be delivered: parked, replay sends it again. */
export function parkedCommand(entry: OutboxEntry, command: CommandBook, reason: string): Settlement {
  const origin = originOf(entry, command);
  return {
    status: "parked",
    books: [],
    failures: [`${origin.saga}: command to ${command.cover?.domain} parked: ${reason}`],
    deadLetter: deadLetter(origin, command, entry, `not delivered: ${reason}`),
  };
}

function deadLetter(
  origin: { saga: string; trigger: Cover; sequence: number },
  command: CommandBook,
  entry: OutboxEntry,
  reason: string,
): DeadLetterInput {
  return {
    consumer: origin.saga,
    domain: origin.trigger.domain,
    edition: Covers.edition(origin.trigger),
    root: origin.trigger.root?.value ?? new Uint8Array(16),
    sequence: origin.sequence,
    correlationId: origin.trigger.correlationId,
    reason,
    payloadType: CommandBookSchema.typeName,
    payload: toBinary(CommandBookSchema, command),
    key: `outbox/${entry.cause.component}/${entry.id}`,
  };
}

function revokeOf(revoke: CommandBook): RevokeEventCommand {
  return AnyPayload.unpack(revoke.pages[0]?.command, RevokeEventCommandSchema);
}

function compensationLetter(revoke: CommandBook, r: RevokeEventCommand, reason: string, escalated: boolean) {
  const trigger = revoke.cover as Cover;
  return {
    consumer: r.sagaName,
    domain: trigger.domain,
    edition: Covers.edition(trigger),
    root: trigger.root?.value ?? new Uint8Array(16),
    sequence: r.triggeringEventSequence,
    correlationId: trigger.correlationId,
    reason,
    payloadType: CommandBookSchema.typeName,
    payload: toBinary(CommandBookSchema, r.rejectedCommand ?? create(CommandBookSchema)),
    escalated,
  };
}

/** The `SagaCompensationFailed` record of a compensation, in the system domain. */
function failureRecord(revoke: CommandBook, r: RevokeEventCommand, compensationFailureReason: string) {
  const trigger = revoke.cover as Cover;
  const event = AnyPayload.pack(SagaCompensationFailedSchema, {
    $typeName: "angzarr.SagaCompensationFailed",
    triggeringAggregate: trigger,
    triggeringEventSequence: r.triggeringEventSequence,
    sagaName: r.sagaName,
    rejectionReason: r.rejectionReason,
    compensationFailureReason,
    ...(r.rejectedCommand ? { rejectedCommand: r.rejectedCommand } : {}),
    occurredAt: Timestamps.now(),
  });
  return {
    cover: create(CoverSchema, { ...trigger, domain: SAGA_FAILURE_DOMAIN }),
    pages: [EventPages.forced(event)],
  };
}

/** RevokeEventCommand to the triggering aggregate of a refused saga command. */
export function revokeCommand(
  sagaName: string,
  trigger: Cover,
  sequence: number,
  rejected: CommandBook,
  reason: string,
): CommandBook {
  return create(CommandBookSchema, {
    cover: trigger,
    pages: [
      create(CommandPageSchema, {
        sequence: 0,
        command: AnyPayload.pack(RevokeEventCommandSchema, {
          $typeName: "angzarr.RevokeEventCommand",
          triggeringEventSequence: sequence,
          sagaName,
          rejectionReason: reason,
          rejectedCommand: rejected,
        }),
      }),
    ],
    sagaOrigin: create(SagaCommandOriginSchema, {
      sagaName,
      triggeringAggregate: trigger,
      triggeringEventSequence: sequence,
    }),
  });
}

/** A saga/PM output cover: the trigger's correlation id and edition unless it names its own. */
function inheritCover(cover: Cover | undefined, trigger: Cover): Cover {
  const own = cover ?? create(CoverSchema);
  const edition = own.edition && !Editions.isMain(own.edition.name) ? own.edition : trigger.edition;
  return create(CoverSchema, {
    ...own,
    correlationId: own.correlationId || trigger.correlationId,
    ...(edition ? { edition } : {}),
  });
}

/** stampCommand for each command, in steps (a reaction may decide 100,000 commands). */
export async function stampCommands(
  commands: CommandBook[],
  sagaName: string,
  trigger: Cover,
  sequence: number,
): Promise<CommandBook[]> {
  const out: CommandBook[] = [];
  for (const command of commands) {
    await reactiveTurn();
    out.push(stampCommand(command, sagaName, trigger, sequence));
  }
  return out;
}

/** Correlation id and edition of the source, and the real origin of the command. */
export function stampCommand(
  command: CommandBook,
  sagaName: string,
  trigger: Cover,
  sequence: number,
): CommandBook {
  return create(CommandBookSchema, {
    ...command,
    cover: inheritCover(command.cover, trigger),
    sagaOrigin: create(SagaCommandOriginSchema, {
      sagaName,
      triggeringAggregate: trigger,
      triggeringEventSequence: sequence,
    }),
  });
}

function stampFacts(book: EventBook, trigger: Cover): EventBook {
  return create(EventBookSchema, { ...book, cover: inheritCover(book.cover, trigger) });
}
