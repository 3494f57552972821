// `bun run bench -- --breakdown`: where the time of one command and of one saga hop goes, stage
// by stage, measured on real runs (one client, commands one after another, so a stage's time is
// its own and not a queue behind other clients).
//
// One command, in process: AggregatePipeline over the SQLite store and the compiled counter
// program, every port wrapped in a timer: aggregate load (snapshot read + encoded page read),
// handler round trip, append (with its group-commit turn), publish; the pipeline's own work
// (routing: cover checks, correlation id, timeline, request splice, validation, lock, tracing)
// is the rest of `execute`.
// One command through the gateway: the standalone composition with the same program; the
// gateway's share is the client's round trip minus `execute` on the same runtime, and of it the
// protobuf decode of the request and encode of the response are timed apart (same messages).
// One saga hop: the standalone runtime with the example programs; CreateOrder through `execute`,
// then until StockReserved is stored, with the store timed per domain and operation.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnyPayload,
  CommandBookSchema,
  CommandPageSchema,
  CommandResponseSchema,
  Covers,
  Identity,
  SyncMode,
  Uuid,
} from "@angzarr/proto";
import { CreateOrderSchema, InitializeStockSchema, LineItemSchema } from "@angzarr/proto/examples.ts";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { startStandalone } from "../runtime/app/standalone";
import { MemoryBus } from "../runtime/bus/memory/memory-bus";
import type { EventBus } from "../runtime/bus/types";
import { loadConfig } from "../runtime/config/load";
import { AggregatePipeline } from "../runtime/coordinator/aggregate-pipeline";
import type { AggregateHandler } from "../runtime/coordinator/ports";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import type { Storage } from "../runtime/storage/types";
import { counterConfig } from "./commands-gateway.bench";
import { benchDir, compiledCounter, counterCommand, rootOf, startCounterProgram } from "./fixtures/counter";
import { machineLine } from "./harness";

const COMMANDS = 1_000;
const WARM_UP = 100;
const HOPS = 200;

/** Accumulated milliseconds per stage name. */
export class Stages {
  readonly ms = new Map<string, number>();
  add(stage: string, ms: number): void {
    this.ms.set(stage, (this.ms.get(stage) ?? 0) + ms);
  }
  take(stage: string): number {
    return this.ms.get(stage) ?? 0;
  }
  reset(): void {
    this.ms.clear();
  }
}

/**
 * `target` with every method timed into `stages` under `stageOf(method, args)` (undefined: not
 * timed). Promise-returning methods are timed until they settle.
 */
export function timedPort<T extends object>(
  target: T,
  stages: Stages,
  stageOf: (method: string, args: unknown[]) => string | undefined,
): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const stage = stageOf(String(property), args);
        if (stage === undefined) return value.apply(object, args);
        const started = performance.now();
        const out = value.apply(object, args);
        if (out instanceof Promise) {
          return out.finally(() => stages.add(stage, performance.now() - started));
        }
        stages.add(stage, performance.now() - started);
        return out;
      };
    },
  });
}

