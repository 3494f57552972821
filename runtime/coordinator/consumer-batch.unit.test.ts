// A consumer's catch-up in batches: the upcaster is asked once per batch (not once per book), a
// batch the upcaster refuses goes book by book so only the book at fault is retried and parked,
// reading the next batch ahead while one is processed keeps every aggregate's order, and the books
// of a batch's aggregates are processed LANES at a time.
import { expect, test } from "bun:test";
import { Covers, type EventPage, EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { MemoryBus } from "../bus/memory/memory-bus";
import { createMemoryStorage } from "../storage/memory";
import { CheckpointedConsumer, type ConsumerOptions, LANES } from "./consumer";
import type { PageUpcaster } from "./upcasting";

const OLD = "type.test/t.Old";
const NEW = "type.test/t.New";
const page = (value: number) =>
  EventPages.forced(create(AnySchema, { typeUrl: OLD, value: new Uint8Array([value]) }));

/** One book per command: `books` commands of one page each, spread over `roots` aggregates. */
async function seed(storage: ReturnType<typeof createMemoryStorage>, roots: Uint8Array[], books: number) {
  for (let i = 0; i < books; i++) {
    const root = roots[i % roots.length] as Uint8Array;
    await storage.events.append({ domain: "src", edition: "", root }, [page(i % 250)], {
      correlationId: `c-${i}`,
    });
  }
}

/** A consumer of domain "src" over the storage, in batches of `batchSize`, retrying once. */
function consumer(
  storage: ReturnType<typeof createMemoryStorage>,
  batchSize: number,
  options: Pick<ConsumerOptions, "process"> & Partial<ConsumerOptions>,
) {
  return new CheckpointedConsumer({
    name: "batch-test",
    filter: { domain: "src" },
    edition: "",
    events: storage.events,
    positions: storage.positions,
    deadLetters: storage.deadLetters,
    bus: new MemoryBus(),
    subscribe: false,
    batchSize,
    retry: { initialMs: 1, maxMs: 1, attempts: 2 },
    ...options,
  });
}

const renamed: PageUpcaster = async (_domain, pages) =>
  pages.map((p) => ({
    ...p,
    event: create(AnySchema, { typeUrl: NEW, value: p.event?.value ?? new Uint8Array() }),
  }));

test("the upcaster is asked once per batch, and every book reaches the handler upcast, in order per aggregate", async () => {
  const storage = createMemoryStorage();
  const roots = [Uuid.randomBytes(), Uuid.randomBytes(), Uuid.randomBytes()];
  await seed(storage, roots, 60);
  const calls: number[] = [];
  const seen = new Map<string, number[]>();
  const c = consumer(storage, 25, {
    upcast: async (domain, pages) => {
      calls.push(pages.length);
      return renamed(domain, pages);
    },
    process: async (book) => {
      await Bun.sleep(0);
      for (const p of book.pages) {
        expect(p.event?.typeUrl).toBe(NEW);
        const root = Covers.rootString(book.cover);
        const list = seen.get(root) ?? [];
        list.push(EventPages.sequence(p) ?? -1);
        seen.set(root, list);
      }
    },
  });
  await c.start();
  await c.stop();
  // 60 one-page books in batches of 25: three upcaster calls, not sixty.
  expect(calls).toEqual([25, 25, 10]);
  for (const root of roots) {
    expect(seen.get(Uuid.toText(root))).toEqual(Array.from({ length: 20 }, (_, i) => i));
  }
  expect(await c.checkpoint()).toBe(60n);
});

test("a batch the upcaster refuses goes book by book: only the book at fault is retried and parked", async () => {
  const storage = createMemoryStorage();
  const roots = [Uuid.randomBytes(), Uuid.randomBytes()];
  await seed(storage, roots, 10);
  let calls = 0;
  const handled: string[] = [];
  const c = consumer(storage, 100, {
    upcast: async (domain, pages) => {
      calls++;
      // The page holding value 7 cannot be upcast (a corrupt old event).
      if (pages.some((p) => p.event?.value[0] === 7)) throw new Error("cannot upcast 7");
      return renamed(domain, pages);
    },
    process: async (book) => {
      handled.push(book.cover?.correlationId ?? "");
    },
  });
  await c.start();
  await c.stop();
  // Two aggregates side by side: each in its order (books c-0, c-2, ... and c-1, c-3, ...).
  expect(handled.filter((_, i) => Number(handled[i]?.slice(2)) % 2 === 0)).toEqual([
    "c-0",
    "c-2",
    "c-4",
    "c-6",
    "c-8",
  ]);
  expect(handled.filter((_, i) => Number(handled[i]?.slice(2)) % 2 === 1)).toEqual([
    "c-1",
    "c-3",
    "c-5",
    "c-9",
  ]);
  const parked = await storage.deadLetters.list({});
  expect(parked.map((d) => d.correlationId)).toEqual(["c-7"]);
  // The batch (1), each book on its own (10), the failing book's tries in processing (2).
  expect(calls).toBe(13);
  expect(await c.checkpoint()).toBe(10n);
});

test("a batch cut short by a failing handler is read again from the checkpoint, the batch read ahead unused", async () => {
  const storage = createMemoryStorage();
  const roots = [Uuid.randomBytes()];
  await seed(storage, roots, 30);
  const handled: number[] = [];
  let failOnce = true;
  const c = consumer(storage, 10, {
    onFailure: "stop",
    retry: { initialMs: 1, maxMs: 1, attempts: 1 },
    process: async (book) => {
      const sequence = EventPages.sequence(book.pages[0] as EventPage) ?? -1;
      if (sequence === 15 && failOnce) {
        failOnce = false;
        throw new Error("not now");
      }
      handled.push(sequence);
    },
  });
  await c.start();
  // Stopped on the failure: the checkpoint stays after the first batch.
  expect(await c.checkpoint()).toBe(10n);
  expect(handled).toEqual(Array.from({ length: 15 }, (_, i) => i));
  await c.stop();
  await c.start();
  await c.stop();
  // Started again: from the checkpoint, nothing skipped and nothing done twice (the books of the
  // cut batch already processed are known), in order.
  expect(await c.checkpoint()).toBe(30n);
  expect(handled).toEqual(Array.from({ length: 30 }, (_, i) => i));
});

test("books of different aggregates are processed 64 at a time (LANES)", async () => {
  const storage = createMemoryStorage();
  const roots = Array.from({ length: LANES + 16 }, () => Uuid.randomBytes());
  await seed(storage, roots, roots.length);
  let inFlight = 0;
  let most = 0;
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const c = consumer(storage, 500, {
    process: async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await gate;
      inFlight--;
    },
  });
  const started = c.start();
  try {
    // Every book waits at the gate: the catch-up starts as many as it runs side by side.
    for (let turn = 0; turn < 50 && inFlight < LANES; turn++) await new Promise((r) => setImmediate(r));
    for (let turn = 0; turn < 10; turn++) await new Promise((r) => setImmediate(r));
    expect(inFlight).toBe(64);
  } finally {
    release();
    await started;
    await c.stop();
  }
  expect(most).toBe(64);
  expect(await c.checkpoint()).toBe(BigInt(roots.length));
});
