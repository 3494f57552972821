// Reliability rows of the reactive path (`bun run test:reliability`): each fault injected at a
// port (runtime/testing/faults.ts) over many cases, on a real SQLite file with synthetic handlers.
// A row counts what was tried, what never happened (lost), what happened more than once
// (doubled) and what was parked in the dead-letter queue on purpose.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import {
  AnyPayload,
  type ContextualCommand,
  type EventBook,
  EventPages,
  Identity,
  type RevocationResponse,
  Uuid,
} from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { MemoryBus } from "../bus/memory/memory-bus";
import { openStorage } from "../storage/open";
import type { OutboxWrite, Storage } from "../storage/types";
import { FaultyProcess } from "../testing/faults";
import { removeDir, tempDir } from "../testing/processes";
import {
  command,
  deadlinePm,
  echoDirectory,
  isTimeoutTrigger,
  relaySaga,
  shipOncePm,
  text,
  textOf,
} from "../testing/reactive-fixtures";
import { type CoordinatorProcess, startProcess, texts, until } from "../testing/reactive-world";
import { recordRow, scaled } from "../testing/reliability";
import { CheckpointedConsumer } from "./consumer";
import { SAGA_FAILURE_DOMAIN } from "./saga-coordinator";

const TIMEOUT = scaled(60_000, 600_000);

let dir: string;
let storage: Storage;
let bus: MemoryBus;
const running: CoordinatorProcess[] = [];

beforeEach(async () => {
  dir = tempDir("az-rel-");
  storage = await openStorage({ backend: "sqlite", path: join(dir, "store.db") });
  bus = new MemoryBus();
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  await bus.close();
  await storage.close();
  removeDir(dir);
});

type Directory = Parameters<typeof startProcess>[0]["directory"];
const pms = (...p: ReturnType<typeof shipOncePm>[]): Directory => ({
  sagas: () => [],
  processManagers: () => p,
  projectors: () => [],
});
const sagas = (...s: ReturnType<typeof relaySaga>[]): Directory => ({
  sagas: () => s,
  processManagers: () => [],
  projectors: () => [],
});

async function start(
  handlers: ReturnType<typeof echoDirectory>,
  directory: Directory,
  faults?: FaultyProcess,
) {
  const p = await startProcess({ storage, handlers, directory, bus, ...(faults ? { faults } : {}) });
  running.push(p);
  return p;
}

/** Lost and doubled among `expected` effects, given how often each happened. */
function tally(counts: number[]): { lost: number; doubled: number } {
  return {
    lost: counts.filter((n) => n === 0).length,
    doubled: counts.filter((n) => n > 1).length,
  };
}

/** Waits until every count is at least 1 (or time runs out), settling the host in between. */
async function settleAll(p: CoordinatorProcess, read: () => Promise<number[]>): Promise<number[]> {
  await until(read, (c) => c.every((n) => n >= 1), 30_000);
  await p.host.settle();
  await Bun.sleep(20);
  await p.host.settle();
  return read();
}

/**
 * Matches the first call for each command a handler is asked to handle (by correlation id and
 * text), optionally only some of them.
 */
function firstTry(only: (id: string) => boolean = () => true) {
  const seen = new Set<string>();
  return (args: unknown[]) => {
    const req = args[0] as ContextualCommand | undefined;
    const page = req?.command?.pages[0]?.command;
    const id = `${req?.command?.cover?.correlationId}/${page ? AnyPayload.unpack(page, StringValueSchema).value : ""}`;
    if (seen.has(id) || !only(id)) return false;
    seen.add(id);
    return true;
  };
}

const writesIn = (domain: string) => (args: unknown[]) =>
  (args[0] as OutboxWrite[]).some((w) => w.appends?.some((a) => a.ref.domain === domain));

