// The peer side of `bun run bench`: Emmett with its SQLite event store (sqlite3 driver) under
// Node, doing the workloads angzarr measures in the same run. Prints one JSON object on stdout:
//   { emmett, node, append: {events, ms, eventsPerSecond}, rehydrate: {events, medianMs, runs},
//     commands: {commands, clients, ms, commandsPerSecond} }
// Progress goes to stderr. Sizes come from the command line (defaults in brackets):
//   node emmett-bench.mjs [--append 100000] [--batch 100] [--rehydrate 100000] [--runs 3]
//                         [--commands 5000] [--clients 64]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeciderCommandHandler } from "@event-driven-io/emmett";
import { arg } from "./args.mjs";
import { openConnection, storeOn } from "./store.mjs";

const APPEND = arg("append", 100_000);
const BATCH = arg("batch", 100);
const REHYDRATE = arg("rehydrate", 100_000);
const RUNS = arg("runs", 3);
const COMMANDS = arg("commands", 5_000);
const CLIENTS = arg("clients", 1);
const AGGREGATES = 1_000;

const progress = (message) => process.stderr.write(`  … emmett: ${message}\n`);

// The same synthetic aggregate as bench/fixtures/counter-agg.ts: a counter folding "Ticked"
// events that carry an int; the command "Tick" yields one event.
const initialState = () => ({ count: 0, total: 0 });
const evolve = (state, event) => {
  if (event.type === "Ticked") {
    state.count += 1;
    state.total += event.data.amount;
  }
  return state;
};
const decide = (command, state) => ({
  type: "Ticked",
  data: { amount: command.data.amount, after: state.count },
});
const handle = DeciderCommandHandler({ decide, evolve, initialState });

// Deterministic amounts (mulberry32, seed 42), as the angzarr fixtures.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function events(count, random) {
  return Array.from({ length: count }, () => ({
    type: "Ticked",
    data: { amount: Math.floor(random() * 1000) },
  }));
}

async function withStore(fn) {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-emmett-"));
  const fileName = join(dir, "events.db");
  const connection = await openConnection(fileName);
  try {
    return await fn(storeOn(fileName, connection));
  } finally {
    connection.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function appendWorkload() {
  progress(`appending ${APPEND} events in batches of ${BATCH} over ${AGGREGATES} streams`);
  const random = seeded(42);
  return withStore(async (store) => {
    // First append creates the schema: keep it out of the timing.
    await store.appendToStream("warmup-0", events(1, random));
    const batches = Array.from({ length: APPEND / BATCH }, () => events(BATCH, random));
    const started = performance.now();
    for (let i = 0; i < batches.length; i++) {
      await store.appendToStream(`counter-${i % AGGREGATES}`, batches[i]);
    }
    const ms = performance.now() - started;
    return { events: APPEND, batch: BATCH, ms, eventsPerSecond: APPEND / (ms / 1000) };
  });
}

async function rehydrateWorkload() {
  progress(`writing one stream of ${REHYDRATE} events`);
  const random = seeded(7);
  return withStore(async (store) => {
    for (let i = 0; i < REHYDRATE / 1_000; i++)
      await store.appendToStream("counter-big", events(1_000, random));
    const times = [];
    for (let run = 0; run <= RUNS; run++) {
      progress(
        `aggregateStream over ${REHYDRATE} events, run ${run}/${RUNS}${run === 0 ? " (warm-up)" : ""}`,
      );
      const started = performance.now();
      const result = await store.aggregateStream("counter-big", { evolve, initialState });
      const ms = performance.now() - started;
      if (result.state.count !== REHYDRATE) throw new Error(`folded ${result.state.count} events`);
      if (run > 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    return { events: REHYDRATE, medianMs: times[Math.floor(times.length / 2)], runs: times };
  });
}

async function commandWorkload() {
  progress(`${COMMANDS} commands from ${CLIENTS} concurrent clients on distinct streams`);
  return withStore(async (store) => {
    await store.appendToStream("warmup-0", events(1, seeded(1)));
    const perClient = Math.ceil(COMMANDS / CLIENTS);
    const client = async (c) => {
      for (let i = 0; i < perClient; i++) {
        await handle(store, `counter-c${c}`, { type: "Tick", data: { amount: i } });
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const ms = performance.now() - started;
    const done = perClient * CLIENTS;
    return { commands: done, clients: CLIENTS, ms, commandsPerSecond: done / (ms / 1000) };
  });
}

const version = (name) =>
  JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
const out = {
  emmett: version("@event-driven-io/emmett"),
  emmettSqlite: version("@event-driven-io/emmett-sqlite"),
  node: process.version,
  append: await appendWorkload(),
  rehydrate: await rehydrateWorkload(),
  commands: await commandWorkload(),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
