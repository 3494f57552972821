// Saga coordination (runtime.md §4): per source page, prepare → fetch destinations → execute,
// stamp and run the commands through the saga command path, record facts, compensate refusals,
// and remember what was done so a re-delivered page has no second effect.
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
  RevokeEventCommandSchema,
  SagaCommandOriginSchema,
  SagaCompensationFailedSchema,
  SagaExecuteRequestSchema,
  SagaPrepareRequestSchema,
  type SagaResponse,
  SagaResponseSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EventBus } from "../bus/types";
import { type Logger, log as rootLog } from "../observability/log";
import { CausationRecordedError } from "../storage/errors";
import type { CausationKey, CausationStore, DeadLetterStore, EventStore } from "../storage/types";
import type { AggregatePipeline, PageUpcaster } from "./aggregate-pipeline";
import { readHistory, refOf } from "./history";
import { KeyedMutex } from "./keyed-mutex";
import type { SagaHandler } from "./reactive-ports";

/** System domain of `SagaCompensationFailed` records. */
export const SAGA_FAILURE_DOMAIN = "angzarr.saga-failures";

/** What reacting to one book caused. */
export interface Reaction {
  /** Delta books persisted as a consequence (command events, facts, compensation). */
  books: EventBook[];
  /** Failures to report to a waiting (cascade) caller. */
  failures: string[];
}

export const emptyReaction = (): Reaction => ({ books: [], failures: [] });

/** Adds one reaction's books and failures to another. */
export function mergeReaction(into: Reaction, from: Reaction): void {
  into.books.push(...from.books);
  into.failures.push(...from.failures);
}

/**
 * A reaction as stored with its causation record, so whoever finds the work already done (the
 * async consumer and a CASCADE caller race for it) still learns what it caused.
 */
export function encodeReaction(reaction: Reaction): Uint8Array {
  const json = JSON.stringify({
    failures: reaction.failures,
    books: reaction.books.map((b) => Buffer.from(toBinary(EventBookSchema, b)).toString("base64")),
  });
  return new TextEncoder().encode(json);
}

export function decodeReaction(bytes: Uint8Array | undefined): Reaction {
  if (!bytes || bytes.length === 0) return emptyReaction();
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { failures?: string[]; books?: string[] };
  return {
    failures: parsed.failures ?? [],
    books: (parsed.books ?? []).map((b) =>
      fromBinary(EventBookSchema, new Uint8Array(Buffer.from(b, "base64"))),
    ),
  };
}

export interface ReactionDeps {
  pipeline: AggregatePipeline;
  events: EventStore;
  causations: CausationStore;
  deadLetters: DeadLetterStore;
  bus: EventBus;
  upcast?: PageUpcaster;
  log?: Logger;
}

/** Errors that mean "try again later", not "the command was refused". */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof ConnectError)) return true;
  return [Code.Unavailable, Code.Internal, Code.DeadlineExceeded, Code.Unknown, Code.Canceled].includes(
    err.code,
  );
}

function pageMatches(types: string[] | undefined, typeUrl: string): boolean {
  if (!types || types.length === 0) return true;
  const name = TypeUrl.fullName(typeUrl);
  return types.some((t) => TypeUrl.matchesEventType(t, name));
}

export class SagaCoordinator {
  private readonly log: Logger;
  /** One reaction at a time per (saga, source aggregate): the async consumer and a cascade may race. */
  private readonly mutex = new KeyedMutex();

  constructor(private readonly deps: ReactionDeps) {
    this.log = deps.log ?? rootLog.child({ component: "saga-coordinator" });
  }

