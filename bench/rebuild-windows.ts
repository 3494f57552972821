// `bun bench/rebuild-windows.ts [rounds] [windows...]`: the end-to-end rebuild of a 100k-event
// aggregate (no snapshot; the rebuild.bench.ts case) with the history sent whole and sent in
// windows (AggregatePipeline `historyWindows`), in one process against the same compiled counter
// program, the variants taking turns in every round (their order rotating), so the machine's
// load swings hit them alike. Per variant: median wall clock, and CPU per rebuild of this process
// and of the program (/proc, summed over the rounds: its ticks are 10 ms). Default windows:
// 4096 8192 16384 (each with the default threshold, or the window when larger).
import { MemoryBus } from "../runtime/bus/memory/memory-bus";
import { AggregatePipeline, DEFAULT_HISTORY_WINDOWS } from "../runtime/coordinator/aggregate-pipeline";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import type { AggregateRef, HistoryWindows } from "../runtime/storage/types";
import { benchDir, counterCommand, rootOf, seedCounter, startCounterProgram } from "./fixtures/counter";
import { cpuMsOf, descendants } from "./fixtures/proc-cpu";
import { machineLine } from "./harness";

const EVENTS = 100_000;
const ROUNDS = Number(process.argv[2] ?? 15);
const sizes = process.argv.slice(3).map(Number);
const windows = sizes.length > 0 ? sizes : [4096, 8192, 16384];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const storage = await openSqliteStorage(`${benchDir()}/events.db`);
const program = await startCounterProgram("counter");
const bus = new MemoryBus();
try {
  console.log(`machine: ${machineLine()}`);
  const ref: AggregateRef = { domain: "counter", edition: "", root: rootOf(1) };
  await seedCounter(storage, ref, EVENTS);
  const programPid = descendants(process.pid)[0];
  const pipeline = (historyWindows: HistoryWindows) =>
    new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      handlers: { aggregate: () => program.handler, aggregateDomains: () => ["counter"] },
      bus,
      historyWindows,
    });
  const variants = [
    { name: "whole (one request body)", pipeline: pipeline({ above: Number.POSITIVE_INFINITY, window: 1 }) },
    ...windows.map((window) => ({
      name: `windows of ${window}`,
      pipeline: pipeline({ above: Math.max(DEFAULT_HISTORY_WINDOWS.above, window), window }),
    })),
  ].map((v) => ({ ...v, wall: [] as number[], cpu: 0, programCpu: 0 }));
  let next = EVENTS;
  for (let round = 0; round <= ROUNDS; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length] as (typeof variants)[number];
      await storage.snapshots.delete(ref);
      const p0 = programPid === undefined ? 0 : cpuMsOf(programPid);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await v.pipeline.execute(counterCommand("counter", ref.root, 1, next++));
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (round === 0) continue; // warm-up
      v.wall.push(wall);
      v.cpu += (c.user + c.system) / 1000;
      v.programCpu += programPid === undefined ? 0 : cpuMsOf(programPid) - p0;
    }
  }
  console.log(`\n${EVENTS.toLocaleString("en-US")} events, no snapshot, ${ROUNDS} rounds`);
  for (const v of variants) {
    console.log(
      `  ${v.name.padEnd(26)} median ${median(v.wall).toFixed(1).padStart(6)} ms   cpu/rebuild: here ${(
        v.cpu / ROUNDS
      )
        .toFixed(1)
        .padStart(5)} ms, program ${(v.programCpu / ROUNDS).toFixed(1).padStart(5)} ms`,
    );
  }
} finally {
  await program.stop();
  await bus.close();
  await storage.close();
}
