import { expect, test } from "bun:test";
import { Covers, EventBookSchema, EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { MemoryBus } from "../bus/memory/memory-bus";
import { createMemoryStorage } from "../storage/memory";
import { CheckpointedConsumer } from "./consumer";

const event = () =>
  EventPages.forced(create(AnySchema, { typeUrl: "type.test/t.E", value: new Uint8Array([1]) }));

test("a bus message for a book a stored checkpoint has passed needs no catch-up; a later one does", async () => {
  const storage = createMemoryStorage();
  let reads = 0;
  const events = Object.create(storage.events) as typeof storage.events;
  events.readAll = (...args) => {
    reads++;
    return storage.events.readAll(...args);
  };
  const handled: number[] = [];
  const consumer = new CheckpointedConsumer({
    name: "wake-test",
    filter: { domain: "src" },
    edition: "",
    events,
    positions: storage.positions,
    deadLetters: storage.deadLetters,
    bus: new MemoryBus(),
    subscribe: false,
    process: async (book) => {
      for (const p of book.pages) handled.push(EventPages.sequence(p) ?? -1);
    },
  });
  const root = Uuid.randomBytes();
  const ref = { domain: "src", edition: "", root };
  const book = (pages: ReturnType<typeof event>[]) =>
    create(EventBookSchema, { cover: Covers.make({ domain: "src", root, correlationId: "c" }), pages });
  const first = await storage.events.append(ref, [event(), event()], { correlationId: "c" });
  await consumer.wakeFor(book(first));
  expect(handled).toEqual([0, 1]);
  const before = reads;
  // Its events are processed and the checkpoint is stored: no store read.
  await consumer.wakeFor(book(first));
  await consumer.wakeFor(book(first.slice(0, 1)));
  expect(reads).toBe(before);
  // A later book of the same aggregate catches up.
  const second = await storage.events.append(ref, [event()], { correlationId: "c" });
  await consumer.wakeFor(book(second));
  expect(reads).toBeGreaterThan(before);
  expect(handled).toEqual([0, 1, 2]);
  // After a reset (a rebuild) every message catches up again.
  await consumer.resetCheckpoint();
  const afterReset = reads;
  await consumer.wakeFor(book(first));
  expect(reads).toBeGreaterThan(afterReset);
  expect(handled).toEqual([0, 1, 2, 0, 1, 2]);
  await consumer.stop();
});

test("wake-ups coalesced into one run go on from the checkpoint it stored; the next run reads it", async () => {
  const storage = createMemoryStorage();
  let gets = 0;
  const positions: typeof storage.positions = {
    get: (...args) => {
      gets++;
      return storage.positions.get(...args);
    },
    put: (...args) => storage.positions.put(...args),
    reset: (...args) => storage.positions.reset(...args),
    deleteEdition: (...args) => storage.positions.deleteEdition(...args),
  };
  const handled: string[] = [];
  let release: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  const consumer = new CheckpointedConsumer({
    name: "run-test",
    filter: { domain: "src" },
    edition: "",
    events: storage.events,
    positions,
    deadLetters: storage.deadLetters,
    bus: new MemoryBus(),
    subscribe: false,
    process: async (book) => {
      await gate;
      const root = Buffer.from(book.cover?.root?.value ?? [])
        .toString("hex")
        .slice(0, 4);
      for (const p of book.pages) handled.push(`${root}:${EventPages.sequence(p)}`);
    },
  });
  const ref = (n: number) => ({ domain: "src", edition: "", root: new Uint8Array(16).fill(n) });
  await storage.events.append(ref(1), [event()], { correlationId: "a" });
  await consumer.wake();
  expect(handled).toEqual(["0101:0"]);
  gets = 0;

  // A run held up by its handler; two more wake-ups (bus messages) arrive meanwhile.
  gate = new Promise((resolve) => {
    release = resolve;
  });
  await storage.events.append(ref(2), [event()], { correlationId: "b" });
  const run = consumer.wake();
  await Bun.sleep(5);
  await storage.events.append(ref(3), [event()], { correlationId: "c" });
  const second = consumer.wake();
  const third = consumer.wake();
  release();
  await Promise.all([run, second, third]);
  expect(handled).toEqual(["0101:0", "0202:0", "0303:0"]);
  expect(gets).toBe(1);

  // The next run reads it again.
  await storage.events.append(ref(4), [event()], { correlationId: "d" });
  await consumer.wake();
  expect(handled.at(-1)).toBe("0404:0");
  expect(gets).toBe(2);
  await consumer.stop();
});

test("polls do not extend a catch-up that lasts longer than the poll interval: the wake-up resolves", async () => {
  const storage = createMemoryStorage();
  // A store slower than the poll: every read of the log takes several poll intervals.
  const events = Object.create(storage.events) as typeof storage.events;
  events.readAll = async (...args) => {
    await Bun.sleep(20);
    return storage.events.readAll(...args);
  };
  const handled: number[] = [];
  const consumer = new CheckpointedConsumer({
    name: "poll-test",
    filter: { domain: "src" },
    edition: "",
    events,
    positions: storage.positions,
    deadLetters: storage.deadLetters,
    bus: new MemoryBus(),
    pollMs: 2,
    process: async (book) => {
      for (const p of book.pages) handled.push(EventPages.sequence(p) ?? -1);
    },
  });
  const ref = { domain: "src", edition: "", root: Uuid.randomBytes() };
  await storage.events.append(ref, [event(), event()], { correlationId: "c" });
  const settled = (p: Promise<void>) =>
    Promise.race([p.then(() => "caught up"), Bun.sleep(3_000).then(() => "still running")]);
  try {
    expect(await settled(consumer.start())).toBe("caught up");
    await storage.events.append(ref, [event()], { correlationId: "c" });
    expect(await settled(consumer.wake())).toBe("caught up");
    expect(handled).toEqual([0, 1, 2]);
  } finally {
    await consumer.stop();
  }
});
