// Health that follows what the service depends on: every second the check lists what is wrong
// (a handler program that cannot be reached, the store, the broker); the health board says
// NOT_SERVING for every name while anything is, SERVING again once nothing is. Each change is
// logged once, with the problems.
import type { Logger } from "../observability/log";
import { type HealthBoard, ServingStatus } from "./health";

export interface ReadinessOptions {
  board: HealthBoard;
  /** What is wrong now (empty: ready). */
  check: () => Promise<string[]>;
  log: Logger;
  /** Log events of the two changes. */
  events: { ready: string; notReady: string };
  /** The state before the first check (default: ready). */
  initiallyReady?: boolean;
  everyMs?: number;
}

export interface Readiness {
  /** Runs one check now (and sets the board); resolves when done. */
  refresh(): Promise<void>;
  stop(): void;
}

export function watchReadiness(options: ReadinessOptions): Readiness {
  let ready = options.initiallyReady ?? true;
  let stopped = false;
  let running: Promise<void> | undefined;
  options.board.setAll(ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  const once = async () => {
    let problems: string[];
    try {
      problems = await options.check();
    } catch (err) {
      problems = [`readiness check failed: ${(err as Error).message}`];
    }
    const now = problems.length === 0;
    if (stopped || now === ready) return;
    ready = now;
    options.board.setAll(now ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    if (now) options.log.info(options.events.ready, {});
    else options.log.warn(options.events.notReady, { problems });
  };
  const refresh = () => {
    running ??= once().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void refresh(), options.everyMs ?? 1_000);
  return {
    refresh,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
