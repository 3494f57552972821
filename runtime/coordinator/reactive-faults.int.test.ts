// The saga, process-manager and consumer paths under injected faults (runtime/testing/faults.ts),
// on a real SQLite file with synthetic in-process handlers. Each test asserts the final state:
// every command sent exactly once (or parked), every event handled once per consumer.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  AnyPayload,
  Covers,
  Editions,
  type EventBook,
  EventPages,
  Identity,
  type RevocationResponse,
  SagaCompensationFailedSchema,
  Uuid,
} from "@angzarr/proto";
import { MemoryBus } from "../bus/memory/memory-bus";
import { openStorage } from "../storage/open";
import type { OutboxWrite, Storage } from "../storage/types";
import { FaultyProcess, ManualTimer } from "../testing/faults";
import { removeDir, tempDir } from "../testing/processes";
import {
  command,
  deadlinePm,
  echoDirectory,
  isTimeoutTrigger,
  relaySaga,
  shipOncePm,
  text,
} from "../testing/reactive-fixtures";
import { type CoordinatorProcess, startProcess, texts, until } from "../testing/reactive-world";
import { CheckpointedConsumer, EditionConsumers } from "./consumer";
import { SAGA_FAILURE_DOMAIN } from "./saga-coordinator";

let dir: string;
let storage: Storage;
let bus: MemoryBus;
const running: CoordinatorProcess[] = [];

beforeEach(async () => {
  dir = tempDir("az-faults-");
  storage = await openStorage({ backend: "sqlite", path: join(dir, "store.db") });
  bus = new MemoryBus();
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  await bus.close();
  await storage.close();
  removeDir(dir);
});

async function start(
  handlers: ReturnType<typeof echoDirectory>,
  directory: Parameters<typeof startProcess>[0]["directory"],
  faults?: FaultyProcess,
): Promise<CoordinatorProcess> {
  const p = await startProcess({ storage, handlers, directory, bus, ...(faults ? { faults } : {}) });
  running.push(p);
  return p;
}

const sagas = (...s: ReturnType<typeof relaySaga>[]) => ({
  sagas: () => s,
  processManagers: () => [],
  projectors: () => [],
});
const pms = (...p: ReturnType<typeof shipOncePm>[]) => ({
  sagas: () => [],
  processManagers: () => p,
  projectors: () => [],
});

/** Writes that store events in `domain` (the event store's append, or an outbox write). */
const storesIn = (domain: string) => (args: unknown[]) => {
  const first = args[0];
  if (Array.isArray(first))
    return (first as OutboxWrite[]).some((w) => w.appends?.some((a) => a.ref.domain === domain));
  return (first as { domain?: string } | undefined)?.domain === domain;
};

