// Commands through the in-process client: AggregatePipeline.execute called in the coordinator's
// own process (SQLite store, in-process bus) with the compiled counter program on its socket.
// 64 concurrent clients on distinct aggregates, and one client alone (the shape the Emmett peer
// can run: its SQLite store takes one writer at a time).
import { join } from "node:path";
import { MemoryBus } from "../runtime/bus/memory/memory-bus";
import { AggregatePipeline } from "../runtime/coordinator/aggregate-pipeline";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import { benchDir, counterCommand, rootOf, startCounterProgram } from "./fixtures/counter";
import type { BenchReporter } from "./harness";

export const SEQUENTIAL_COMMANDS = 2_000;
/**
 * Commands before the timed run, spread over the clients (JIT warm-up: the figure is the steady
 * state). 19,200 as in commands-gateway.bench.ts: after 2,560 the CPU per command was still
 * 30–80 % above its steady state (2026-12-07: 177–220 µs against 96–140 µs).
 */
const WARM_UP = 19_200;

export default async function (r: BenchReporter): Promise<void> {
  const storage = await openSqliteStorage(join(benchDir(), "events.db"));
  const program = await startCounterProgram("counter");
  const bus = new MemoryBus();
  try {
    const pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      handlers: { aggregate: () => program.handler, aggregateDomains: () => ["counter"] },
      bus,
    });
    let aggregate = 0;
    let cpuPerCommand = 0;
    const run = async (clients: number, perClient: number): Promise<number> => {
      const roots = Array.from({ length: clients }, () => rootOf(aggregate++));
      const client = async (root: Uint8Array, from: number, count: number) => {
        for (let i = 0; i < count; i++) await pipeline.execute(counterCommand("counter", root, 1, from + i));
      };
      const warm = Math.ceil(WARM_UP / clients);
      await Promise.all(roots.map((root) => client(root, 0, warm)));
      const started = performance.now();
      const cpu = process.cpuUsage();
      await Promise.all(roots.map((root) => client(root, warm, perClient)));
      const used = process.cpuUsage(cpu);
      cpuPerCommand = (used.user + used.system) / (clients * perClient);
      return (clients * perClient) / ((performance.now() - started) / 1000);
    };
    r.progress("64 clients × 100 commands, in process");
    r.record({
      name: "commands through the in-process client (64 clients)",
      value: await run(64, 100),
      unit: "commands/s",
      budget: 20_000,
      better: "higher",
    });
    r.record({
      name: "coordinator CPU per command in process (64 clients)",
      value: cpuPerCommand,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.progress(`1 client × ${SEQUENTIAL_COMMANDS} commands, in process`);
    r.record({
      name: "commands through the in-process client (1 client)",
      value: await run(1, SEQUENTIAL_COMMANDS),
      unit: "commands/s",
      budget: null,
      better: "higher",
    });
  } finally {
    await program.stop();
    await bus.close();
    await storage.close();
  }
}
