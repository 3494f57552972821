// A saga deciding tens of thousands of commands from one event (issue 15, defect 2), on a real
// SQLite file with synthetic in-process handlers. The saga reads each target's history first (in
// batches of HISTORY_BATCH, one store call each). The decision is written whole, then expanded
// into the outbox in chunks of the configured size, the event loop handed over between chunks,
// so a client command sent during the flood completes before the flood is delivered; and a crash
// between chunks loses no command and doubles none.
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Uuid } from "@angzarr/proto";
import { MemoryBus } from "../bus/memory/memory-bus";
import { openStorage } from "../storage/open";
import type { OutboxWrite, Storage } from "../storage/types";
import { FaultyProcess } from "../testing/faults";
import { removeDir, tempDir } from "../testing/processes";
import { command, echoDirectory, fannedRoot, relaySaga } from "../testing/reactive-fixtures";
import { type CoordinatorProcess, startProcess, until } from "../testing/reactive-world";
import { HISTORY_BATCH } from "./history";
import { DECISION_NAME } from "./outbox-decision";

let dir: string;
let storage: Storage;
let bus: MemoryBus;
let db: Database;
const running: CoordinatorProcess[] = [];

beforeEach(async () => {
  dir = tempDir("az-decision-");
  storage = await openStorage({ backend: "sqlite", path: join(dir, "store.db") });
  db = new Database(join(dir, "store.db"), { readonly: true });
  bus = new MemoryBus();
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  db.close();
  await bus.close();
  await storage.close();
  removeDir(dir);
});

const sagas = (...s: ReturnType<typeof relaySaga>[]) => ({
  sagas: () => s,
  processManagers: () => [],
  projectors: () => [],
});

/** One outbox.write call as the store saw it. */
interface SeenWrite {
  /** Entries it enqueued. */
  rows: number;
  /** True when it enqueued commands of a stored decision (an expansion chunk). */
  expansion: boolean;
  /** Event-loop turns completed before it was called. */
  turn: number;
}

/** Writes that expand a stored decision (their entries are named `decision#...`). */
const expands = (args: unknown[]) =>
  (args[0] as OutboxWrite[]).some((w) => w.enqueue?.some((e) => e.name.startsWith(`${DECISION_NAME}#`)));

/** Delivered commands: events in `dst`, and how many roots hold more than one. */
function delivered(): { events: number; doubled: number } {
  const events = db.query<{ n: number }, []>("SELECT count(*) AS n FROM events WHERE domain = 'dst'").get();
  const doubled = db
    .query<{ n: number }, []>(
      "SELECT count(*) AS n FROM (SELECT root FROM events WHERE domain = 'dst' GROUP BY root HAVING count(*) > 1)",
    )
    .get();
  return { events: events?.n ?? 0, doubled: doubled?.n ?? 0 };
}

const pendingEntries = () =>
  db.query<{ n: number }, []>("SELECT count(*) AS n FROM outbox WHERE status = 'pending'").get()?.n ?? 0;

