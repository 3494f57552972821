// Process-manager coordination (runtime.md §7): per delivered book with a correlation id,
// trigger history + PM state → prepare → fetch → handle; then one atomic write of the PM's events
// (sequence-checked: on conflict the PM decides again against fresh state), its commands into the
// outbox and the causation record of every page of the trigger book. The outbox dispatcher then
// delivers the commands exactly once, retrying transient failures and parking what never goes
// through. A crash anywhere loses nothing: either the whole reaction was written (and its
// commands are pending) or none of it (and the trigger is handled again).
import {
  AnyPayload,
  type CommandBook,
  type Cover,
  CoverSchema,
  Covers,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPages,
  Identity,
  ProcessManagerHandleRequestSchema,
  type ProcessManagerHandleResponse,
  ProcessManagerPrepareRequestSchema,
  type ProcessTimeout,
  ProcessTimeoutSchema,
  type TemporalQuery,
  Timestamps,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { matches } from "../bus/filter";
import { type Logger, log as rootLog } from "../observability/log";
import { traceContext } from "../observability/trace-links";
import type { CausationKey, OutboxEntry } from "../storage/types";
import { type BackoffPolicy, DEFAULT_BACKOFF, delayFor, sleep } from "./backoff";
import * as E from "./errors";
import { reactiveTurn } from "./fair-share";
import { KeyedMutex } from "./keyed-mutex";
import { decidedEntries, encodeCommands } from "./outbox-decision";
import type { DeliveryKind, OutboxDispatcher } from "./outbox-dispatcher";
import { emptyReaction, encodeReaction, mergeReaction, type Reaction } from "./reaction";
import type { ProcessManagerHandler } from "./reactive-ports";
import {
  causationOf,
  dispatcherOf,
  historiesReader,
  historyReader,
  observeFlow,
  parkedCommand,
  type ReactionDeps,
  stampCommands,
} from "./saga-coordinator";

/** Outbox kind written by process managers. */
export const PM_COMMAND = "pm-command";

export class ProcessManagerCoordinator {
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  /** One reaction at a time per (PM, correlation id): the consumer and a cascade may race. */
  private readonly mutex = new KeyedMutex();
  readonly dispatcher: OutboxDispatcher;
  /** Told about every persisted PM event (the deadline scheduler listens here). */
  onProcessEvents?: (pm: ProcessManagerHandler, pmCover: Cover, pages: EventPage[]) => void;
  /** Books skipped for having no correlation id (a metric). */
  skippedWithoutCorrelation = 0;

  constructor(
    private readonly deps: ReactionDeps,
    backoff: BackoffPolicy = DEFAULT_BACKOFF,
  ) {
    this.log = deps.log ?? rootLog.child({ component: "pm-coordinator" });
    this.backoff = backoff;
    this.dispatcher = dispatcherOf(deps);
    this.dispatcher.register(PM_COMMAND, this.commandKind());
  }

  /** The PM aggregate for a correlation id, on the trigger's timeline. */
  pmCover(pm: ProcessManagerHandler, trigger: Cover): Cover {
    return create(CoverSchema, {
      domain: pm.stateDomain,
      root: { value: Identity.processManagerRoot(trigger.correlationId) },
      correlationId: trigger.correlationId,
      ...(trigger.edition ? { edition: trigger.edition } : {}),
    });
  }

  /**
   * Reacts once to the pages of the book not handled yet. Every page is recorded (not only the
   * last), so however the consumer and a cascade cut the same events into books, each page
   * causes one reaction at most.
   */
  async handleBook(pm: ProcessManagerHandler, book: EventBook): Promise<Reaction> {
    const cover = book.cover;
    if (!cover || !Covers.hasValidRoot(cover) || cover.domain === pm.stateDomain) return emptyReaction();
    if (!pm.inputs.some((f) => matches(f, book))) return emptyReaction();
    if (cover.correlationId === "") {
      this.skippedWithoutCorrelation++;
      this.log.debug("pm.skipped_no_correlation", { pm: pm.name, domain: cover.domain });
      return emptyReaction();
    }
    const keys = book.pages
      .map((p) => EventPages.sequence(p))
      .filter((n): n is number => n !== undefined)
      .map((n) => causationOf(pm.name, cover, n));
    if (keys.length === 0) return emptyReaction();
    const lane = this.lane(pm, cover.correlationId);
    return this.mutex.run(lane, async () => {
      const open: CausationKey[] = [];
      for (const key of keys) if (!(await this.deps.causations.has(key))) open.push(key);
      if (open.length === 0) return this.dispatcher.recorded(keys);
      return this.react(pm, cover, open, lane);
    });
  }

  /**
   * Delivers a passed deadline: the PM handles a trigger book holding one `force` page with the
   * ProcessTimeout, against its current state. Once per scheduling page (causation record).
   * Throws when it could not be delivered (the scheduler tries again, then parks it).
   */
  async deliverTimeout(
    pm: ProcessManagerHandler,
    pmCover: Cover,
    scheduledAt: number,
    timeout: ProcessTimeout,
  ): Promise<Reaction> {
    const key = causationOf(`${pm.name}#timeout`, pmCover, scheduledAt);
    const lane = this.lane(pm, pmCover.correlationId);
    return this.mutex.run(lane, async () => {
      if (await this.deps.causations.has(key)) return this.dispatcher.recorded([key]);
      const trigger = create(EventBookSchema, {
        cover: pmCover,
        pages: [EventPages.forced(AnyPayload.pack(ProcessTimeoutSchema, timeout), Timestamps.now())],
      });
      const reaction = await this.react(pm, pmCover, [key], lane, trigger);
      this.log.info("pm.timeout_delivered", {
        pm: pm.name,
        correlationId: pmCover.correlationId,
        timeout: timeout.timeoutType,
      });
      return reaction;
    });
  }

  /** One lane per PM and correlation id: its commands are delivered in the order decided. */
  private lane(pm: ProcessManagerHandler, correlationId: string): string {
    return `${pm.name}/${correlationId}`;
  }

  /** Decides and writes the reaction atomically (again on a conflict), then delivers its commands. */
  private async react(
    pm: ProcessManagerHandler,
    cover: Cover,
    keys: CausationKey[],
    lane: string,
    trigger?: EventBook,
  ): Promise<Reaction> {
    const cause = keys.at(-1) as CausationKey;
    for (let attempt = 1; ; attempt++) {
      const { response, pmCover } = await this.decide(pm, cover, trigger ? { trigger } : undefined);
      const events = response.processEvents?.pages ?? [];
      const commands = await stampCommands(response.commands, pm.name, cover, cause.sequence);
      // Many commands: stored as one decision, expanded by the dispatcher in chunks.
      const enqueue = await decidedEntries(
        { cause, lane, kind: PM_COMMAND, ...traceContext() },
        await encodeCommands(commands),
        this.dispatcher.chunk,
      );
      const pmRef = await this.deps.pipeline.editions.ref(pmCover);
      const booksOf = (stored: EventPage[][]) =>
        stored.filter((p) => p.length > 0).map((pages) => create(EventBookSchema, { cover: pmCover, pages }));
      const [result] = await this.deps.outbox.write([
        {
          causations: keys,
          appends:
            events.length > 0 ? [{ ref: pmRef, pages: events, correlationId: cover.correlationId }] : [],
          enqueue,
          outcome: (stored) => encodeReaction({ books: booksOf(stored), failures: [] }),
        },
      ]);
      if (result?.kind === "conflict") {
        // Another trigger moved the PM on first: decide again against its fresh state.
        if (attempt >= this.backoff.attempts)
          throw E.aborted(E.Messages.sequenceConflict(result.expected, result.actual));
        await sleep(delayFor(this.backoff, attempt));
        continue;
      }
      if (result?.kind !== "written") return this.dispatcher.recorded(keys); // handled meanwhile
      const reaction = emptyReaction();
      for (const book of booksOf(result.stored)) {
        await reactiveTurn();
        try {
          await this.deps.bus.publish(book);
        } catch (err) {
          this.log.warn("bus.publish_failed", { domain: book.cover?.domain, error: (err as Error).message });
        }
        reaction.books.push(book);
        observeFlow(this.deps, cause, book);
        this.onProcessEvents?.(pm, pmCover, book.pages);
      }
      mergeReaction(reaction, await this.dispatcher.deliver(lane, result.enqueued));
      return reaction;
    }
  }

  /**
   * Trigger history + PM state → prepare → fetch → handle. No side effects. Books not supplied are
   * read now, or as of `asOf` (speculation).
   */
  async decide(
    pm: ProcessManagerHandler,
    triggerCover: Cover,
    supplied?: { trigger?: EventBook; processState?: EventBook; destinations?: EventBook[] },
    asOf?: TemporalQuery,
  ): Promise<{ response: ProcessManagerHandleResponse; pmCover: Cover }> {
    const read = historyReader(this.deps, asOf);
    const edition = Covers.edition(triggerCover);
    const trigger = supplied?.trigger ?? (await read(triggerCover));
    const stampedTrigger = create(EventBookSchema, {
      ...trigger,
      cover: create(CoverSchema, {
        ...(trigger.cover ?? triggerCover),
        correlationId: triggerCover.correlationId,
      }),
    });
    const pmCover = this.pmCover(pm, triggerCover);
    const processState = supplied?.processState ?? (await read(pmCover));
    let destinations = supplied?.destinations ?? [];
    if (!supplied?.destinations || supplied.destinations.length === 0) {
      const prepared = await pm.prepare(
        create(ProcessManagerPrepareRequestSchema, { trigger: stampedTrigger, processState }),
      );
      destinations = await historiesReader(this.deps, asOf)(prepared.destinations, edition);
    }
    const response = await pm.handle(
      create(ProcessManagerHandleRequestSchema, { trigger: stampedTrigger, processState, destinations }),
    );
    const first = response.processEvents;
    const stamped = {
      ...response,
      commands: await stampCommands(response.commands, pm.name, triggerCover, 0),
      ...(first ? { processEvents: create(EventBookSchema, { ...first, cover: pmCover }) } : {}),
    };
    return { response: stamped as ProcessManagerHandleResponse, pmCover };
  }

  /** A PM command: delivered, or refused (reported, not retried: the PM decides), or parked. */
  private commandKind(): DeliveryKind {
    const refused = (_entry: OutboxEntry, command: CommandBook, reason: string) => {
      this.log.warn("pm.command_rejected", {
        pm: command.sagaOrigin?.sagaName,
        target: command.cover?.domain,
        reason,
      });
      return {
        status: "rejected" as const,
        books: [],
        failures: [
          `${command.sagaOrigin?.sagaName}: command to ${command.cover?.domain} rejected: ${reason}`,
        ],
      };
    };
    return {
      answered: (entry, command, outcome) => {
        if (outcome.kind !== "events")
          return refused(entry, command, `revoked: ${outcome.revocation.reason}`);
        if (outcome.book.pages.length > 0) observeFlow(this.deps, entry.cause, outcome.book);
        return {
          status: "delivered",
          books: outcome.book.pages.length > 0 ? [outcome.book] : [],
          failures: [],
        };
      },
      refused,
      parked: (entry, command, reason) => {
        this.log.error("pm.command_parked", {
          pm: entry.cause.component,
          target: command.cover?.domain,
          reason,
        });
        return parkedCommand(entry, command, reason);
      },
    };
  }
}
