// Growth: the gateway workload of commands-gateway.bench.ts (standalone, SQLite, compiled counter,
// 64 clients on their own aggregates) against an empty store and against a store that already
// holds 1,000,000 events over 100,000 other aggregates (10 each). The budget: commands/s
// and p99 within 20 % of the empty store's. Both stores are measured in the same run, one after
// the other, with the same warm-up; beside the wall-clock figures, the coordinator's CPU per
// command, which a loaded machine distorts less.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { startStandalone } from "../runtime/app/standalone";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import { counterConfig, gatewayLoad } from "./commands-gateway.bench";
import { benchDir, compiledCounter, rootOf, tickEvent } from "./fixtures/counter";
import type { BenchReporter } from "./harness";

const CLIENTS = 64;
const PER_CLIENT = 100;
const WARM_UP = 300;
const AGGREGATES = 100_000;
const EVENTS_EACH = 10;
/** Seeded aggregates' roots start here: clear of the load generator's (10,000 + client). */
const SEEDED_ROOTS = 1_000_000;
/** Appends in flight while seeding (they share group commits). */
const SEED_CONCURRENCY = 256;

interface Measured {
  perSecond: number;
  p99Ms: number;
  cpuUs: number;
}

/** Appends EVENTS_EACH counter events to each of AGGREGATES aggregates of the store at `path`. */
async function seed(path: string): Promise<void> {
  const storage = await openSqliteStorage(path);
  try {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < AGGREGATES; i = next++) {
        const pages = Array.from({ length: EVENTS_EACH }, (_, k) => EventPages.forced(tickEvent(k + 1)));
        await storage.events.append(
          { domain: "counter", edition: "", root: rootOf(SEEDED_ROOTS + i) },
          pages,
          { correlationId: `seed-${i}` },
        );
      }
    };
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  } finally {
    await storage.close();
  }
  const check = new Database(path, { readonly: true });
  try {
    const stored = check.prepare("SELECT count(*) FROM events").values()[0]?.[0];
    if (stored !== AGGREGATES * EVENTS_EACH) throw new Error(`seeding stored ${stored} events`);
  } finally {
    check.close();
  }
}

async function measure(dir: string, binary: string): Promise<Measured> {
  const app = await startStandalone(counterConfig(dir, binary), { childOutput: "ignore", print: () => {} });
  try {
    const { commands, ms, p99Ms, cpu } = await gatewayLoad(
      `http://127.0.0.1:${app.gatewayPort}`,
      CLIENTS,
      PER_CLIENT,
      WARM_UP,
    );
    return { perSecond: commands / (ms / 1000), p99Ms, cpuUs: cpu / commands };
  } finally {
    await app.stop();
  }
}

export default async function (r: BenchReporter): Promise<void> {
  const binary = await compiledCounter();
  r.progress(`empty store: ${CLIENTS} clients × ${PER_CLIENT} commands (${WARM_UP} each to warm up)`);
  const empty = await measure(benchDir(), binary);
  const grownDir = benchDir();
  r.progress(
    `seeding ${(AGGREGATES * EVENTS_EACH).toLocaleString("en-US")} events over ${AGGREGATES.toLocaleString("en-US")} aggregates`,
  );
  await seed(join(grownDir, "angzarr.db"));
  r.progress(`grown store: ${CLIENTS} clients × ${PER_CLIENT} commands (${WARM_UP} each to warm up)`);
  const grown = await measure(grownDir, binary);
  const label = `1M events over 100k aggregates stored`;
  r.record({
    name: `commands through the gateway, ${label} (${CLIENTS} clients)`,
    value: grown.perSecond,
    unit: "commands/s",
    budget: null,
    better: "higher",
  });
  r.record({
    name: `command latency p99 through the gateway, ${label} (${CLIENTS} clients)`,
    value: grown.p99Ms,
    unit: "ms",
    budget: null,
    better: "lower",
  });
  r.record({
    name: `growth: gateway commands/s, ${label} / empty store`,
    value: grown.perSecond / empty.perSecond,
    unit: "×",
    budget: 0.8,
    better: "higher",
  });
  r.record({
    name: `growth: gateway p99, ${label} / empty store`,
    value: grown.p99Ms / empty.p99Ms,
    unit: "×",
    budget: 1.2,
    better: "lower",
  });
  r.record({
    name: `growth: coordinator CPU per command, ${label} / empty store`,
    value: grown.cpuUs / empty.cpuUs,
    unit: "×",
    budget: null,
    better: "lower",
  });
}