describe("process manager", () => {
  test("its command meets UNAVAILABLE once: the command is still delivered, exactly once", async () => {
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess("pm-process");
    faults.inject({ at: "handler.dst.*", fault: "unavailable" });
    const p = await start(handlers, pms(shipOncePm("pmg-ship", ["src"], "ship-process", "dst")), faults);
    const pmRoot = Identity.processManagerRoot("order-1");
    await p.pipeline.execute(command("src", Uuid.randomBytes(), "paid", 0, "order-1"));
    const shipped = await until(
      () => texts(storage, "dst", pmRoot),
      (t) => t.length >= 1,
    );
    await p.host.settle();
    expect(shipped).toEqual(["ship"]);
    expect(await texts(storage, "dst", pmRoot)).toEqual(["ship"]);
    expect(await texts(storage, "ship-process", pmRoot)).toEqual(["dispatched"]);
  });

  test("a crash right after the PM's own events are stored: after the restart its command is sent once", async () => {
    const handlers = echoDirectory("src", "dst");
    const directory = pms(shipOncePm("pmg-ship", ["src"], "ship-process", "dst"));
    const faults = new FaultyProcess("first");
    faults.inject({ at: "events.append", when: storesIn("ship-process"), fault: "crash-after" });
    faults.inject({ at: "outbox.write", when: storesIn("ship-process"), fault: "crash-after" });
    const first = await start(handlers, directory, faults);
    const pmRoot = Identity.processManagerRoot("order-2");
    await first.pipeline.execute(command("src", Uuid.randomBytes(), "paid", 0, "order-2"));
    await until(
      async () => faults.dead,
      (d) => d,
    );
    await first.stop();
    expect(await texts(storage, "ship-process", pmRoot)).toEqual(["dispatched"]);

    const second = await start(handlers, directory);
    await second.host.settle();
    const shipped = await until(
      () => texts(storage, "dst", pmRoot),
      (t) => t.length >= 1,
    );
    await second.host.settle();
    expect(shipped).toEqual(["ship"]);
    expect(await texts(storage, "dst", pmRoot)).toEqual(["ship"]);
  });

  test("a deadline whose delivery fails once is tried again and fires once", async () => {
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess();
    faults.inject({ at: "pm.pmg-watch.handle", when: isTimeoutTrigger, fault: "unavailable" });
    const pm = deadlinePm("pmg-watch", "src", "watch", "dst", 50);
    const p = await start(handlers, pms(pm), faults);
    const pmRoot = Identity.processManagerRoot("watch-1");
    await p.pipeline.execute(command("src", Uuid.randomBytes(), "begin", 0, "watch-1"));
    const fired = await until(
      () => texts(storage, "dst", pmRoot),
      (t) => t.length >= 1,
      8_000,
    );
    expect(fired).toEqual(["timed-out"]);
    expect(faults.rules[0]?.fired).toBe(1);
    await Bun.sleep(100);
    expect(await texts(storage, "dst", pmRoot)).toEqual(["timed-out"]);
  }, 20_000);

  test("a deadline that can never be delivered is parked in the dead-letter queue", async () => {
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess();
    faults.inject({
      at: "pm.pmg-watch.handle",
      when: isTimeoutTrigger,
      fault: "unavailable",
      times: Infinity,
    });
    const p = await start(handlers, pms(deadlinePm("pmg-watch", "src", "watch", "dst", 20)), faults);
    await p.pipeline.execute(command("src", Uuid.randomBytes(), "begin", 0, "watch-2"));
    const parked = await until(
      () => storage.deadLetters.list(),
      (l) => l.length >= 1,
      8_000,
    );
    expect(parked).toHaveLength(1);
    expect(parked[0]?.consumer).toBe("pmg-watch");
    expect(parked[0]?.correlationId).toBe("watch-2");
  });
});

describe("deadlines on the clock port", () => {
  test("a deadline a day ahead fires when the clock gets there, once, with no real waiting", async () => {
    const DAY = 24 * 3600 * 1000;
    const timer = new ManualTimer();
    const handlers = echoDirectory("src", "dst");
    const p = await startProcess({
      storage,
      handlers,
      // The deadline is reckoned on the manual clock: on the real one, a start slower than the
      // 1 s margin below (a loaded machine) put it past the clock's second advance.
      directory: pms(deadlinePm("pmg-later", "src", "later", "dst", DAY, () => timer.now())),
      bus,
      timer,
    });
    running.push(p);
    const pmRoot = Identity.processManagerRoot("later-1");
    await p.pipeline.execute(command("src", Uuid.randomBytes(), "begin", 0, "later-1"));
    await until(
      () => texts(storage, "later", pmRoot),
      (t) => t.length >= 1,
    );
    timer.advance(DAY - 1_000);
    await p.host.settle();
    expect(await texts(storage, "dst", pmRoot)).toEqual([]);
    timer.advance(2_000);
    expect(
      await until(
        () => texts(storage, "dst", pmRoot),
        (t) => t.length >= 1,
      ),
    ).toEqual(["timed-out"]);
    timer.advance(DAY);
    await p.host.settle();
    expect(await texts(storage, "dst", pmRoot)).toEqual(["timed-out"]);
  });
});

