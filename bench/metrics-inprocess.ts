// What the measuring adapters cost a command in the coordinator's process: two AggregatePipelines
// on one SQLite store and one compiled counter program (commands-inprocess.bench.ts's setting,
// 64 clients on distinct aggregates), one with the ports bare, one through
// runtime/observability/instrument.ts's adapters (store, bus, handler round trip) as
// `angzarr standalone` composes them. Both keep the pipeline's own command counter and duration.
// Turns alternate, each after the same warm-up; the figure is this process's CPU per command.
// `bun bench/metrics-inprocess.ts [commands per turn] [turns]`
import { join } from "node:path";
import { MemoryBus } from "../runtime/bus/memory/memory-bus";
import { AggregatePipeline } from "../runtime/coordinator/aggregate-pipeline";
import { measuredBus, measuredHandlers, measuredStorage } from "../runtime/observability/instrument";
import { renderPrometheus } from "../runtime/observability/metrics";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import { benchDir, counterCommand, rootOf, startCounterProgram } from "./fixtures/counter";

const perTurn = Number(process.argv[2] ?? 12_800);
const turns = Number(process.argv[3] ?? 4);
const CLIENTS = 64;
const WARM_UP = 19_200;

const storage = await openSqliteStorage(join(benchDir(), "events.db"));
const program = await startCounterProgram("counter");
const bareBus = new MemoryBus();
const handlers = { aggregate: () => program.handler, aggregateDomains: () => ["counter"] };
const measured = measuredStorage(storage);
const pipelines = {
  bare: new AggregatePipeline({
    events: storage.events,
    snapshots: storage.snapshots,
    editions: storage.editions,
    handlers,
    bus: bareBus,
  }),
  measured: new AggregatePipeline({
    events: measured.events,
    snapshots: measured.snapshots,
    editions: measured.editions,
    handlers: measuredHandlers(handlers),
    bus: measuredBus(new MemoryBus()),
  }),
};

let aggregate = 0;
/** Runs `count` commands over 64 new aggregates; returns CPU µs per command of this process. */
async function turn(pipeline: AggregatePipeline, count: number): Promise<number> {
  const roots = Array.from({ length: CLIENTS }, () => rootOf(aggregate++));
  const from = process.cpuUsage();
  await Promise.all(
    roots.map(async (root) => {
      for (let i = 0; i < count / CLIENTS; i++) await pipeline.execute(counterCommand("counter", root, 1, i));
    }),
  );
  const used = process.cpuUsage(from);
  return (used.user + used.system) / count;
}

try {
  for (const pipeline of Object.values(pipelines)) await turn(pipeline, WARM_UP);
  const results = new Map<string, number[]>(Object.keys(pipelines).map((m) => [m, []]));
  for (let t = 0; t < turns; t++) {
    for (const [name, pipeline] of Object.entries(pipelines)) {
      results.get(name)?.push(await turn(pipeline, perTurn));
      // A scrape between turns, as GET /metrics every second would (outside the timed turns).
      await renderPrometheus();
    }
  }
  const bare = results.get("bare") ?? [];
  for (const [name, values] of results) {
    const pct = values.map((v, i) => `${Math.round((v / (bare[i] ?? v) - 1) * 100)} %`);
    console.log(
      `${name}: ${values.map((v) => v.toFixed(0)).join(", ")} µs CPU per command (vs bare: ${pct.join(", ")})`,
    );
  }
} finally {
  await program.stop();
  await storage.close();
}
