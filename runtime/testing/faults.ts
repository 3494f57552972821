// Fault injection at the ports (test support, never product code). A FaultyProcess stands for one
// coordinator process: every port it hands out (storage, handler clients, the bus) goes through
// it, and rules make the Nth matching call fail transiently or "crash" the process before or
// after the call. After a crash every call through that process's ports throws Crash, like a
// process that is gone; the test then builds a fresh process over the same storage (a restart)
// and checks the final state. Process-level tests use real kill -9 of child processes instead.
import { Code, ConnectError } from "@connectrpc/connect";
import type { EventBus } from "../bus/types";
import type { HandlerDirectory } from "../coordinator/ports";
import type { ReactiveDirectory } from "../coordinator/reactive-ports";
import { StorageFailure } from "../storage/errors";
import type { Storage } from "../storage/types";

/** The simulated death of a process: thrown at a crash point and by every later call. */
export class Crash extends Error {
  override readonly name = "Crash";
}

export type Fault =
  /** ConnectError UNAVAILABLE (a handler program restarting); the call never happens. */
  | "unavailable"
  /** StorageFailure (the database refused); the call never happens. */
  | "storage"
  /** The process dies just before the call. */
  | "crash-before"
  /** The call completes (its writes are durable), then the process dies before seeing the answer. */
  | "crash-after";

export interface FaultRule {
  /**
   * The call point, `port.method`: e.g. `outbox.write`, `events.append`, `deadLetters.add`,
   * `handler.inventory.handleEncoded`, `saga.saga-x.execute`, `pm.pmg-x.handle`, `bus.publish`.
   * A trailing `*` matches any point with that prefix (`handler.inventory.*`).
   */
  at: string;
  /** Only calls whose arguments pass count towards `nth`. */
  when?: (args: unknown[]) => boolean;
  /** The first matching call that fails, 1-based (default 1). */
  nth?: number;
  /** How many matching calls fail from the nth on (default 1; Infinity: every one). */
  times?: number;
  fault: Fault;
}

/** A rule as installed: how often it matched and fired. */
export interface InstalledRule extends FaultRule {
  matched: number;
  fired: number;
}

/** Methods that work even on a dead process (tearing it down, wiring it up). */
const ALWAYS = new Set(["close", "subscribe", "unsubscribe", "stop"]);

function covers(pattern: string, point: string): boolean {
  return pattern.endsWith("*") ? point.startsWith(pattern.slice(0, -1)) : pattern === point;
}

export class FaultyProcess {
  readonly rules: InstalledRule[] = [];
  /** Calls per point, for assertions ("the handler was called twice"). */
  readonly calls = new Map<string, number>();
  #dead = false;
  /** Where the process died, e.g. "crash-after outbox.write". */
  crashedAt: string | undefined;

  constructor(readonly label = "process") {}

  get dead(): boolean {
    return this.#dead;
  }

  inject(rule: FaultRule): InstalledRule {
    const installed = { ...rule, matched: 0, fired: 0 };
    this.rules.push(installed);
    return installed;
  }

  /** Kills the process now (every later call throws Crash). */
  crash(where = "crash()"): void {
    this.#dead = true;
    this.crashedAt ??= where;
  }