test(
  "handler UNAVAILABLE mid-PM",
  async () => {
    const n = scaled(20, 200);
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess();
    // The first try of every command the PM sends meets a restarting handler.
    const fault = faults.inject({
      at: "handler.dst.*",
      when: firstTry(),
      times: Infinity,
      fault: "unavailable",
    });
    const p = await start(handlers, pms(shipOncePm("pmg-ship", ["src"], "ship", "dst")), faults);
    const flows = Array.from({ length: n }, (_, i) => `pm-${i}`);
    for (const flow of flows) await p.pipeline.execute(command("src", Uuid.randomBytes(), "paid", 0, flow));
    const read = () =>
      Promise.all(
        flows.map(async (f) => (await texts(storage, "dst", Identity.processManagerRoot(f))).length),
      );
    const { lost, doubled } = tally(await settleAll(p, read));
    const parked = (await storage.deadLetters.list()).length;
    expect(fault.fired).toBeGreaterThan(0);
    recordRow({ scenario: "handler UNAVAILABLE mid-PM (command retried)", tried: n, lost, doubled, parked });
    expect({ lost, doubled, parked }).toEqual({ lost: 0, doubled: 0, parked: 0 });
  },
  TIMEOUT,
);

test(
  "handler UNAVAILABLE mid-saga",
  async () => {
    const n = scaled(30, 300);
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess();
    // The first try of every second command meets a restarting handler.
    const fault = faults.inject({
      at: "handler.dst.*",
      when: firstTry((id) => id.endsWith("-2")),
      times: Infinity,
      fault: "unavailable",
    });
    const p = await start(handlers, sagas(relaySaga("saga-relay", "src", "dst")), faults);
    const roots = Array.from({ length: n }, () => Uuid.randomBytes());
    // Two commands per source event ("two:"), so a retry must not skip or repeat the second.
    for (const [i, root] of roots.entries())
      await p.pipeline.execute(command("src", root, `two:v${i}`, 0, `s-${i}`));
    const read = async () => {
      const out: number[] = [];
      for (const root of roots) {
        const got = await texts(storage, "dst", root);
        for (const suffix of ["-1", "-2"]) out.push(got.filter((t) => t.endsWith(suffix)).length);
      }
      return out;
    };
    const { lost, doubled } = tally(await settleAll(p, read));
    const parked = (await storage.deadLetters.list()).length;
    expect(fault.fired).toBeGreaterThan(0);
    recordRow({
      scenario: "handler UNAVAILABLE mid-saga (2 commands per event)",
      tried: 2 * n,
      lost,
      doubled,
      parked,
    });
    expect({ lost, doubled, parked }).toEqual({ lost: 0, doubled: 0, parked: 0 });
  },
  TIMEOUT,
);

test(
  "dead-letter store failing",
  async () => {
    const n = scaled(15, 150);
    const handlers = echoDirectory("src", "dst");
    (handlers.get("src").revokeAnswer as RevocationResponse).sendToDeadLetterQueue = true;
    const faults = new FaultyProcess();
    // Every write that parks something fails twice before it goes through.
    const fault = faults.inject({
      at: "outbox.write",
      when: (args) => (args[0] as OutboxWrite[]).some((w) => w.deadLetter !== undefined),
      times: 2 * n,
      fault: "storage",
    });
    faults.inject({ at: "deadLetters.add", times: 2 * n, fault: "storage" });
    const p = await start(handlers, sagas(relaySaga("saga-relay", "src", "dst")), faults);
    const roots = Array.from({ length: n }, () => Uuid.randomBytes());
    for (const [i, root] of roots.entries())
      await p.pipeline.execute(command("src", root, "reject-this", 0, `d-${i}`));
    const read = async () => {
      const letters = await storage.deadLetters.list();
      return Promise.all(
        roots.map(async (root) => {
          const failures = await storage.events.get({ domain: SAGA_FAILURE_DOMAIN, edition: "", root });
          const parkedHere = letters.filter((l) => Buffer.compare(l.root, root) === 0).length;
          // One compensation record and one dead letter per refused command; a mismatch is a double.
          return failures.length === parkedHere ? failures.length : 2;
        }),
      );
    };
    const { lost, doubled } = tally(await settleAll(p, read));
    const parked = (await storage.deadLetters.list()).length;
    expect(fault.fired).toBeGreaterThan(0);
    recordRow({
      scenario: "dead-letter writes failing while compensating refused saga commands",
      tried: n,
      lost,
      doubled,
      parked,
    });
    expect({ lost, doubled, parked }).toEqual({ lost: 0, doubled: 0, parked: n });
  },
  TIMEOUT,
);