describe("saga", () => {
  test("its command meets UNAVAILABLE once: delivered exactly once", async () => {
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess();
    faults.inject({ at: "handler.dst.*", fault: "unavailable" });
    const p = await start(handlers, sagas(relaySaga("saga-relay", "src", "dst")), faults);
    const root = Uuid.randomBytes();
    await p.pipeline.execute(command("src", root, "hello", 0, "c-1"));
    const got = await until(
      () => texts(storage, "dst", root),
      (t) => t.length >= 1,
    );
    await p.host.settle();
    expect(got).toEqual(["hello"]);
    expect(await texts(storage, "dst", root)).toEqual(["hello"]);
  });

  test("a host delivers what its own sagas decided, not another saga's pending commands", async () => {
    const handlers = echoDirectory("src", "dst", "other");
    const faults = new FaultyProcess("first");
    faults.inject({ at: "outbox.write", fault: "crash-after" });
    const first = await start(handlers, sagas(relaySaga("saga-relay", "src", "dst")), faults);
    const root = Uuid.randomBytes();
    await first.pipeline.execute(command("src", root, "pending", 0, "c-4"));
    await until(
      async () => faults.dead,
      (d) => d,
    );
    await first.stop();
    expect(await storage.outbox.pending({ limit: 10 })).toHaveLength(1);

    const stranger = await start(handlers, sagas(relaySaga("saga-other", "other", "dst")));
    await stranger.host.settle();
    expect(await texts(storage, "dst", root)).toEqual([]);
    await stranger.stop();

    const owner = await start(handlers, sagas(relaySaga("saga-relay", "src", "dst")));
    await owner.host.settle();
    expect(
      await until(
        () => texts(storage, "dst", root),
        (t) => t.length >= 1,
      ),
    ).toEqual(["pending"]);
  });

  test("a command parked after its attempts is replayed once, even when the replay is repeated", async () => {
    const handlers = echoDirectory("src", "dst");
    const faults = new FaultyProcess();
    faults.inject({ at: "handler.dst.*", times: 5, fault: "unavailable" }); // every attempt (5) fails
    const p = await start(handlers, sagas(relaySaga("saga-relay", "src", "dst")), faults);
    const root = Uuid.randomBytes();
    await p.pipeline.execute(command("src", root, "later", 0, "c-3"));
    const [letter] = await until(
      () => storage.deadLetters.list(),
      (l) => l.length >= 1,
    );
    if (!letter) throw new Error("nothing parked");
    expect(letter.consumer).toBe("saga-relay");
    expect(await texts(storage, "dst", root)).toEqual([]);
    await p.host.replay(letter);
    await p.host.replay(letter); // as if a crash had kept the first replay from being marked
    expect(await texts(storage, "dst", root)).toEqual(["later"]);
    expect(await storage.deadLetters.list()).toEqual([]);
  });

  test("compensation: the revoke is answered, then the dead-letter write fails once: recorded once", async () => {
    const handlers = echoDirectory("src", "dst");
    (handlers.get("src").revokeAnswer as RevocationResponse).sendToDeadLetterQueue = true;
    const faults = new FaultyProcess();
    faults.inject({ at: "deadLetters.add", fault: "storage" });
    faults.inject({
      at: "outbox.write",
      when: (args) => (args[0] as OutboxWrite[]).some((w) => w.deadLetter !== undefined),
      fault: "storage",
    });
    const p = await start(handlers, sagas(relaySaga("saga-relay", "src", "dst")), faults);
    const root = Uuid.randomBytes();
    await p.pipeline.execute(command("src", root, "reject-me", 0, "c-2"));
    const parked = await until(
      () => storage.deadLetters.list(),
      (l) => l.length >= 1,
    );
    await p.host.settle();
    await Bun.sleep(50);
    await p.host.settle();
    const failures = await storage.events.get({ domain: SAGA_FAILURE_DOMAIN, edition: "", root });
    expect(failures).toHaveLength(1);
    expect(AnyPayload.unpack(failures[0]?.event, SagaCompensationFailedSchema).rejectionReason).toBe(
      "Not allowed here",
    );
    expect(parked).toHaveLength(1);
    expect(await storage.deadLetters.list()).toHaveLength(1);
  }, 20_000);
});