  /** Runs `call` at `point` under the rules. */
  async run<T>(point: string, args: unknown[], call: () => Promise<T> | T): Promise<T> {
    if (this.#dead) throw new Crash(`${this.label} is dead (${point})`);
    this.calls.set(point, (this.calls.get(point) ?? 0) + 1);
    const rule = this.fire(point, args);
    switch (rule?.fault) {
      case "unavailable":
        throw new ConnectError(`injected: ${point} unavailable`, Code.Unavailable);
      case "storage":
        throw new StorageFailure(`injected: ${point} failed`);
      case "crash-before":
        this.crash(`crash-before ${point}`);
        throw new Crash(`${this.label} crashed before ${point}`);
      case "crash-after": {
        await call();
        this.crash(`crash-after ${point}`);
        throw new Crash(`${this.label} crashed after ${point}`);
      }
      default:
        return await call();
    }
  }

  /** Wraps every method of `target` as call point `name.method`. */
  wrap<T extends object>(name: string, target: T): T {
    if (typeof target !== "object" || target === null) return target; // a port this build lacks
    return new Proxy(target, {
      get: (t, prop) => {
        const value = Reflect.get(t, prop, t) as unknown;
        if (typeof value !== "function" || typeof prop !== "string") return value;
        const method = value as (...args: unknown[]) => unknown;
        if (ALWAYS.has(prop)) return (...args: unknown[]) => method.apply(t, args);
        return (...args: unknown[]) => this.run(`${name}.${prop}`, args, () => method.apply(t, args));
      },
    });
  }

  /** Every store of `storage` (points `events.*`, `outbox.*`, `deadLetters.*`, ...). */
  storage(storage: Storage): Storage {
    const w = <T extends object>(name: string, store: T) => this.wrap(name, store);
    return {
      backend: storage.backend,
      events: w("events", storage.events),
      snapshots: w("snapshots", storage.snapshots),
      positions: w("positions", storage.positions),
      deadLetters: w("deadLetters", storage.deadLetters),
      causations: w("causations", storage.causations),
      editions: w("editions", storage.editions),
      outbox: w("outbox", storage.outbox),
      close: () => storage.close(),
    };
  }

  /** Aggregate handler clients (points `handler.<domain>.handle`, `.handleEncoded`). */
  handlers(directory: HandlerDirectory): HandlerDirectory {
    return {
      aggregate: (domain) => {
        const handler = directory.aggregate(domain);
        return handler ? this.wrap(`handler.${domain}`, handler) : undefined;
      },
      aggregateDomains: () => directory.aggregateDomains(),
    };
  }

  /** Saga, PM and projector clients (points `saga.<name>.*`, `pm.<name>.*`, `projector.<name>.*`). */
  reactive(directory: ReactiveDirectory): ReactiveDirectory {
    return {
      sagas: () => directory.sagas().map((s) => this.wrap(`saga.${s.name}`, s)),
      processManagers: () => directory.processManagers().map((p) => this.wrap(`pm.${p.name}`, p)),
      projectors: () => directory.projectors().map((p) => this.wrap(`projector.${p.name}`, p)),
    };
  }

  /** The bus (point `bus.publish`; subscriptions pass through). */
  bus(bus: EventBus): EventBus {
    return this.wrap("bus", bus);
  }

  private fire(point: string, args: unknown[]): InstalledRule | undefined {
    let fired: InstalledRule | undefined;
    for (const rule of this.rules) {
      if (!covers(rule.at, point) || (rule.when && !rule.when(args))) continue;
      rule.matched++;
      const nth = rule.nth ?? 1;
      const times = rule.times ?? 1;
      if (fired === undefined && rule.matched >= nth && rule.matched < nth + times) {
        rule.fired++;
        fired = rule;
      }
    }
    return fired;
  }
}

/**
 * A clock the test moves by hand: timers fire when `advance` passes their due time, in due order.
 * Implements the coordinator's Timer port.
 */
export class ManualTimer {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { due: number; fn: () => void }>();

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  set(fn: () => void, ms: number): number {
    const id = this.#next++;
    this.#timers.set(id, { due: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clear(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers waiting. */
  get waiting(): number {
    return this.#timers.size;
  }

  /** Moves the clock forward, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let first: [number, { due: number; fn: () => void }] | undefined;
      for (const t of this.#timers) if (t[1].due <= until && (!first || t[1].due < first[1].due)) first = t;
      if (!first) break;
      this.#timers.delete(first[0]);
      this.#now = Math.max(this.#now, first[1].due);
      first[1].fn();
    }
    this.#now = until;
  }
}