const us = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(0).padStart(6)} µs`;

function table(title: string, total: number, n: number, rows: [string, number][]): void {
  console.log(`\n${title} (mean of ${n}, µs per ${title.includes("hop") ? "hop" : "command"})`);
  for (const [name, ms] of rows) {
    console.log(`  ${name.padEnd(58)} ${us(ms, n)}  ${((100 * ms) / total).toFixed(0).padStart(3)}%`);
  }
  console.log(`  ${"total".padEnd(58)} ${us(total, n)}`);
}

/** Stage names of the timed pipeline's ports. */
export interface PortStages {
  pages: string;
  snapshot: string;
  handler: string;
  /** The windows of a split history (read while the handler call sends them); default `pages`. */
  windows?: string;
}

/**
 * The counter's AggregatePipeline over `storage`, `handler` and `bus` with every port timed into
 * `stages` (append, publish and the names given for loads and the handler round trip).
 */
export function timedPipeline(
  storage: Storage,
  handler: AggregateHandler,
  bus: EventBus,
  stages: Stages,
  names: PortStages,
): AggregatePipeline {
  const timedHandler = timedPort(handler, stages, (m) =>
    m === "handle" || m === "handleEncoded" ? names.handler : undefined,
  );
  return new AggregatePipeline({
    events: timedPort(storage.events, stages, (m) =>
      m === "append"
        ? "append"
        : m === "getEncodedRange"
          ? (names.windows ?? names.pages)
          : m.startsWith("get")
            ? names.pages
            : undefined,
    ),
    snapshots: timedPort(storage.snapshots, stages, (m) => (m === "get" ? names.snapshot : undefined)),
    editions: storage.editions,
    handlers: { aggregate: () => timedHandler, aggregateDomains: () => ["counter"] },
    bus: timedPort<EventBus>(bus, stages, (m) => (m === "publish" ? "publish" : undefined)),
  });
}

async function commandInProcess(): Promise<number> {
  const storage = await openSqliteStorage(join(benchDir(), "events.db"));
  const program = await startCounterProgram("counter");
  const stages = new Stages();
  const bus = new MemoryBus();
  try {
    const pipeline = timedPipeline(storage, program.handler, bus, stages, {
      pages: "load: pages",
      snapshot: "load: snapshot",
      handler: "handler round trip",
    });
    const root = rootOf(1);
    for (let i = 0; i < WARM_UP; i++) await pipeline.execute(counterCommand("counter", root, 1, i));
    stages.reset();
    const started = performance.now();
    for (let i = 0; i < COMMANDS; i++) {
      await pipeline.execute(counterCommand("counter", root, 1, WARM_UP + i));
    }
    const total = performance.now() - started;
    const named = ["load: snapshot", "load: pages", "handler round trip", "append", "publish"];
    const own = total - named.reduce((sum, s) => sum + stages.take(s), 0);
    table("one command in process, aggregate of 100–1,100 events", total, COMMANDS, [
      ["routing and the pipeline's own work (checks, splice, lock)", own],
      ["aggregate load: snapshot read", stages.take("load: snapshot")],
      ["aggregate load: encoded pages", stages.take("load: pages")],
      ["handler round trip (socket, program decode + fold + decide)", stages.take("handler round trip")],
      ["append (group-commit turn + transaction)", stages.take("append")],
      ["publish (in-process bus)", stages.take("publish")],
    ]);
    return total / COMMANDS;
  } finally {
    await program.stop();
    await bus.close();
    await storage.close();
  }
}

async function commandThroughGateway(): Promise<void> {
  const dir = benchDir();
  const app = await startStandalone(counterConfig(dir, await compiledCounter()), {
    childOutput: "ignore",
    print: () => {},
    measure: false,
  });
  try {
    const url = `http://127.0.0.1:${app.gatewayPort}/angzarr.CommandGateway/Execute`;
    const call = async (book: ReturnType<typeof counterCommand>) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
        body: toBinary(CommandBookSchema, book),
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    const viaGateway = rootOf(2);
    const inProcess = rootOf(3);
    for (let i = 0; i < WARM_UP; i++) {
      await call(counterCommand("counter", viaGateway, 1, i));
      await app.execute(counterCommand("counter", inProcess, 1, i));
    }
    // Interleaved, so both see the same machine.
    let gatewayMs = 0;
    let executeMs = 0;
    let last = new Uint8Array(0);
    for (let i = WARM_UP; i < WARM_UP + COMMANDS; i++) {
      let t = performance.now();
      last = await call(counterCommand("counter", viaGateway, 1, i));
      gatewayMs += performance.now() - t;
      t = performance.now();
      await app.execute(counterCommand("counter", inProcess, 1, i));
      executeMs += performance.now() - t;
    }
    const request = toBinary(CommandBookSchema, counterCommand("counter", viaGateway, 1, 7));
    const response = fromBinary(CommandResponseSchema, last);
    const reps = 20_000;
    let t = performance.now();
    for (let i = 0; i < reps; i++) fromBinary(CommandBookSchema, request);
    const decodeMs = ((performance.now() - t) / reps) * COMMANDS;
    t = performance.now();
    for (let i = 0; i < reps; i++) toBinary(CommandResponseSchema, response);
    const encodeMs = ((performance.now() - t) / reps) * COMMANDS;
    const gatewayShare = gatewayMs - executeMs;
    table("one command through the gateway (standalone, one client)", gatewayMs, COMMANDS, [
      ["gateway: request decode (protobuf-es, same bytes)", decodeMs],
      ["gateway: response encode (protobuf-es, same message)", encodeMs],
      [
        "gateway: HTTP/1.1 + Connect + loopback TCP + client (rest of its share)",
        gatewayShare - decodeMs - encodeMs,
      ],
      ["pipeline `execute` (the in-process command above)", executeMs],
    ]);
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sagaHop(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-breakdown-"));
  const config = loadConfig({ flags: { port: 0, data: dir }, env: {} });
  config.reactive.pollMs = 60_000; // the bus wakes the saga; polling would only add noise
  const stages = new Stages();
  const domainOf = (args: unknown[]) => (args[0] as { domain?: string } | undefined)?.domain ?? "?";
  const wrap = (storage: Storage): Storage => ({
    ...storage,
    close: () => storage.close(),
    events: timedPort(storage.events, stages, (m, args) => {
      if (m === "append") return `append ${domainOf(args)}`;
      if (m === "readAll") return "consumers: read the global log";
      if (m === "headPosition") return "consumers: head position";
      if (m.startsWith("get")) return `load ${domainOf(args)}`;
      return undefined;
    }),
    snapshots: timedPort(storage.snapshots, stages, (m, args) =>
      m === "get" ? `load ${domainOf(args)}` : undefined,
    ),
    positions: timedPort(storage.positions, stages, (m) => `consumers: checkpoint ${m}`),
    causations: timedPort(storage.causations, stages, (m) => `consumers: causation ${m}`),
  });
  const app = await startStandalone(config, {
    childOutput: "ignore",
    print: () => {},
    measure: false,
    wrapStorage: wrap,
  });
  try {
    const run = Uuid.toText(Uuid.randomBytes()).slice(0, 8);
    const sku = `BD-${run}`;
    const inv = Identity.inventoryRoot(sku);
    const send = (
      domain: string,
      root: Uint8Array,
      command: ReturnType<typeof AnyPayload.pack>,
      seq: number,
    ) =>
      app.execute(
        create(CommandBookSchema, {
          cover: Covers.make({ domain, root, correlationId: `bd-${domain}-${seq}-${Math.random()}` }),
          pages: [create(CommandPageSchema, { sequence: seq, command })],
        }),
        SyncMode.NONE,
      );
    await send(
      "inventory",
      inv,
      AnyPayload.pack(
        InitializeStockSchema,
        create(InitializeStockSchema, { productId: sku, quantity: 10_000_000, lowStockThreshold: 0 }),
      ),
      0,
    );
    const order = AnyPayload.pack(
      CreateOrderSchema,
      create(CreateOrderSchema, {
        customerId: "bench",
        items: [create(LineItemSchema, { productId: sku, name: "w", quantity: 1, unitPriceCents: 100 })],
      }),
    );
    const ref = { domain: "inventory", edition: "", root: inv };
    const hop = async (i: number) => {
      const target = (await app.storage.events.nextSequence(ref)) + 1;
      const started = performance.now();
      await send("order", Identity.orderRoot(`${sku}-${i}`), order, 0);
      const accepted = performance.now();
      // Checked on every turn of the event loop: the wait adds no sleep of its own.
      while ((await app.storage.events.nextSequence(ref)) < target) await new Promise(setImmediate);
      return { command: accepted - started, total: performance.now() - started };
    };
    for (let i = 0; i < 20; i++) await hop(i);
    stages.reset();
    let total = 0;
    let command = 0;
    for (let i = 0; i < HOPS; i++) {
      const t = await hop(1_000 + i);
      total += t.total;
      command += t.command;
    }
    const rows: [string, number][] = [
      ["CreateOrder through `execute` (its own load, handler, append)", command],
    ];
    let storeInHop = 0;
    for (const [name, ms] of [...stages.ms].sort((a, b) => b[1] - a[1])) {
      if (name === "load order" || name === "append order") {
        // Mostly inside CreateOrder's own time: shown, not subtracted again.
        rows.push([`(store: ${name}, mostly inside CreateOrder)`, ms]);
        continue;
      }
      rows.push([`store: ${name}`, ms]);
      storeInHop += ms;
    }
    rows.push([
      "the rest: bus wake-up, saga round trip, inventory upcaster + handler round trips, scheduling",
      total - command - storeInHop,
    ]);
    table(
      "one saga hop OrderCreated → StockReserved (standalone, examples, one at a time)",
      total,
      HOPS,
      rows,
    );
    console.log(
      "  (store rows are summed over every caller in the runtime during the hops; overlapping calls can make the rest small)",
    );
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function breakdown(): Promise<void> {
  console.log(`machine: ${machineLine()}`);
  await commandInProcess();
  await commandThroughGateway();
  await sagaHop();
}