test(
  "deadline delivery failing",
  async () => {
    const n = scaled(10, 100);
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess();
    // The first delivery of every deadline fails.
    const seen = new Set<string>();
    const fault = faults.inject({
      at: "pm.pmg-watch.handle",
      when: (args) => {
        if (!isTimeoutTrigger(args)) return false;
        const id = (args[0] as { trigger?: EventBook }).trigger?.cover?.correlationId ?? "";
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      },
      times: Infinity,
      fault: "unavailable",
    });
    const p = await start(handlers, pms(deadlinePm("pmg-watch", "src", "watch", "dst", 30)), faults);
    const flows = Array.from({ length: n }, (_, i) => `dl-${i}`);
    for (const flow of flows) await p.pipeline.execute(command("src", Uuid.randomBytes(), "begin", 0, flow));
    const read = () =>
      Promise.all(
        flows.map(async (f) => (await texts(storage, "dst", Identity.processManagerRoot(f))).length),
      );
    const { lost, doubled } = tally(await settleAll(p, read));
    const parked = (await storage.deadLetters.list()).length;
    expect(fault.fired).toBeGreaterThan(0);
    recordRow({ scenario: "deadline delivery failing once per deadline", tried: n, lost, doubled, parked });
    expect({ lost, doubled, parked }).toEqual({ lost: 0, doubled: 0, parked: 0 });
  },
  TIMEOUT,
);

test(
  "crash between a PM's events and its commands",
  async () => {
    const n = scaled(8, 60);
    const handlers = echoDirectory("src", "dst");
    const directory = pms(shipOncePm("pmg-ship", ["src"], "ship", "dst"));
    const flows: string[] = [];
    for (let round = 0; round < n; round++) {
      // A process that dies right after writing the PM's reaction, before sending its command.
      const faults = new FaultyProcess(`round-${round}`);
      faults.inject({ at: "outbox.write", when: writesIn("ship"), fault: "crash-after" });
      const first = await start(handlers, directory, faults);
      const flow = `crash-${round}`;
      flows.push(flow);
      await first.pipeline.execute(command("src", Uuid.randomBytes(), "paid", 0, flow));
      await until(
        async () => faults.dead,
        (d) => d,
      );
      await first.stop();
    }
    const last = await start(handlers, directory);
    const read = () =>
      Promise.all(
        flows.map(async (f) => (await texts(storage, "dst", Identity.processManagerRoot(f))).length),
      );
    const { lost, doubled } = tally(await settleAll(last, read));
    const parked = (await storage.deadLetters.list()).length;
    recordRow({
      scenario: "crash between a PM's events and its commands, then restart",
      tried: n,
      lost,
      doubled,
      parked,
    });
    expect({ lost, doubled, parked }).toEqual({ lost: 0, doubled: 0, parked: 0 });
  },
  TIMEOUT,
);

