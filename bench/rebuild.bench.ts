// End-to-end rebuild of a 100k-event aggregate: one command through the coordinator's pipeline
// (SQLite store read → book to the handler → decode + fold in the compiled counter program over
// its Unix socket → decide → persist one event + snapshot → publish). Without a snapshot, and
// with a snapshot every 1,000 events (worst case of that cadence: 1,000 pages after the snapshot).
// The snapshot the previous command stored is removed (or put back) outside the timing, so every
// run reads the same history. Median of 7 after a warm-up.
//
// The floor, in the same run: a bare bun:sqlite read of the same 100k rows (the columns the
// store reads, on its own connection to the same file). The ratio: the end-to-end rebuild
// without a snapshot ≤ 1.3× that read.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { MemoryBus } from "../runtime/bus/memory/memory-bus";
import { AggregatePipeline } from "../runtime/coordinator/aggregate-pipeline";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import type { AggregateRef } from "../runtime/storage/types";
import { benchDir, counterCommand, rootOf, seedCounter, startCounterProgram } from "./fixtures/counter";
import { type BenchReporter, medianMs } from "./harness";

const EVENTS = 100_000;
const BARE_READ = `SELECT sequence, created_s, created_n, CAST(type_url AS BLOB), payload FROM events
  WHERE domain = ?1 AND edition = '' AND root = ?2 ORDER BY sequence`;
const RUNS = 7;

export default async function (r: BenchReporter): Promise<void> {
  const file = join(benchDir(), "events.db");
  const storage = await openSqliteStorage(file);
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
    const plain: AggregateRef = { domain: "counter", edition: "", root: rootOf(1) };
    const snapped: AggregateRef = { domain: "counter", edition: "", root: rootOf(2) };
    r.progress(`seeding two aggregates of ${EVENTS.toLocaleString("en-US")} events`);
    await seedCounter(storage, plain, EVENTS);
    const { snapshot } = await seedCounter(storage, snapped, EVENTS, { snapshotEvery: 1_000 });
    if (!snapshot) throw new Error("seeding stored no snapshot");

    r.progress("floor: bare bun:sqlite read of the same 100k rows (median of 7)");
    const bare = new Database(file, { readonly: true });
    try {
      const select = bare.prepare(BARE_READ);
      const read = () => select.values(plain.domain, plain.root).length;
      if (read() !== EVENTS) throw new Error("the bare read did not see every event");
      r.record({
        name: "bare sqlite read of the same 100k events",
        value: await medianMs(7, () => {
          read();
        }),
        unit: "ms",
        budget: null,
        better: "lower",
      });
    } finally {
      bare.close();
    }

    const cases = [
      { ref: plain, name: "end-to-end rebuild 100k events (no snapshot)", budget: 50 },
      { ref: snapped, name: "end-to-end rebuild 100k events (snapshot every 1,000)", budget: 10 },
    ];
    for (const { ref, name, budget } of cases) {
      let next = EVENTS;
      const times: number[] = [];
      for (let run = 0; run <= RUNS; run++) {
        r.progress(`${name}: run ${run}/${RUNS}${run === 0 ? " (warm-up)" : ""}`);
        if (ref === plain) await storage.snapshots.delete(ref);
        else await storage.snapshots.put(ref, snapshot);
        const started = performance.now();
        const response = await pipeline.execute(counterCommand("counter", ref.root, 1, next));
        const ms = performance.now() - started;
        if (response.events?.pages.length !== 1) throw new Error("the command stored no event");
        next++;
        if (run > 0) times.push(ms);
      }
      times.sort((a, b) => a - b);
      r.record({
        name,
        value: times[Math.floor(times.length / 2)] as number,
        unit: "ms",
        budget,
        better: "lower",
      });
    }
  } finally {
    await program.stop();
    await bus.close();
    await storage.close();
  }
}