  /** Reacts to every unhandled page of a delivered book, one page at a time. */
  async handleBook(saga: SagaHandler, book: EventBook): Promise<Reaction> {
    const reaction = emptyReaction();
    const cover = book.cover;
    if (!cover || !Covers.hasValidRoot(cover)) return reaction;
    if (saga.input.domain !== undefined && cover.domain !== saga.input.domain) return reaction;
    for (const page of book.pages) {
      const sequence = EventPages.sequence(page);
      if (sequence === undefined || !pageMatches(saga.input.eventTypes, page.event?.typeUrl ?? "")) continue;
      const key = {
        component: saga.name,
        domain: cover.domain,
        edition: Covers.edition(cover),
        root: cover.root!.value,
        sequence,
      };
      await this.mutex.run(`${saga.name}\u0000${Covers.key(cover)}`, async () => {
        if (await this.deps.causations.has(key)) {
          mergeReaction(reaction, decodeReaction(await this.deps.causations.outcome(key)));
          return;
        }
        const source = create(EventBookSchema, { cover, pages: [page] });
        const response = await this.decide(saga, source);
        const pageReaction = emptyReaction();
        await this.apply(saga, source, sequence, response, pageReaction);
        await this.deps.causations.record(key, encodeReaction(pageReaction));
        mergeReaction(reaction, pageReaction);
      });
    }
    return reaction;
  }

  /** Prepare → fetch → execute → stamp, with no side effects (also used for speculation). */
  async decide(saga: SagaHandler, source: EventBook, supplied?: EventBook[]): Promise<SagaResponse> {
    const cover = source.cover as Cover;
    let destinations = supplied ?? [];
    if (supplied === undefined || supplied.length === 0) {
      const prepared = await saga.prepare(create(SagaPrepareRequestSchema, { source }));
      const edition = Covers.edition(cover);
      destinations = await Promise.all(
        prepared.destinations.map((d) =>
          readHistory(this.deps.events, d, { edition, ...this.upcastOption() }),
        ),
      );
    }
    const response = await saga.execute(create(SagaExecuteRequestSchema, { source, destinations }));
    const first = source.pages[0];
    const sequence = first ? (EventPages.sequence(first) ?? 0) : 0;
    return create(SagaResponseSchema, {
      commands: response.commands.map((c) => stampCommand(c, saga.name, cover, sequence)),
      events: response.events.map((b) => stampFacts(b, cover)),
    });
  }

  private upcastOption(): { upcast?: PageUpcaster } {
    return this.deps.upcast ? { upcast: this.deps.upcast } : {};
  }

  private async apply(
    saga: SagaHandler,
    source: EventBook,
    sequence: number,
    response: SagaResponse,
    reaction: Reaction,
  ): Promise<void> {
    const cover = source.cover as Cover;
    for (const [index, command] of response.commands.entries()) {
      // Commands already applied before a crash are not sent again (only failed ones retry).
      const commandKey = {
        component: `${saga.name}#command-${index}`,
        domain: cover.domain,
        edition: Covers.edition(cover),
        root: cover.root!.value,
        sequence,
      };
      if (await this.deps.causations.has(commandKey)) continue;
      try {
        const outcome = await this.deps.pipeline.run(command, { causation: commandKey });
        if (outcome.kind === "events") {
          if (outcome.book.pages.length > 0) reaction.books.push(outcome.book);
        } else {
          throw new ConnectError(`Command revoked: ${outcome.revocation.reason}`, Code.FailedPrecondition);
        }
      } catch (err) {
        if (isTransient(err)) throw err;
        const reason = err instanceof ConnectError ? err.rawMessage : String(err);
        this.log.warn("saga.command_rejected", {
          saga: saga.name,
          target: command.cover?.domain,
          correlationId: cover.correlationId,
          reason,
        });
        reaction.failures.push(`${saga.name}: command to ${command.cover?.domain} rejected: ${reason}`);
        await this.compensate(saga.name, cover, sequence, command, reason, reaction);
      }
      await this.deps.causations.record(commandKey);
    }
    for (const [index, facts] of response.events.entries()) {
      const factsKey = {
        component: `${saga.name}#facts-${index}`,
        domain: cover.domain,
        edition: Covers.edition(cover),
        root: cover.root!.value,
        sequence,
      };
      const stored = await this.appendFacts(facts, factsKey);
      if (stored) reaction.books.push(stored);
    }
  }

