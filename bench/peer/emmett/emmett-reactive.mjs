// The peer's reactive hop for `bun run bench`: Emmett's idiomatic SQLite consumer
// (`eventStore.consumer({ pulling }).processor({ eachMessage })`) reacting to OrderCreated by
// running a DeciderCommandHandler for ReserveStock on the product's inventory stream, through the
// connection the processor hands it (its append and the checkpoint in one transaction). The
// consumer runs in its own Node process (in the writer's process it stalls on SQLITE_BUSY).
//   node emmett-reactive.mjs [--orders 2000] [--latency 200] [--rate 100] [--batch 5] [--pull 1]
// Prints one JSON object: flood (hops/s while OrderCreated are appended as fast as the writer
// can), drain (hops/s over OrderCreated already stored), latency at --rate orders/s (p50, p99).
// `node emmett-reactive.mjs consumer FILE EXPECTED BATCH PULL` is the consumer process: it prints
// "ready", then "<order> <time ms>" as each StockReserved is stored, and exits after EXPECTED.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DeciderCommandHandler } from "@event-driven-io/emmett";
import { getSQLiteEventStore } from "@event-driven-io/emmett-sqlite";
import { arg } from "./args.mjs";
import { openConnection, storeOn } from "./store.mjs";

const now = () => performance.timeOrigin + performance.now();
const progress = (message) => process.stderr.write(`  … emmett reactive: ${message}\n`);

// Inventory: ReserveStock → StockReserved while stock lasts.
const reserve = DeciderCommandHandler({
  initialState: () => ({ reserved: 0 }),
  evolve: (state, event) => {
    if (event.type === "StockReserved") state.reserved += event.data.quantity;
    return state;
  },
  decide: (command, state) => ({
    type: "StockReserved",
    data: { orderId: command.data.orderId, quantity: command.data.quantity, before: state.reserved },
  }),
});

async function consumer(fileName, expected, batchSize, pullingFrequencyInMs) {
  const store = storeOn(fileName, await openConnection(fileName));
  let done = 0;
  const consumer = store.consumer({ pulling: { batchSize, pullingFrequencyInMs } });
  consumer.processor({
    processorId: "inventory-reservations",
    startFrom: "BEGINNING",
    eachMessage: async (event, context) => {
      if (event.type !== "OrderCreated") return;
      const inTransaction = getSQLiteEventStore({ connection: context.connection });
      await reserve(inTransaction, `inventory-${event.data.sku}`, {
        type: "ReserveStock",
        data: { orderId: event.data.orderId, quantity: 1 },
      });
      process.stdout.write(`${event.data.orderId} ${now()}\n`);
      if (++done >= expected) setImmediate(() => consumer.stop().then(() => process.exit(0)));
    },
  });
  void consumer.start();
  process.stdout.write("ready\n");
}

/** Appends one OrderCreated, retrying while another connection holds the write lock. */
async function order(store, i) {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.appendToStream(`order-${i}`, [
        { type: "OrderCreated", data: { orderId: `o${i}`, sku: `sku-${i % 10}` } },
      ]);
      return;
    } catch (err) {
      if (attempt > 200 || !String(err?.message ?? err).includes("SQLITE_BUSY")) throw err;
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

/** Starts the consumer process; resolves its completion times by order id once all are stored. */
function startConsumer(fileName, expected, batch, pull) {
  const child = spawn(
    process.execPath,
    [new URL(import.meta.url).pathname, "consumer", fileName, String(expected), String(batch), String(pull)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const done = new Map();
  let markReady;
  const ready = new Promise((r) => {
    markReady = r;
  });
  const finished = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line === "ready") return markReady();
      // Emmett logs a failed transaction's error to stdout (console.log): not a completion.
      const match = /^(o\d+) (\d+(?:\.\d+)?)$/.exec(line);
      if (match === null) return process.stderr.write(`  … emmett consumer: ${line}\n`);
      done.set(match[1], Number(match[2]));
    });
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`consumer exited ${code}`));
      if (done.size !== expected)
        return reject(new Error(`consumer stored ${done.size} of ${expected} hops`));
      resolve(done);
    });
  });
  return { ready, finished };
}

async function withFile(fn) {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-emmett-reactive-"));
  const fileName = join(dir, "events.db");
  const connection = await openConnection(fileName);
  const store = storeOn(fileName, connection);
  try {
    await store.appendToStream("warmup-0", [{ type: "Warmup", data: {} }]); // schema outside timing
    return await fn(store, fileName);
  } finally {
    connection.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const ORDERS = arg("orders", 2_000);
  const LATENCY = arg("latency", 200);
  const RATE = arg("rate", 100);
  const BATCH = arg("batch", 5);
  const PULL = arg("pull", 1);

  progress(`flood: ${ORDERS} OrderCreated appended as fast as the writer can, consumer running`);
  const flood = await withFile(async (store, fileName) => {
    const c = startConsumer(fileName, ORDERS, BATCH, PULL);
    await c.ready;
    const started = now();
    for (let i = 0; i < ORDERS; i++) await order(store, i);
    const done = await c.finished;
    const ms = Math.max(...done.values()) - started;
    return { hops: ORDERS, ms, hopsPerSecond: ORDERS / (ms / 1000) };
  });

  progress(`drain: ${ORDERS} OrderCreated stored first, then the consumer`);
  const drain = await withFile(async (store, fileName) => {
    for (let i = 0; i < ORDERS; i++) await order(store, i);
    const c = startConsumer(fileName, ORDERS, BATCH, PULL);
    await c.ready;
    const started = now();
    const done = await c.finished;
    const ms = Math.max(...done.values()) - started;
    return { hops: ORDERS, ms, hopsPerSecond: ORDERS / (ms / 1000) };
  });

  progress(`latency: ${LATENCY} OrderCreated at ${RATE}/s`);
  const latency = await withFile(async (store, fileName) => {
    const c = startConsumer(fileName, LATENCY, BATCH, PULL);
    await c.ready;
    const sent = new Map();
    const started = now();
    for (let i = 0; i < LATENCY; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await order(store, i);
      sent.set(`o${i}`, now());
    }
    const done = await c.finished;
    const samples = [...sent].map(([id, at]) => (done.get(id) ?? Number.NaN) - at).sort((a, b) => a - b);
    return { orders: LATENCY, rate: RATE, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
  });

  for (const [part, figures] of Object.entries({ flood, drain, latency })) {
    for (const [name, value] of Object.entries(figures)) {
      if (!Number.isFinite(value)) throw new Error(`${part}.${name} is ${value}, not a number`);
    }
  }
  process.stdout.write(`${JSON.stringify({ batchSize: BATCH, pullMs: PULL, flood, drain, latency })}\n`);
}

if (process.argv[2] === "consumer") {
  const [, , , fileName, expected, batch, pull] = process.argv;
  await consumer(fileName, Number(expected), Number(batch), Number(pull));
} else {
  await main();
}
