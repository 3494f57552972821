// A coordinator "process" for fault tests: the aggregate pipeline and the reactive host over ports
// that go through one FaultyProcess. Crash it, then start another over the same storage (a restart).
import type { EventPage } from "@angzarr/proto";
import type { MemoryBus } from "../bus/memory/memory-bus";
import { AggregatePipeline } from "../coordinator/aggregate-pipeline";
import type { HandlerDirectory } from "../coordinator/ports";
import { ReactiveHost } from "../coordinator/reactive-host";
import type { ReactiveDirectory } from "../coordinator/reactive-ports";
import type { Timer } from "../coordinator/timer";
import { log } from "../observability/log";
import type { Storage } from "../storage/types";
import { FaultyProcess } from "./faults";
import { textOf } from "./reactive-fixtures";

export interface ProcessOptions {
  storage: Storage;
  handlers: HandlerDirectory;
  directory: ReactiveDirectory;
  bus: MemoryBus;
  /** The faults of this process (a fresh FaultyProcess when absent). */
  faults?: FaultyProcess;
  pollMs?: number;
  /** The clock of deadlines and retries (real time when absent). */
  timer?: Timer;
  /** Outbox entries per write when a large decision is expanded (outbox-decision.ts). */
  outboxChunk?: number;
}

export interface CoordinatorProcess {
  faults: FaultyProcess;
  pipeline: AggregatePipeline;
  host: ReactiveHost;
  /** Stops the host (whether alive or crashed). */
  stop(): Promise<void>;
}

const FAST_RETRY = { initialMs: 2, maxMs: 20, attempts: 5 };

export async function startProcess(options: ProcessOptions): Promise<CoordinatorProcess> {
  const faults = options.faults ?? new FaultyProcess();
  const storage = faults.storage(options.storage);
  const bus = faults.bus(options.bus);
  const pipeline = new AggregatePipeline({
    events: storage.events,
    snapshots: storage.snapshots,
    editions: storage.editions,
    handlers: faults.handlers(options.handlers),
    bus,
    backoff: FAST_RETRY,
  });
  const deps = {
    pipeline,
    events: storage.events,
    causations: storage.causations,
    deadLetters: storage.deadLetters,
    positions: storage.positions,
    editions: storage.editions,
    outbox: storage.outbox,
    bus,
    directory: faults.reactive(options.directory),
    pollMs: options.pollMs ?? 10,
    retry: FAST_RETRY,
    ...(options.timer ? { timer: options.timer } : {}),
    ...(options.outboxChunk ? { outboxChunk: options.outboxChunk } : {}),
    log: log.child({ process: faults.label }),
  };
  const host = new ReactiveHost(deps);
  pipeline.setDownstream(host);
  await host.start();
  let stopped: Promise<void> | undefined;
  return {
    faults,
    pipeline,
    host,
    stop: () => {
      stopped ??= host.stop().catch(() => undefined);
      return stopped;
    },
  };
}

/** Polls `read` until `done` holds or `ms` pass; returns the last value (tests assert on it). */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || performance.now() > deadline) return value;
    await Bun.sleep(10);
  }
}

/** The texts of an aggregate's events. */
export async function texts(
  storage: Storage,
  domain: string,
  root: Uint8Array,
  edition = "",
): Promise<string[]> {
  const pages: EventPage[] = await storage.events.get({ domain, edition, root });
  return pages.map(textOf);
}
