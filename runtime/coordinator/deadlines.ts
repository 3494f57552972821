// Process-manager deadlines (runtime.md §7.5). A PM schedules a deadline by recording an
// `angzarr.ProcessTimeout` among its own events (process_events) with `deadline` in the future.
// When it passes, the runtime delivers that ProcessTimeout to the PM as a trigger holding one
// `force` page; the PM reacts like to any trigger. Schedules live in the PM's event history, so
// a restart re-arms every deadline that has not been delivered (delivery is recorded once).
import {
  AnyPayload,
  type Cover,
  CoverSchema,
  Editions,
  type EventPage,
  EventPages,
  ProcessTimeoutSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { type Logger, log as rootLog } from "../observability/log";
import type { EventStore } from "../storage/types";
import type { ProcessManagerCoordinator } from "./pm-coordinator";
import type { ProcessManagerHandler } from "./reactive-ports";

/** setTimeout's ceiling; longer waits re-arm in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class DeadlineScheduler {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly coordinator: ProcessManagerCoordinator,
    private readonly events: EventStore,
    log?: Logger,
  ) {
    this.log = log ?? rootLog.child({ component: "deadlines" });
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
    for (const t of this.timers) clearTimeout(t);
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
      const due = timeout.deadline ? Number(Timestamps.toNanos(timeout.deadline) / 1_000_000n) : Date.now();
      this.arm(due, () => {
        const run = this.coordinator
          .deliverTimeout(pm, pmCover, sequence, timeout)
          .catch((err: unknown) =>
            this.log.error("pm.timeout_failed", { pm: pm.name, error: (err as Error).message }),
          );
        this.inFlight.add(run);
        void run.finally(() => this.inFlight.delete(run));
      });
    }
  }

  private arm(due: number, fire: () => void): void {
    if (this.stopped) return;
    const wait = Math.max(0, due - Date.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.stopped) return;
        if (Date.now() < due) this.arm(due, fire);
        else fire();
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    this.timers.add(timer);
  }
}
