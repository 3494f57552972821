// The reactive path through the real standalone runtime (example programs as child processes,
// SQLite): events/s through one saga hop (OrderCreated → ReserveStock → StockReserved) and
// through one projector (inventory events → projector-inventory-stock read model), and the
// latency from CreateOrder being accepted to StockReserved being stored.
//
// Projector catch-up: CATCH_UP StockReceived events are appended straight to the store (no bus
// notice, polling set to a minute, so the projector does not see them), then one InitializeStock
// command on a fresh aggregate wakes it; the figure is events/s from that command until the read
// model shows both the backlog's last event and the command's. Beside it, CPU per event of the
// coordinator (this process) and of the programs over that window.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnyPayload,
  CommandBookSchema,
  CommandPageSchema,
  Covers,
  EventPages,
  Identity,
  SyncMode,
  Uuid,
} from "@angzarr/proto";
import {
  CreateOrderSchema,
  InitializeStockSchema,
  LineItemSchema,
  ReceiveStockSchema,
  StockReceivedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { startStandalone } from "../runtime/app/standalone";
import { loadConfig } from "../runtime/config/load";
import { cpuMsOf, cpuPer, type ProcessGroup, sampleCpu } from "./fixtures/proc-cpu";
import { type BenchReporter, percentile } from "./harness";

const ORDERS = 1_000;
const PRODUCTS = 10;
const RECEIPTS = 2_000;
const LATENCY_SAMPLES = 200;
const CATCH_UP = 20_000;
/** Orders offered per second in the steady-rate hop, for RATE_WARM_UP_SECONDS then RATE_SECONDS. */
const RATE = 1_000;
const RATE_WARM_UP_SECONDS = 0.5;
const RATE_SECONDS = 2;
/** How long after its last offer the steady-rate round waits for the last StockReserved, ms. */
const RATE_DRAIN_MS = 120_000;

export default async function (r: BenchReporter): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-reactive-"));
  const config = loadConfig({ flags: { port: 0, data: dir }, env: {} });
  // The bus wakes consumers; polling is only the safety net (and must not wake the projector
  // while the catch-up backlog is written).
  config.reactive.pollMs = 60_000;
  // Fourteen programs start at once: on a loaded machine they need longer than the default.
  config.handlers.healthTimeoutMs = 60_000;
  const app = await startStandalone(config, { childOutput: "ignore", print: () => {} });
  try {
    const { events } = app.storage;
    const send = async <D extends DescMessage>(
      domain: string,
      root: Uint8Array,
      schema: D,
      msg: MessageShape<D>,
      seq: number,
      corr: string,
    ) =>
      app.execute(
        create(CommandBookSchema, {
          cover: Covers.make({ domain, root, correlationId: corr }),
          pages: [create(CommandPageSchema, { sequence: seq, command: AnyPayload.pack(schema, msg) })],
        }),
        SyncMode.NONE,
      );
    // Stock has no low-stock threshold, so every event after the first is a StockReserved or StockReceived.
    const inventoryEvents = (root: Uint8Array) =>
      events.nextSequence({ domain: "inventory", edition: "", root });
    const waitFor = async (check: () => Promise<boolean>) => {
      while (!(await check())) await Bun.sleep(2);
    };

    // Saga hop: orders spread over PRODUCTS products with plenty of stock.
    const run = Uuid.toText(Uuid.randomBytes()).slice(0, 8);
    const skus = Array.from({ length: PRODUCTS }, (_, i) => `BENCH-${run}-${i}`);
    for (const p of skus) {
      const stock = create(InitializeStockSchema, {
        productId: p,
        quantity: 10_000_000,
        lowStockThreshold: 0,
      });
      await send("inventory", Identity.inventoryRoot(p), InitializeStockSchema, stock, 0, "bench");
    }
    const sku = skus[0] as string;
    const inv = Identity.inventoryRoot(sku);
    const order = (i: number) =>
      create(CreateOrderSchema, {
        customerId: "bench",
        items: [
          create(LineItemSchema, {
            productId: skus[i % PRODUCTS] as string,
            name: "w",
            quantity: 1,
            unitPriceCents: 100,
          }),
        ],
      });
    r.progress(`saga hop: ${ORDERS} orders`);
    const programs = app.supervisor.programs();
    const allPids = programs.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
    const cpuOf = (pid: number | undefined) => (pid === undefined ? 0 : cpuMsOf(pid));
    const programsCpu = () => allPids.reduce((sum, pid) => sum + cpuOf(pid), 0);
    // Each program's share, as a progress line: µs per order of the programs that spent any.
    const groups: ProcessGroup[] = programs.flatMap((p) =>
      p.pid === undefined ? [] : [{ name: p.component.program, pids: [p.pid] }],
    );
    const perProgram = (label: string, before: Map<string, number>, orders: number) => {
      const each = [...cpuPer(before, sampleCpu(groups), orders / 1000)]
        .filter(([, us]) => us >= 1)
        .sort((a, b) => b[1] - a[1])
        .map(([name, us]) => `${name} ${us.toFixed(0)}`);
      r.progress(`${label} CPU µs per order by program: ${each.join(", ")}`);
    };
    const floodEach = sampleCpu(groups);
    const floodProgramsFrom = programsCpu();
    const floodCoordinatorFrom = process.cpuUsage();
    let started = performance.now();
    await Promise.all(
      Array.from({ length: ORDERS }, (_, i) =>
        send("order", Identity.orderRoot(`${sku}-${i}`), CreateOrderSchema, order(i), 0, `c-${i}`),
      ),
    );
    await waitFor(async () => {
      const counts = await Promise.all(skus.map((p) => inventoryEvents(Identity.inventoryRoot(p))));
      return counts.reduce((a, b) => a + b, 0) >= ORDERS + PRODUCTS;
    });
    let seconds = (performance.now() - started) / 1000;
    const floodCoordinator = process.cpuUsage(floodCoordinatorFrom);
    const floodProgramsMs = programsCpu() - floodProgramsFrom;
    perProgram("flood", floodEach, ORDERS);
    r.record({
      name: "saga hop (OrderCreated → StockReserved)",
      value: ORDERS / seconds,
      unit: "events/s",
      budget: 5_000,
      better: "higher",
    });
    // CPU per order over the flood (the order's command, the hop and everything else the example
    // topology does with both events): the coordinator (this process) and every program. When
    // their sum × events/s is well under the 2 cores, the hop waits rather than computes.
    r.record({
      name: "saga hop flood CPU per order: coordinator",
      value: (floodCoordinator.user + floodCoordinator.system) / ORDERS,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "saga hop flood CPU per order: every program",
      value: (floodProgramsMs * 1000) / ORDERS,
      unit: "µs",
      budget: null,
      better: "lower",
    });

    // Projector: receipts on one inventory aggregate, until the read model shows the last one.
    r.progress(`projector: ${RECEIPTS} inventory events`);
    const readModel = new Database(join(dir, "read-models", "projector-inventory-stock.db"), {
      readonly: true,
    });
    const before = await inventoryEvents(inv);
    started = performance.now();
    for (let i = 0; i < RECEIPTS; i++) {
      await send(
        "inventory",
        inv,
        ReceiveStockSchema,
        create(ReceiveStockSchema, { quantity: 1, reference: `r${i}` }),
        before + i,
        "bench",
      );
    }
    const lastSeq = before + RECEIPTS - 1;
    await waitFor(async () => {
      const row = readModel
        .query("SELECT last_sequence FROM inventory_stock WHERE product_root = ?")
        .get(Uuid.toText(inv)) as { last_sequence: number } | null;
      return (row?.last_sequence ?? -1) >= lastSeq;
    });
    seconds = (performance.now() - started) / 1000;
    readModel.close();
    r.record({
      name: "projector (inventory → read model), commands included",
      value: RECEIPTS / seconds,
      unit: "events/s",
      budget: null,
      better: "higher",
    });

    // Projector catch-up: a backlog written behind the bus's back on a fresh aggregate, then a
    // command on another fresh aggregate (empty history: the command itself is cheap) wakes the
    // projector; done when the read model shows both the backlog's last event and the waking
    // aggregate (the log's last event). Consumers run several aggregates side by side, so the
    // waking aggregate alone could show before the backlog's last book.
    r.progress(`projector catch-up: ${CATCH_UP} stored inventory events`);
    const stock = (p: string) =>
      create(InitializeStockSchema, { productId: p, quantity: 1, lowStockThreshold: 0 });
    const backlog = Identity.inventoryRoot(`BENCH-${run}-backlog`);
    const catchUpModel = new Database(join(dir, "read-models", "projector-inventory-stock.db"), {
      readonly: true,
    });
    const projected = (root: Uint8Array): number =>
      (
        catchUpModel
          .query("SELECT last_sequence FROM inventory_stock WHERE product_root = ?")
          .get(Uuid.toText(root)) as { last_sequence: number } | null
      )?.last_sequence ?? -1;
    await send("inventory", backlog, InitializeStockSchema, stock(`BENCH-${run}-backlog`), 0, "bench");
    // The bus wakes the projector for that command, and what the earlier phases caused may still
    // be flowing (outbox deliveries, PM commands): let everything settle before the backlog is
    // written, so that no consumer chases the writer (the catch-up starts at the timer).
    await waitFor(async () => projected(backlog) >= 0);
    await app.reactive.settle();
    await Bun.sleep(100);
    for (let at = 0; at < CATCH_UP; at += 100) {
      const pages = Array.from({ length: 100 }, (_, i) =>
        EventPages.forced(
          AnyPayload.pack(
            StockReceivedSchema,
            create(StockReceivedSchema, { quantity: 1, newOnHand: 2 + at + i, reference: "bulk" }),
          ),
        ),
      );
      await events.append({ domain: "inventory", edition: "", root: backlog }, pages, {
        correlationId: "bulk",
      });
    }
    const wake = Identity.inventoryRoot(`BENCH-${run}-wake`);
    // Backlog events already in the read model when the timer starts (0 when nothing woke the
    // projector meanwhile): not counted.
    const already = projected(backlog);
    const pidOf = (name: string) => programs.find((p) => p.component.program === name)?.pid;
    const projectorPid = pidOf("projector-inventory-stock");
    const upcasterPid = pidOf("agg-inventory");
    const programsFrom = allPids.map(cpuOf);
    const projectorFrom = cpuOf(projectorPid);
    const upcasterFrom = cpuOf(upcasterPid);
    const coordinatorFrom = process.cpuUsage();
    started = performance.now();
    await send("inventory", wake, InitializeStockSchema, stock(`BENCH-${run}-wake`), 0, "bench");
    await waitFor(async () => projected(backlog) >= CATCH_UP && projected(wake) >= 0);
    seconds = (performance.now() - started) / 1000;
    const coordinator = process.cpuUsage(coordinatorFrom);
    const projectorMs = cpuOf(projectorPid) - projectorFrom;
    const upcasterMs = cpuOf(upcasterPid) - upcasterFrom;
    const programsMs = allPids.reduce((sum, pid, i) => sum + cpuOf(pid) - (programsFrom[i] as number), 0);
    catchUpModel.close();
    const caughtUp = CATCH_UP - Math.max(already, 0) + 1;
    r.progress(
      `catch-up: ${caughtUp} events in ${(seconds * 1000).toFixed(0)} ms (${Math.max(already, 0)} projected before the timer)`,
    );
    r.record({
      name: "projector catch-up (inventory → read model)",
      value: caughtUp / seconds,
      unit: "events/s",
      budget: 20_000,
      better: "higher",
    });
    // CPU per event over the catch-up's window: every other consumer of the inventory domain
    // (the order-fulfillment PM) catches up the same backlog meanwhile, in the coordinator and in
    // its program.
    const perEvent = (ms: number) => (ms * 1000) / caughtUp;
    r.record({
      name: "catch-up CPU per event: coordinator",
      value: perEvent((coordinator.user + coordinator.system) / 1000),
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "catch-up CPU per event: projector program",
      value: perEvent(projectorMs),
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "catch-up CPU per event: upcaster (agg-inventory)",
      value: perEvent(upcasterMs),
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "catch-up CPU per event: every program",
      value: perEvent(programsMs),
      unit: "µs",
      budget: null,
      better: "lower",
    });

    // Latency CreateOrder → StockReserved, one order at a time.
    r.progress(`latency: ${LATENCY_SAMPLES} sequential orders`);
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const target = (await inventoryEvents(inv)) + 1;
      const t = performance.now();
      await send("order", Identity.orderRoot(`${sku}-lat-${i}`), CreateOrderSchema, order(0), 0, `l-${i}`);
      await waitFor(async () => (await inventoryEvents(inv)) >= target);
      samples.push(performance.now() - t);
    }
    r.record({
      name: "CreateOrder → StockReserved p50",
      value: percentile(samples, 50),
      unit: "ms",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "CreateOrder → StockReserved p99",
      value: percentile(samples, 99),
      unit: "ms",
      budget: null,
      better: "lower",
    });

    // Saga hop at a steady rate: orders offered at RATE/s in process (a warm-up, then
    // RATE_SECONDS timed), spread over the products. Per order, from CreateOrder accepted
    // (OrderCreated stored) until its StockReserved is stored, seen by reading the log (a read
    // every millisecond while nothing is new). Beside it, the rate achieved (orders offered over
    // the time from the first offer to the last StockReserved) and CPU per order.
    await app.reactive.settle();
    const rateRound = async (label: string, seconds: number) => {
      const count = RATE * seconds;
      const acceptedAt = new Map<string, number>();
      const seenAt = new Map<string, number>();
      let after = await events.headPosition();
      let sending = true;
      let sentAt = 0;
      const roots = Array.from({ length: count }, (_, i) => Identity.orderRoot(`${sku}-rate-${label}-${i}`));
      const ids = roots.map((root) => Uuid.toText(root));
      const wanted = new Set(ids);
      const watcher = (async () => {
        while (seenAt.size < count) {
          const batch = await events.readAll(after, 1_000, { domain: "inventory", edition: "" });
          const now = performance.now();
          for (const e of batch) {
            after = e.position;
            if (!AnyPayload.is(e.page.event, StockReservedSchema)) continue;
            const { orderId } = AnyPayload.unpack(e.page.event, StockReservedSchema);
            if (wanted.has(orderId)) seenAt.set(orderId, now);
          }
          if (!sending && now - sentAt > RATE_DRAIN_MS) break;
          if (batch.length === 0) await Bun.sleep(1);
        }
      })();
      const inflight: Promise<unknown>[] = [];
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        const wait = started + (i * 1000) / RATE - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        const root = roots[i] as Uint8Array;
        const id = ids[i] as string;
        inflight.push(
          send("order", root, CreateOrderSchema, order(i), 0, `${label}-${i}`).then(() => {
            acceptedAt.set(id, performance.now());
          }),
        );
      }
      await Promise.all(inflight);
      sending = false;
      sentAt = performance.now();
      await watcher;
      const hops: number[] = [];
      let last = started;
      for (const id of ids) {
        const seen = seenAt.get(id);
        const accepted = acceptedAt.get(id);
        if (seen === undefined || accepted === undefined) {
          throw new Error(
            `saga hop at ${RATE}/s: order ${id} not reserved within ${RATE_DRAIN_MS / 1000} s of the last offer`,
          );
        }
        hops.push(seen - accepted);
        last = Math.max(last, seen);
      }
      return { hops, achieved: count / ((last - started) / 1000) };
    };
    r.progress(`saga hop at ${RATE} orders/s: ${RATE_WARM_UP_SECONDS} s warm-up, then ${RATE_SECONDS} s`);
    await rateRound("warm", RATE_WARM_UP_SECONDS);
    const rateProgramsFrom = programsCpu();
    const rateEach = sampleCpu(groups);
    const rateCoordinatorFrom = process.cpuUsage();
    const steady = await rateRound("timed", RATE_SECONDS);
    const rateCoordinator = process.cpuUsage(rateCoordinatorFrom);
    const rateOrders = RATE * RATE_SECONDS;
    const rateProgramsMs = programsCpu() - rateProgramsFrom;
    perProgram(`${RATE}/s round`, rateEach, rateOrders);
    r.record({
      name: `saga hop p50 at ${RATE} orders/s offered`,
      value: percentile(steady.hops, 50),
      unit: "ms",
      budget: null,
      better: "lower",
    });
    r.record({
      name: `saga hop p99 at ${RATE} orders/s offered`,
      value: percentile(steady.hops, 99),
      unit: "ms",
      budget: 20,
      better: "lower",
    });
    r.record({
      name: `saga hop at ${RATE} orders/s offered: achieved`,
      value: steady.achieved,
      unit: "orders/s",
      budget: RATE,
      better: "higher",
    });
    r.record({
      name: `saga hop at ${RATE} orders/s CPU per order: coordinator`,
      value: (rateCoordinator.user + rateCoordinator.system) / rateOrders,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: `saga hop at ${RATE} orders/s CPU per order: every program`,
      value: (rateProgramsMs * 1000) / rateOrders,
      unit: "µs",
      budget: null,
      better: "lower",
    });
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