test(
  "crash between a compensation and its record",
  async () => {
    const n = scaled(8, 60);
    const handlers = echoDirectory("src", "dst");
    handlers.get("src").revokeAnswer = "events";
    const directory = sagas(relaySaga("saga-relay", "src", "dst"));
    const roots: Uint8Array[] = [];
    for (let round = 0; round < n; round++) {
      const faults = new FaultyProcess(`round-${round}`);
      // Dies right after the compensating events are stored, before the compensation is settled.
      faults.inject({
        at: "events.append",
        when: (args) =>
          (args[0] as { domain: string }).domain === "src" &&
          (args[1] as Parameters<typeof textOf>[0][]).some((p) => textOf(p) === "compensated"),
        fault: "crash-after",
      });
      const first = await start(handlers, directory, faults);
      const root = Uuid.randomBytes();
      roots.push(root);
      await first.pipeline.execute(command("src", root, "reject-this", 0, `comp-${round}`));
      await until(
        async () => faults.dead,
        (d) => d,
      );
      await first.stop();
    }
    const last = await start(handlers, directory);
    const read = () =>
      Promise.all(
        roots.map(
          async (root) => (await texts(storage, "src", root)).filter((t) => t === "compensated").length,
        ),
      );
    const { lost, doubled } = tally(await settleAll(last, read));
    const revokes = handlers
      .get("src")
      .calls.filter((c) =>
        c.command?.pages[0]?.command?.typeUrl.endsWith("angzarr.RevokeEventCommand"),
      ).length;
    const resent = revokes - n;
    recordRow({
      scenario: "crash between a compensation and its record, then restart",
      tried: n,
      lost,
      doubled: doubled + Math.max(0, resent),
    });
    expect({ lost, doubled, resent }).toEqual({ lost: 0, doubled: 0, resent: 0 });
  },
  TIMEOUT,
);

test(
  "a consumer lane fails",
  async () => {
    const n = scaled(40, 400);
    const faults = new FaultyProcess();
    // Parking the failing books fails a few times too (each failure ends a catch-up early).
    const fault = faults.inject({ at: "deadLetters.add", times: 3, fault: "storage" });
    const store = faults.storage(storage);
    const roots = Array.from({ length: n }, () => Uuid.randomBytes());
    for (const [i, root] of roots.entries()) {
      const value = i % 10 === 0 ? "poison" : `ok-${i}`;
      await storage.events.append({ domain: "src", edition: "", root }, [EventPages.forced(text(value))], {
        correlationId: `c-${i}`,
      });
    }
    const handled = new Map<string, number>();
    const inFlight = new Map<string, number>();
    let overlaps = 0;
    const consumer = new CheckpointedConsumer({
      name: "projector-lanes",
      filter: { domain: "src" },
      edition: "",
      events: store.events,
      positions: store.positions,
      deadLetters: store.deadLetters,
      bus,
      pollMs: 5,
      concurrency: 8,
      retry: { initialMs: 1, maxMs: 4, attempts: 3 },
      process: async (book: EventBook) => {
        const key = Uuid.toText(book.cover?.root?.value ?? new Uint8Array(16));
        const now = (inFlight.get(key) ?? 0) + 1;
        inFlight.set(key, now);
        if (now > 1) overlaps++;
        try {
          await Bun.sleep(1);
          if (textOf(book.pages[0]) === "poison") throw new Error("cannot handle this one");
          handled.set(key, (handled.get(key) ?? 0) + 1);
        } finally {
          inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
        }
      },
    });
    await consumer.start();
    const poison = roots.filter((_, i) => i % 10 === 0).length;
    await until(
      () => storage.deadLetters.list(),
      (l) => l.length >= poison,
      30_000,
    );
    await consumer.wake();
    await consumer.stop();
    const counts = roots.filter((_, i) => i % 10 !== 0).map((root) => handled.get(Uuid.toText(root)) ?? 0);
    const { lost, doubled } = tally(counts);
    const letters = await storage.deadLetters.list();
    const parked = letters.length;
    expect(fault.fired).toBeGreaterThan(0);
    recordRow({
      scenario: "consumer lanes: some books always fail, parking fails at times",
      tried: n,
      lost: lost + Math.max(0, poison - parked),
      doubled: doubled + overlaps + Math.max(0, parked - poison),
      parked,
    });
    expect({ lost, doubled, overlaps, parked }).toEqual({ lost: 0, doubled: 0, overlaps: 0, parked: poison });
  },
  TIMEOUT,
);