describe("consumer", () => {
  test("one lane fails while another is busy: no aggregate is ever processed by two lanes at once", async () => {
    const faults = new FaultyProcess();
    faults.inject({ at: "deadLetters.add", fault: "storage" });
    const store = faults.storage(storage);
    const bad = Uuid.randomBytes();
    const slow = Uuid.randomBytes();
    await storage.events.append({ domain: "src", edition: "", root: bad }, [EventPages.forced(text("bad"))], {
      correlationId: "b",
    });
    await storage.events.append(
      { domain: "src", edition: "", root: slow },
      [EventPages.forced(text("slow"))],
      {
        correlationId: "s",
      },
    );
    const inFlight = new Map<string, number>();
    let worst = 0;
    const handled: string[] = [];
    const consumer = new CheckpointedConsumer({
      name: "projector-lanes",
      filter: { domain: "src" },
      edition: "",
      events: store.events,
      positions: store.positions,
      deadLetters: store.deadLetters,
      bus,
      pollMs: 5,
      retry: { initialMs: 1, maxMs: 2, attempts: 2 },
      process: async (book: EventBook) => {
        const key = Uuid.toText(book.cover?.root?.value ?? new Uint8Array(16));
        const now = (inFlight.get(key) ?? 0) + 1;
        inFlight.set(key, now);
        worst = Math.max(worst, now);
        try {
          if (key === Uuid.toText(bad)) throw new Error("this book always fails");
          await Bun.sleep(60);
          handled.push(key);
        } finally {
          inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
        }
      },
    });
    await consumer.start();
    await until(
      () => storage.deadLetters.list(),
      (l) => l.length >= 1,
    );
    await consumer.wake();
    await consumer.stop();
    expect(worst).toBe(1);
    expect(handled).toEqual([Uuid.toText(slow)]);
    expect(await storage.deadLetters.list()).toHaveLength(1);
    expect(await storage.positions.get("projector-lanes", "src", "")).toBeGreaterThan(0n);
  });

  test("an edition deleted while its book fails: the consumer lets go of it, no retries, nothing parked", async () => {
    const root = Uuid.randomBytes();
    await storage.events.append({ domain: "src", edition: "", root }, [EventPages.forced(text("main"))], {
      correlationId: "m",
    });
    await storage.events.append(
      { domain: "src", edition: "what-if", root },
      [EventPages.forced(text("edition"))],
      { correlationId: "e" },
    );
    let attempts = 0;
    const handled: string[] = [];
    const consumers = new EditionConsumers({
      name: "pm-gone",
      filter: { domain: "src" },
      events: storage.events,
      positions: storage.positions,
      deadLetters: storage.deadLetters,
      bus,
      // Retries that would outlast the test: the deleted edition must not be retried at all.
      retry: { initialMs: 60_000, maxMs: 60_000, attempts: 10 },
      editions: { initial: async () => ["what-if"], periodic: async () => [] },
      process: async (book: EventBook) => {
        if (Editions.isMain(Covers.edition(book.cover))) {
          handled.push("main");
          return;
        }
        // The edition is deleted between reading the book and handling it (as the registry's
        // deletion races a consumer): the handler then cannot find it.
        attempts++;
        await storage.events.deleteEdition("src", "what-if");
        await storage.positions.deleteEdition("what-if");
        throw new Error("[not_found] No edition registered with name: what-if");
      },
    });
    await consumers.start();
    await consumers.wake();
    await consumers.stop();
    expect(handled).toEqual(["main"]);
    expect(attempts).toBe(1);
    expect(await storage.deadLetters.list()).toEqual([]);
    expect((await consumers.checkpoints()).map((c) => c.edition)).toEqual([""]);
  });
});
