// `bun bench/rebuild-stages.ts [runs]`: where one end-to-end rebuild of a 100k-event aggregate
// (no snapshot; the rebuild.bench.ts case) spends its time, stage by stage, on real runs.
//
// In place: AggregatePipeline over SQLite and the compiled counter program, ports wrapped in
// timers: the encoded history load, the handler round trip, the append, the publish; the rest of
// `execute` is the pipeline's own work (the request splice among it). Each figure is the median
// over the runs (the snapshot the previous command stored is deleted before each, outside).
// Apart, on the same aggregate and the same request bytes (medians): the bare read (the floor of
// rebuild.bench.ts, its own connection), the store's encoded read, the request's parts, the
// same request sent to a program that answers without reading it (the transport alone), the
// program's fast path in process (decode + fold + decide), the counter program's round trip, and
// the read + round trip with the history split in windows (read while sent, folded as they come).
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { Aggregate, Covers } from "@angzarr/proto";
import { pathOf, UnixSocketClient } from "@angzarr/sdk";
import { MemoryBus } from "../runtime/bus/memory/memory-bus";
import { DEFAULT_HISTORY_WINDOWS } from "../runtime/coordinator/aggregate-pipeline";
import {
  encodeHandlerRequest,
  handlerRequestParts,
  streamedHandlerRequest,
} from "../runtime/coordinator/handler-request";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import type { AggregateRef } from "../runtime/storage/types";
import { Stages, timedPipeline } from "./breakdown";
import { benchDir, counterCommand, rootOf, seedCounter, startCounterProgram } from "./fixtures/counter";
import { counterAggregate } from "./fixtures/counter-agg";
import { machineLine } from "./harness";

const EVENTS = 100_000;
const RUNS = Number(process.argv[2] ?? 9);
const BARE_READ = `SELECT sequence, created_s, created_n, CAST(type_url AS BLOB), payload FROM events
  WHERE domain = ?1 AND edition = '' AND root = ?2 ORDER BY sequence`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Median wall-clock and CPU (this process) per call of `fn`, ms, after one warm-up call. */
async function timed(fn: () => unknown): Promise<[number, number]> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return [median(wall), median(cpu)];
}

const line = (name: string, [wall, cpu]: [number, number]) =>
  console.log(`  ${name.padEnd(64)} ${wall.toFixed(1).padStart(6)} ms  (cpu here ${cpu.toFixed(1)} ms)`);

const file = join(benchDir(), "events.db");
const storage = await openSqliteStorage(file);
const program = await startCounterProgram("counter");
const sinkSocket = join(benchDir("az-b-"), "sink.sock");
const sinkChild = Bun.spawn(
  [process.execPath, join(import.meta.dir, "fixtures/sink-program.ts"), "--socket", sinkSocket],
  { stdout: "ignore", stderr: "inherit" },
);
const bus = new MemoryBus();
try {
  console.log(`machine: ${machineLine()}`);
  const ref: AggregateRef = { domain: "counter", edition: "", root: rootOf(1) };
  await seedCounter(storage, ref, EVENTS);
  const stages = new Stages();
  const pipeline = timedPipeline(storage, program.handler, bus, stages, {
    pages: "load",
    snapshot: "load",
    handler: "handler",
    windows: "windows",
  });
  const names = ["load", "handler", "append", "publish"] as const;
  const per: Record<string, number[]> = { total: [], own: [], cpu: [], windows: [] };
  for (const n of names) per[n] = [];
  let next = EVENTS;
  for (let run = 0; run <= RUNS; run++) {
    await storage.snapshots.delete(ref);
    stages.reset();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await pipeline.execute(counterCommand("counter", ref.root, 1, next++));
    const total = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (run === 0) continue;
    per.total?.push(total);
    per.cpu?.push((c.user + c.system) / 1000);
    let own = total;
    for (const n of names) {
      per[n]?.push(stages.take(n));
      own -= stages.take(n);
    }
    per.own?.push(own);
    per.windows?.push(stages.take("windows"));
  }
  console.log(
    `\none rebuild in place, ${EVENTS.toLocaleString("en-US")} events, no snapshot (median of ${RUNS})`,
  );
  const rows: [string, string][] = [
    ["total", "execute, end to end"],
    ["load", "load: encoded history (SQL read + page encoding; split: 1st window)"],
    ["own", "pipeline's own work (request splice, checks, lock)"],
    ["handler", "handler round trip (send, program decode + fold + decide, answer)"],
    ["windows", "  of which: later windows read while sending (split history)"],
    ["append", "append (one page + snapshot, group-commit turn)"],
    ["publish", "publish (in-process bus)"],
  ];
  for (const [key, label] of rows)
    console.log(
      `  ${label.padEnd(64)} ${median(per[key] ?? [])
        .toFixed(1)
        .padStart(6)} ms`,
    );
  console.log(
    `  ${"coordinator CPU per rebuild".padEnd(64)} ${median(per.cpu ?? [])
      .toFixed(1)
      .padStart(6)} ms`,
  );

  console.log("\napart, same aggregate and request (medians)");
  const bare = new Database(file, { readonly: true });
  const select = bare.prepare(BARE_READ);
  line(
    "bare bun:sqlite read (own connection: the rebuild floor)",
    await timed(() => select.values(ref.domain, ref.root)),
  );
  const read = storage.events.getEncodedFrom?.bind(storage.events);
  if (!read) throw new Error("no encoded read");
  line("store: getEncodedFrom(0) (read + encode)", await timed(() => read(ref, 0)));
  const pages = await read(ref, 0);
  const cover = Covers.make({ domain: "counter", root: ref.root });
  const command = counterCommand("counter", ref.root, 1, next);
  line(
    "request parts around the pages (handlerRequestParts)",
    await timed(() => handlerRequestParts({ cover, snapshot: undefined, pages }, command)),
  );
  const parts = handlerRequestParts({ cover, snapshot: undefined, pages }, command);
  const request = encodeHandlerRequest({ cover, snapshot: undefined, pages }, command);
  console.log(`  (request: ${(request.length / 1e6).toFixed(2)} MB)`);
  const sink = new UnixSocketClient(sinkSocket, "sink");
  const path = pathOf(Aggregate.method.handle);
  for (let i = 0; ; i++) {
    try {
      await sink.raw(path, new Uint8Array(0));
      break;
    } catch (err) {
      if (i > 400) throw err;
      await Bun.sleep(10);
    }
  }
  line(
    "transport: same request to a program that does not read it",
    await timed(() => sink.raw(path, parts)),
  );
  const aggregate = counterAggregate("counter");
  line(
    "program fast path in process (handleBinary: decode + fold + decide)",
    await timed(() => aggregate.handleBinary(request)),
  );
  line(
    "counter program round trip (handleEncoded)",
    await timed(() => program.handler.handleEncoded?.(parts)),
  );
  const readRange = storage.events.getEncodedRange?.bind(storage.events);
  if (!readRange) throw new Error("no windowed read");
  const { window } = DEFAULT_HISTORY_WINDOWS;
  line(
    `same, streamed: windows of ${window} read while sent, folded as they arrive`,
    await timed(async () => {
      const first = await readRange(ref, 0, window - 1);
      const split = { cover, snapshot: undefined, pages: first, rest: { from: window, to: EVENTS - 1 } };
      const read = (from: number, to: number) => readRange(ref, from, to);
      return program.handler.handleEncoded?.(streamedHandlerRequest({ ...split, window, read }, command));
    }),
  );
  bare.close();
  sink.close();
} finally {
  sinkChild.kill();
  await sinkChild.exited;
  await program.stop();
  await bus.close();
  await storage.close();
}
