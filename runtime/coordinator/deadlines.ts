// Process-manager deadlines (runtime.md §7.5). A PM schedules a deadline by recording an
// `angzarr.ProcessTimeout` among its own events (process_events) with `deadline` in the future.
// When it passes, the runtime delivers that ProcessTimeout to the PM as a trigger holding one
// `force` page; the PM reacts like to any trigger. Schedules live in the PM's event history, so
// a restart re-arms every deadline that has not been delivered (delivery is recorded once). A
// delivery that fails is tried again with backoff, then parked in the dead-letter queue (once per
// deadline: replaying the entry delivers it).
import {
  AnyPayload,
  type Cover,
  CoverSchema,
  Covers,
  Editions,
  EventBookSchema,
  type EventPage,
  EventPages,
  type ProcessTimeout,
  ProcessTimeoutSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Logger, log as rootLog } from "../observability/log";
import type { DeadLetterStore, EventStore } from "../storage/types";
import { type BackoffPolicy, delayFor } from "./backoff";
import { DEFAULT_OUTBOX_RETRY } from "./outbox-dispatcher";
import type { ProcessManagerCoordinator } from "./pm-coordinator";
import { reasonOf } from "./reaction";
import type { ProcessManagerHandler } from "./reactive-ports";
import { realTimer, type Timer } from "./timer";

/** setTimeout's ceiling; longer waits re-arm in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DeadlineOptions {
  /** Where a deadline that cannot be delivered is parked (absent: it is tried until a restart). */
  deadLetters?: DeadLetterStore;
  /** Attempts before parking, and the backoff between them. */
  retry?: BackoffPolicy;
  timer?: Timer;
}

/** One armed deadline. */
interface Deadline {
  pm: ProcessManagerHandler;
  pmCover: Cover;
  /** The scheduling page (its sequence identifies the deadline). */
  page: EventPage;
  sequence: number;
  timeout: ProcessTimeout;
}

export class DeadlineScheduler {
  private readonly timers = new Set<unknown>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly log: Logger;
  private readonly timer: Timer;
  private readonly retry: BackoffPolicy;

  constructor(
    private readonly coordinator: ProcessManagerCoordinator,
    private readonly events: EventStore,
    log?: Logger,
    private readonly options: DeadlineOptions = {},
  ) {
    this.log = log ?? rootLog.child({ component: "deadlines" });
    this.timer = options.timer ?? realTimer;
    this.retry = options.retry ?? DEFAULT_OUTBOX_RETRY;
  }

  /** Arms every deadline recorded in the PMs' histories (delivered ones are skipped on delivery). */
  async start(pms: ProcessManagerHandler[]): Promise<void> {
    this.coordinator.onProcessEvents = (pm, cover, pages) => this.watch(pm, cover, pages);
    for (const pm of pms) {
      let after = 0n;
      for (;;) {
        const batch = await this.events.readAll(after, 1000, { domain: pm.stateDomain });
        if (batch.length === 0) break;
        for (const e of batch) {
          const cover = create(CoverSchema, {
            domain: e.domain,
            root: { value: e.root },
            correlationId: e.correlationId,
            ...(e.edition === Editions.MAIN ? {} : { edition: { name: e.edition } }),
          });
          this.watch(pm, cover, [e.page]);
          after = e.position;
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) this.timer.clear(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Arms a timer for every ProcessTimeout among freshly persisted PM pages. */
  watch(pm: ProcessManagerHandler, pmCover: Cover, pages: EventPage[]): void {
    for (const page of pages) {
      if (TypeUrl.fullName(page.event?.typeUrl ?? "") !== ProcessTimeoutSchema.typeName) continue;
      const sequence = EventPages.sequence(page);
      if (sequence === undefined) continue;
      const timeout = AnyPayload.unpack(page.event, ProcessTimeoutSchema);
      const due = timeout.deadline
        ? Number(Timestamps.toNanos(timeout.deadline) / 1_000_000n)
        : this.timer.now();
      const deadline = { pm, pmCover, page, sequence, timeout };
      this.arm(due, () => this.deliver(deadline, 1));
    }
  }

  /** One delivery attempt; on failure the next is armed, or the deadline is parked. */
  private deliver(d: Deadline, attempt: number): void {
    const run = this.coordinator
      .deliverTimeout(d.pm, d.pmCover, d.sequence, d.timeout)
      .then(() => undefined)
      .catch(async (err: unknown) => {
        const error = reasonOf(err);
        if (this.stopped) return;
        if (attempt < this.retry.attempts || !this.options.deadLetters) {
          this.log.warn("pm.timeout_failed", { pm: d.pm.name, attempt, error });
          const wait = delayFor(this.retry, Math.min(attempt, this.retry.attempts));
          this.arm(this.timer.now() + wait, () => this.deliver(d, attempt + 1));
          return;
        }
        await this.park(d, `deadline not delivered after ${attempt} attempts: ${error}`);
      });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Parks a deadline in the dead-letter queue (once: keyed by the scheduling page). */
  private async park(d: Deadline, reason: string): Promise<void> {
    const deadLetters = this.options.deadLetters as DeadLetterStore;
    const edition = Covers.edition(d.pmCover);
    const root = d.pmCover.root?.value ?? new Uint8Array(16);
    try {
      await deadLetters.add({
        consumer: d.pm.name,
        domain: d.pmCover.domain,
        edition,
        root,
        sequence: d.sequence,
        correlationId: d.pmCover.correlationId,
        reason,
        payloadType: EventBookSchema.typeName,
        payload: toBinary(EventBookSchema, create(EventBookSchema, { cover: d.pmCover, pages: [d.page] })),
        key: `timeout/${d.pm.name}/${d.pmCover.domain}/${edition}/${Buffer.from(root).toString("hex")}/${d.sequence}`,
      });
      this.log.error("pm.timeout_parked", { pm: d.pm.name, correlationId: d.pmCover.correlationId, reason });
    } catch (err) {
      // Parking failed too: try the whole delivery again later.
      this.log.warn("pm.timeout_park_failed", { pm: d.pm.name, error: reasonOf(err) });
      this.arm(this.timer.now() + this.retry.maxMs, () => this.deliver(d, this.retry.attempts));
    }
  }

  private arm(due: number, fire: () => void): void {
    if (this.stopped) return;
    const wait = Math.max(0, due - this.timer.now());
    const handle = this.timer.set(
      () => {
        this.timers.delete(handle);
        if (this.stopped) return;
        if (this.timer.now() < due) this.arm(due, fire);
        else fire();
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    this.timers.add(handle);
  }
}