describe("a saga's decision of tens of thousands of commands", () => {
  test("is expanded in chunks of the configured size with a turn of the event loop between them; a client command sent meanwhile completes before the flood is delivered", async () => {
    const FLOOD = 20_000;
    const CHUNK = 500;
    // The store port, instrumented: rows per write, and event-loop turns between writes.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: SeenWrite[] = [];
    const observer = new FaultyProcess("observed");
    observer.inject({
      at: "outbox.write",
      when: (args) => {
        const writes = args[0] as OutboxWrite[];
        seen.push({
          rows: writes.reduce((n, w) => n + (w.enqueue?.length ?? 0), 0),
          expansion: expands(args),
          turn,
        });
        return false; // observes, never fails
      },
      fault: "storage",
    });
    const p = await startProcess({
      storage,
      handlers: echoDirectory("src", "dst", "other"),
      directory: sagas(relaySaga("saga-fan", "src", "dst")),
      bus,
      faults: observer,
      outboxChunk: CHUNK,
    });
    running.push(p);
    const source = Uuid.randomBytes();
    await p.pipeline.execute(command("src", source, `fan:${FLOOD}`, 0));

    // Once the expansion is under way, a small command from another client.
    await until(
      async () => seen.some((w) => w.expansion),
      (started) => started,
      120_000,
    );
    await p.pipeline.execute(command("other", Uuid.randomBytes(), "small", 0));
    const whenAnswered = delivered().events;
    expect(whenAnswered).toBeLessThan(FLOOD);

    await p.host.settle();
    await until(
      async () => delivered().events,
      (n) => n >= FLOOD,
      240_000,
    );
    ticking = false;

    // Every write bounded by the chunk; the decision expanded in FLOOD / CHUNK writes, each one
    // after a turn of the event loop since the one before.
    expect(Math.max(...seen.map((w) => w.rows))).toBeLessThanOrEqual(CHUNK);
    const chunks = seen.filter((w) => w.expansion);
    expect(chunks).toHaveLength(FLOOD / CHUNK);
    for (let i = 1; i < chunks.length; i++)
      expect((chunks[i] as SeenWrite).turn).toBeGreaterThan((chunks[i - 1] as SeenWrite).turn);
    // The destinations' histories were read in batches, not one by one (`get` is the load of
    // each delivered command's target, once per command).
    expect(observer.calls.get("events.getMany")).toBe(Math.ceil(FLOOD / HISTORY_BATCH));
    expect(observer.calls.get("events.get") ?? 0).toBeLessThan(FLOOD + 10);
    // Exactly once: one event at each root, nothing left pending.
    expect(delivered()).toEqual({ events: FLOOD, doubled: 0 });
    expect(pendingEntries()).toBe(0);
    for (const i of [0, FLOOD / 2, FLOOD - 1]) {
      const root = fannedRoot(source, i);
      expect((await storage.events.get({ domain: "dst", edition: "", root })).length).toBe(1);
    }
  }, 400_000);

  test("a stop during the flood's delivery does not wait for the flood: the rest stays pending and a restart delivers it exactly once", async () => {
    const FLOOD = 3_000;
    const handlers = echoDirectory("src", "dst");
    const directory = sagas(relaySaga("saga-fan", "src", "dst"));
    const first = await startProcess({ storage, handlers, directory, bus, outboxChunk: 100 });
    running.push(first);
    await first.pipeline.execute(command("src", Uuid.randomBytes(), `fan:${FLOOD}`, 0));
    await until(
      async () => delivered().events,
      (n) => n > 0,
      60_000,
    );
    await first.stop();
    const atStop = delivered().events;
    expect(atStop).toBeLessThan(FLOOD);
    expect(pendingEntries()).toBeGreaterThan(0);

    const second = await startProcess({ storage, handlers, directory, bus, outboxChunk: 100 });
    running.push(second);
    await second.host.settle();
    await until(
      async () => delivered().events,
      (n) => n >= FLOOD,
      120_000,
    );
    expect(delivered()).toEqual({ events: FLOOD, doubled: 0 });
    await until(
      async () => pendingEntries(),
      (n) => n === 0,
      60_000,
    );
    expect(pendingEntries()).toBe(0);
  }, 300_000);

  for (const fault of ["crash-before", "crash-after"] as const) {
    test(`a ${fault} of the store's write of the fourth chunk: after the restart every command is delivered exactly once, refused ones compensated once`, async () => {
      const FLOOD = 2_000;
      const CHUNK = 100;
      const handlers = echoDirectory("src", "dst");
      const directory = sagas(relaySaga("saga-fan", "src", "dst"));
      const faults = new FaultyProcess("first");
      faults.inject({ at: "outbox.write", when: expands, nth: 4, fault });
      const first = await startProcess({ storage, handlers, directory, bus, faults, outboxChunk: CHUNK });
      running.push(first);
      const source = Uuid.randomBytes();
      const rejecting = Uuid.randomBytes();
      await first.pipeline.execute(command("src", source, `fan:${FLOOD}`, 0));
      await until(
        async () => faults.dead,
        (dead) => dead,
        60_000,
      );
      await first.stop();
      const before = delivered().events;
      expect(before).toBeLessThan(FLOOD);

      const second = await startProcess({ storage, handlers, directory, bus, outboxChunk: CHUNK });
      running.push(second);
      // A second flood, refused command by command: each compensated (a revocation) once.
      await second.pipeline.execute(command("src", rejecting, `fan:${FLOOD / 10}:reject`, 0));
      await second.host.settle();
      await until(
        async () => delivered().events,
        (n) => n >= FLOOD,
        120_000,
      );
      await until(
        async () => pendingEntries(),
        (n) => n === 0,
        120_000,
      );
      expect(delivered()).toEqual({ events: FLOOD, doubled: 0 });
      const names = db.query<{ name: string; status: string }, []>("SELECT name, status FROM outbox").all();
      const commands = names.filter((r) => /^decision#command-\d+$/.test(r.name));
      expect(commands).toHaveLength(FLOOD + FLOOD / 10);
      expect(new Set(commands.map((r) => r.name)).size).toBe(FLOOD);
      const compensations = names.filter((r) => r.name.endsWith("#compensation"));
      expect(compensations).toHaveLength(FLOOD / 10);
      expect(names.every((r) => r.status !== "pending")).toBe(true);
    }, 300_000);
  }
});
