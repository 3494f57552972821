// A consumer that reads a book from the store before (or without) its bus message continues the
// trace that stored it: every page keeps the traceparent of the span that appended it
// (AppendOptions.traceparent, set by the measuring storage adapter), and the consumer takes it
// from the global log; the command's append itself leaves the in-memory links alone. A page stored
// in an unsampled trace (`-00`) makes the consumer follow that decision: no span, the stored
// context passed on. Tracing on in this process, spans exported to a local OTLP receiver.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { Covers, EventBookSchema } from "@angzarr/proto";
import { activeTraceparent, startTracing, stopTracing, traced } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { MemoryBus } from "../bus/memory/memory-bus";
import { CheckpointedConsumer } from "../coordinator/consumer";
import { numbered, ref, root } from "../storage/contract/fixtures";
import { openStorage } from "../storage/open";
import type { Storage } from "../storage/types";
import { startOtlpReceiver } from "../testing/otlp-receiver";
import { removeDir, tempDir, waitFor } from "../testing/processes";
import { measuredStorage } from "./instrument";
import { rememberBookTrace, traceOf } from "./trace-links";

const saved = { ...process.env };
let receiver: ReturnType<typeof startOtlpReceiver>;
let dir: string;
let storage: Storage;

beforeAll(async () => {
  receiver = startOtlpReceiver();
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: "50",
    OTEL_TRACES_SAMPLER: "parentbased_always_on",
  });
  expect(await startTracing("trace-links-test")).toBe(true);
  dir = tempDir("az-trace-links-");
  storage = await openStorage({ backend: "sqlite", path: join(dir, "store.db") });
});

afterAll(async () => {
  await stopTracing();
  await storage?.close();
  if (dir) removeDir(dir);
  await receiver?.stop();
  for (const key of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_TRACES_SAMPLER"]) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

/** A consumer of `domain` on the store: what `activeTraceparent()` is while it processes each book. */
async function consumeOnce(name: string, domain: string): Promise<(string | undefined)[]> {
  const seen: (string | undefined)[] = [];
  const consumer = new CheckpointedConsumer({
    name,
    filter: { domain },
    events: storage.events,
    positions: storage.positions,
    deadLetters: storage.deadLetters,
    bus: new MemoryBus(),
    pollMs: 50,
    process: async () => {
      seen.push(activeTraceparent());
    },
  });
  await consumer.start();
  try {
    await waitFor("the consumer to take the book", () => seen.length > 0, 10_000);
  } finally {
    await consumer.stop();
  }
  return seen;
}

test("the measuring storage stores the appending span's traceparent with the pages", async () => {
  const measured = measuredStorage(storage);
  const appendedIn = await traced("command orders", {}, async () => {
    await measured.events.append(ref("orders", 1), numbered(0, "a", "b"), { correlationId: "c" });
    return activeTraceparent();
  });
  const log = await storage.events.readAll(0n, 10, { domain: "orders" });
  expect(log.map((e) => e.traceparent)).toEqual([appendedIn, appendedIn]);
});

test("a book polled from the store before its bus message continues the trace that stored it", async () => {
  // Appended by another process (as an aggregate role would): nothing in this process's memory
  // links the pages to their trace, and no bus message ever comes.
  const traceId = crypto.randomUUID().replace(/-/g, "");
  const spanId = crypto.randomUUID().replace(/-/g, "").slice(0, 16);
  await storage.events.append(ref("carts", 7), numbered(0, "x"), {
    correlationId: "c",
    traceparent: `00-${traceId}-${spanId}-01`,
  });
  const seen = await consumeOnce("poller", "carts");
  expect(seen[0]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  await waitFor("the consume span", () => receiver.spans.some((s) => s.name === "consume poller"), 10_000);
  const consume = receiver.spans.find((s) => s.name === "consume poller");
  expect(consume?.traceId).toBe(traceId);
  expect(consume?.parentId).toBe(spanId);
});

test("a command's append leaves the links to the consumer, which continues the stored trace", async () => {
  const measured = measuredStorage(storage);
  const appendedIn = await traced("command invoices", {}, async () => {
    await measured.events.append(ref("invoices", 3), numbered(0, "a"), { correlationId: "c" });
    return activeTraceparent();
  });
  const book = create(EventBookSchema, {
    cover: Covers.make({ domain: "invoices", root: root(3) }),
    pages: numbered(0, "a"),
  });
  // Nothing remembered by the append itself: the consumer reads the page's stored traceparent.
  expect(traceOf(book)).toBeUndefined();
  const seen = await consumeOnce("invoicer", "invoices");
  const [, traceId, spanId] = appendedIn?.split("-") ?? [];
  expect(traceOf(book)).toBe(appendedIn);
  expect(seen[0]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  await waitFor("the consume span", () => receiver.spans.some((s) => s.name === "consume invoicer"), 10_000);
  expect(receiver.spans.find((s) => s.name === "consume invoicer")?.parentId).toBe(spanId);
});

test("a page stored in an unsampled trace: the consumer follows the decision (no span, -00 passed on)", async () => {
  const traceId = crypto.randomUUID().replace(/-/g, "");
  const spanId = crypto.randomUUID().replace(/-/g, "").slice(0, 16);
  await storage.events.append(ref("refunds", 4), numbered(0, "r"), {
    correlationId: "c",
    traceparent: `00-${traceId}-${spanId}-00`,
  });
  const seen = await consumeOnce("refunder", "refunds");
  // No span of its own: what it calls gets the stored context, "not sampled" included.
  expect(seen[0]).toBe(`00-${traceId}-${spanId}-00`);
  // A later span proves the receiver had time to take any span the consumer would have sent.
  await traced("after refunds", {}, async () => {});
  await waitFor("the later span", () => receiver.spans.some((s) => s.name === "after refunds"), 10_000);
  expect(receiver.spans.some((s) => s.name === "consume refunder" || s.traceId === traceId)).toBe(false);
});

test("the links keep at least the latest 10,000 pages and at most 20,000", () => {
  const book = (rootNumber: number, sequence: number) =>
    create(EventBookSchema, {
      cover: Covers.make({ domain: "bounded", root: root(rootNumber) }),
      pages: numbered(sequence, "x"),
    });
  const parent = (n: number) => `00-${"1".repeat(24)}${n.toString(16).padStart(8, "0")}-${"2".repeat(16)}-01`;
  rememberBookTrace(book(1, 0), parent(0));
  for (let i = 1; i < 10_000; i++) rememberBookTrace(book(2, i), parent(i));
  // Remembered 9,999 pages ago: still there.
  expect(traceOf(book(1, 0))).toBe(parent(0));
  expect(traceOf(book(2, 9_999))).toBe(parent(9_999));
  for (let i = 10_000; i < 30_000; i++) rememberBookTrace(book(2, i), parent(i));
  // 30,000 pages later: forgotten; the latest 10,000 are all there.
  expect(traceOf(book(1, 0))).toBeUndefined();
  for (const i of [20_000, 25_000, 29_999]) expect(traceOf(book(2, i))).toBe(parent(i));
});