  /** Facts go straight into their aggregate, numbered by the store, without handler validation. */
  private async appendFacts(book: EventBook, causation: CausationKey): Promise<EventBook | undefined> {
    const cover = book.cover;
    if (!cover || !Covers.hasValidRoot(cover) || book.pages.length === 0) return undefined;
    const pages = book.pages.map((p) => (p.event ? EventPages.forced(p.event, p.createdAt) : p));
    let stored: EventPage[];
    try {
      stored = await this.deps.events.append(refOf(cover), pages, {
        correlationId: cover.correlationId,
        causation,
      });
    } catch (err) {
      if (err instanceof CausationRecordedError) return undefined; // recorded by an earlier delivery
      throw err;
    }
    const delta = create(EventBookSchema, { cover, pages: stored });
    await this.deps.bus.publish(delta);
    return delta;
  }

  /** Sends RevokeEventCommand to the triggering aggregate and honours its answer's flags. */
  async compensate(
    sagaName: string,
    trigger: Cover,
    sequence: number,
    rejected: CommandBook,
    reason: string,
    reaction: Reaction,
  ): Promise<void> {
    const revoke = create(CommandBookSchema, {
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
    try {
      const outcome = await this.deps.pipeline.run(revoke);
      if (outcome.kind === "events") {
        if (outcome.book.pages.length > 0) reaction.books.push(outcome.book);
        return;
      }
      const r = outcome.revocation;
      if (r.emitSystemRevocation) {
        const book = await this.recordFailure(sagaName, trigger, sequence, rejected, reason, r.reason);
        reaction.books.push(book);
      }
      if (r.sendToDeadLetterQueue || r.escalate) {
        await this.deadLetter(sagaName, trigger, sequence, rejected, `${reason}; ${r.reason}`, r.escalate);
      }
      if (r.escalate)
        this.log.error("saga.escalated", {
          saga: sagaName,
          correlationId: trigger.correlationId,
          reason: r.reason,
        });
      if (r.abort) reaction.failures.push(`${sagaName} aborted: ${r.reason || reason}`);
    } catch (err) {
      const why = err instanceof ConnectError ? err.rawMessage : String(err);
      this.log.error("saga.compensation_failed", {
        saga: sagaName,
        correlationId: trigger.correlationId,
        error: why,
      });
      reaction.failures.push(`${sagaName}: compensation failed: ${why}`);
      reaction.books.push(await this.recordFailure(sagaName, trigger, sequence, rejected, reason, why));
      await this.deadLetter(sagaName, trigger, sequence, rejected, `compensation failed: ${why}`, false);
    }
  }

  private async recordFailure(
    sagaName: string,
    trigger: Cover,
    sequence: number,
    rejected: CommandBook,
    rejectionReason: string,
    compensationFailureReason: string,
  ): Promise<EventBook> {
    const event = AnyPayload.pack(SagaCompensationFailedSchema, {
      $typeName: "angzarr.SagaCompensationFailed",
      triggeringAggregate: trigger,
      triggeringEventSequence: sequence,
      sagaName,
      rejectionReason,
      compensationFailureReason,
      rejectedCommand: rejected,
      occurredAt: Timestamps.now(),
    });
    const cover = create(CoverSchema, { ...trigger, domain: SAGA_FAILURE_DOMAIN });
    const stored = await this.deps.events.append(refOf(cover), [EventPages.forced(event)], {
      correlationId: trigger.correlationId,
    });
    const book = create(EventBookSchema, { cover, pages: stored });
    await this.deps.bus.publish(book);
    return book;
  }

  private async deadLetter(
    sagaName: string,
    trigger: Cover,
    sequence: number,
    rejected: CommandBook,
    reason: string,
    escalated: boolean,
  ): Promise<void> {
    await this.deps.deadLetters.add({
      consumer: sagaName,
      domain: trigger.domain,
      edition: Covers.edition(trigger),
      root: trigger.root?.value ?? new Uint8Array(16),
      sequence,
      correlationId: trigger.correlationId,
      reason,
      payloadType: CommandBookSchema.typeName,
      payload: toBinary(CommandBookSchema, rejected),
      escalated,
    });
  }
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
