// Process-manager coordination (runtime.md §7): per delivered book with a correlation id,
// trigger history + PM state → prepare → fetch → handle; persist the PM's events with sequence
// checks (re-run against fresh state on conflict), then run its commands like a saga's.
import {
  AnyPayload,
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
  Timestamps,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { matches } from "../bus/filter";
import { type Logger, log as rootLog } from "../observability/log";
import { SequenceConflictError } from "../storage/errors";
import { type BackoffPolicy, DEFAULT_BACKOFF, delayFor, sleep } from "./backoff";
import { readHistory, refOf } from "./history";
import { KeyedMutex } from "./keyed-mutex";
import type { ProcessManagerHandler } from "./reactive-ports";
import {
  decodeReaction,
  emptyReaction,
  encodeReaction,
  isTransient,
  type Reaction,
  type ReactionDeps,
  stampCommand,
} from "./saga-coordinator";

export class ProcessManagerCoordinator {
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  /** One reaction at a time per (PM, correlation id): the consumer and a cascade may race. */
  private readonly mutex = new KeyedMutex();
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

  async handleBook(pm: ProcessManagerHandler, book: EventBook): Promise<Reaction> {
    const reaction = emptyReaction();
    const cover = book.cover;
    if (!cover || !Covers.hasValidRoot(cover) || cover.domain === pm.stateDomain) return reaction;
    if (!pm.inputs.some((f) => matches(f, book))) return reaction;
    if (cover.correlationId === "") {
      this.skippedWithoutCorrelation++;
      this.log.debug("pm.skipped_no_correlation", { pm: pm.name, domain: cover.domain });
      return reaction;
    }
    const last = book.pages.at(-1);
    const sequence = last ? (EventPages.sequence(last) ?? 0) : 0;
    const key = {
      component: pm.name,
      domain: cover.domain,
      edition: Covers.edition(cover),
      root: cover.root!.value,
      sequence,
    };
    return this.mutex.run(`${pm.name}\u0000${cover.correlationId}`, async () => {
      if (await this.deps.causations.has(key)) return decodeReaction(await this.deps.causations.outcome(key));
      await this.react(pm, cover, sequence, reaction);
      await this.deps.causations.record(key, encodeReaction(reaction));
      return reaction;
    });
  }

  /**
   * Delivers a passed deadline: the PM handles a trigger book holding one `force` page with the
   * ProcessTimeout, against its current state. Once per scheduling page (causation record).
   */
  async deliverTimeout(
    pm: ProcessManagerHandler,
    pmCover: Cover,
    scheduledAt: number,
    timeout: ProcessTimeout,
  ): Promise<Reaction> {
    const reaction = emptyReaction();
    const key = {
      component: `${pm.name}#timeout`,
      domain: pmCover.domain,
      edition: Covers.edition(pmCover),
      root: pmCover.root!.value,
      sequence: scheduledAt,
    };
    return this.mutex.run(`${pm.name}\u0000${pmCover.correlationId}`, async () => {
      if (await this.deps.causations.has(key)) return reaction;
      const trigger = create(EventBookSchema, {
        cover: pmCover,
        pages: [EventPages.forced(AnyPayload.pack(ProcessTimeoutSchema, timeout), Timestamps.now())],
      });
      await this.react(pm, pmCover, scheduledAt, reaction, trigger);
      await this.deps.causations.record(key);
      this.log.info("pm.timeout_delivered", {
        pm: pm.name,
        correlationId: pmCover.correlationId,
        timeout: timeout.timeoutType,
      });
      return reaction;
    });
  }

  private async react(
    pm: ProcessManagerHandler,
    cover: Cover,
    sequence: number,
    reaction: Reaction,
    trigger?: EventBook,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { response, pmCover } = await this.decide(pm, cover, trigger ? { trigger } : undefined);
        if (response.processEvents && response.processEvents.pages.length > 0) {
          const stored = await this.deps.events.append(refOf(pmCover), response.processEvents.pages, {
            correlationId: cover.correlationId,
          });
          const delta = create(EventBookSchema, { cover: pmCover, pages: stored });
          await this.deps.bus.publish(delta);
          reaction.books.push(delta);
          this.onProcessEvents?.(pm, pmCover, stored);
        }
        await this.runCommands(pm, cover, sequence, response, reaction);
        return;
      } catch (err) {
        const conflict = err instanceof SequenceConflictError;
        if (!conflict || attempt >= this.backoff.attempts) throw err;
        await sleep(delayFor(this.backoff, attempt));
      }
    }
  }

  /** Trigger history + PM state → prepare → fetch → handle. No side effects. */
  async decide(
    pm: ProcessManagerHandler,
    triggerCover: Cover,
    supplied?: { trigger?: EventBook; processState?: EventBook; destinations?: EventBook[] },
  ): Promise<{ response: ProcessManagerHandleResponse; pmCover: Cover }> {
    const upcast = this.deps.upcast ? { upcast: this.deps.upcast } : {};
    const edition = Covers.edition(triggerCover);
    const trigger = supplied?.trigger ?? (await readHistory(this.deps.events, triggerCover, upcast));
    const stampedTrigger = create(EventBookSchema, {
      ...trigger,
      cover: create(CoverSchema, {
        ...(trigger.cover ?? triggerCover),
        correlationId: triggerCover.correlationId,
      }),
    });
    const pmCover = this.pmCover(pm, triggerCover);
    const processState = supplied?.processState ?? (await readHistory(this.deps.events, pmCover, upcast));
    let destinations = supplied?.destinations ?? [];
    if (!supplied?.destinations || supplied.destinations.length === 0) {
      const prepared = await pm.prepare(
        create(ProcessManagerPrepareRequestSchema, { trigger: stampedTrigger, processState }),
      );
      destinations = await Promise.all(
        prepared.destinations.map((d) => readHistory(this.deps.events, d, { edition, ...upcast })),
      );
    }
    const response = await pm.handle(
      create(ProcessManagerHandleRequestSchema, { trigger: stampedTrigger, processState, destinations }),
    );
    const first = response.processEvents;
    const stamped = {
      ...response,
      commands: response.commands.map((c) => stampCommand(c, pm.name, triggerCover, 0)),
      ...(first ? { processEvents: create(EventBookSchema, { ...first, cover: pmCover }) } : {}),
    };
    return { response: stamped as ProcessManagerHandleResponse, pmCover };
  }

  private async runCommands(
    pm: ProcessManagerHandler,
    trigger: Cover,
    sequence: number,
    response: ProcessManagerHandleResponse,
    reaction: Reaction,
  ): Promise<void> {
    for (const [index, command] of response.commands.entries()) {
      const stamped = stampCommand(command, pm.name, trigger, sequence);
      // Exactly once even when two deliveries of the same trigger race (recorded with the events).
      const causation = {
        component: `${pm.name}#command-${index}`,
        domain: trigger.domain,
        edition: Covers.edition(trigger),
        root: trigger.root?.value ?? new Uint8Array(16),
        sequence,
      };
      try {
        const outcome = await this.deps.pipeline.run(stamped, { causation });
        if (outcome.kind === "events" && outcome.book.pages.length > 0) reaction.books.push(outcome.book);
        if (outcome.kind === "revocation") {
          reaction.failures.push(
            `${pm.name}: command to ${command.cover?.domain} revoked: ${outcome.revocation.reason}`,
          );
        }
      } catch (err) {
        if (isTransient(err)) throw err;
        const reason = err instanceof ConnectError ? err.rawMessage : String(err);
        // The PM does not retry a refused command; the refusal is reported and logged.
        this.log.warn("pm.command_rejected", { pm: pm.name, target: command.cover?.domain, reason });
        reaction.failures.push(`${pm.name}: command to ${command.cover?.domain} rejected: ${reason}`);
      }
    }
  }
}
