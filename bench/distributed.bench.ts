// Distributed mode on this machine: every role its own OS process (launchDistributed) over the
// local PostgreSQL (a fresh schema) and RabbitMQ (a fresh prefix), with synthetic programs: the
// compiled counter aggregate, echo aggregates `src` and `ledger`, the saga `saga-src-ledger` (one
// ledger command per src event) and the projector `projector-tally` (on src). Three figures:
// - commands/s through the gateway at 64 clients (load from a separate process, as the
//   standalone workload does);
// - the saga hop: src commands sent at 500/s through the gateway; per command, from its
//   acknowledgement to the ledger event the saga caused being stored (p50, p99);
// - projector lag: 10,000 src events appended in one burst straight into the store; the time
//   from the burst's last commit until the projector's checkpoint passes it.
// Beside the wall clock of the first two: CPU ms per command (per order) of every process of the
// deployment over the timed window, read from /proc: each role, its handler program, and the
// PostgreSQL backends serving the roles' connections (RabbitMQ's one server process is shared
// with other jobs and is left out). Unlike wall clock this holds when other jobs load the machine.
import { EventPages } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { newRoot } from "../runtime/testing/processes";
import { gatewayLoad } from "./commands-gateway.bench";
import { hopRound, startHopDeployment } from "./fixtures/saga-hop";
import { type BenchReporter, percentile } from "./harness";

const CLIENTS = 64;
/** Timed commands per client: 12,800 in all, ~20 s at this machine's rate. */
const PER_CLIENT = 200;
/**
 * Commands per client before the timed run (19,200 in all, as observability.bench.ts): with 40
 * (2,560 in all) the roles were still compiling their hot paths in the timed window, the
 * aggregate role's CPU per command ~1.6–1.9× its warmed figure (bench/README.md, "Warm-up of the
 * commands phase").
 */
const WARM_UP = 300;
const RATE = 500;
const HOP_SECONDS = 4;
/** Orders sent (at RATE) and seen through before the timed hop: the same warm-up for its path. */
const HOP_WARM_UP = 1_000;
const BURST = 10_000;

export default async function (r: BenchReporter): Promise<void> {
  r.progress("starting the gateway, 3 aggregate coordinators, a saga and a projector as processes");
  const d = await startHopDeployment("bench", true);
  const { topology, store, cpu } = d;
  try {
    // 1. Commands through the gateway.
    r.progress(
      `${CLIENTS} clients × ${PER_CLIENT} commands through the gateway (load from a separate process, ${WARM_UP} warm-up each)`,
    );
    const { commands, ms, p99Ms } = await gatewayLoad(topology.gatewayUrl, CLIENTS, PER_CLIENT, WARM_UP, () =>
      cpu.start(),
    );
    recordCpu(r, "per command through the gateway", await cpu.stop(commands));
    r.record({
      name: `distributed: commands through the gateway (${CLIENTS} clients)`,
      value: commands / (ms / 1000),
      unit: "commands/s",
      budget: 3_000,
      better: "higher",
    });
    r.record({
      name: `distributed: command p99 through the gateway (${CLIENTS} clients)`,
      value: p99Ms,
      unit: "ms",
      budget: null,
      better: "lower",
    });

    // 2. The saga hop at a steady rate, after a warm-up round of the same path.
    r.progress(`saga hop warm-up: ${HOP_WARM_UP} src commands at ${RATE}/s`);
    await hopRound(d, HOP_WARM_UP, RATE, "warm", () => undefined);
    r.progress(`saga hop: src commands at ${RATE}/s for ${HOP_SECONDS} s through the gateway`);
    const total = RATE * HOP_SECONDS;
    const { hops, started, stopAt } = await hopRound(d, total, RATE, "hop", () => cpu.start());
    recordCpu(r, "per order in the saga hop", await cpu.stop(total));
    const achieved = total / ((stopAt - started) / 1000);
    r.record({
      name: `distributed: saga hop p50 (${RATE} orders/s offered, ${Math.round(achieved)}/s achieved)`,
      value: percentile(hops, 50),
      unit: "ms",
      budget: null,
      better: "lower",
    });
    r.record({
      name: `distributed: saga hop p99 (${RATE} orders/s offered)`,
      value: percentile(hops, 99),
      unit: "ms",
      budget: 50,
      better: "lower",
    });

    // 3. Projector lag after a burst straight into the store.
    r.progress(`projector lag: ${BURST} src events appended in one burst`);
    const roots = Array.from({ length: 100 }, () => newRoot());
    const perRoot = BURST / roots.length;
    const payload = (i: number) =>
      create(AnySchema, {
        typeUrl: `type.googleapis.com/${StringValueSchema.typeName}`,
        value: toBinary(StringValueSchema, create(StringValueSchema, { value: `burst${i}` })),
      });
    let last = 0n;
    await Promise.all(
      roots.map(async (root, n) => {
        const pages = Array.from({ length: perRoot }, (_, i) =>
          EventPages.numbered(i, payload(n * perRoot + i)),
        );
        await store.events.append({ domain: "src", edition: "", root }, pages, {
          correlationId: `burst-${n}`,
        });
      }),
    );
    const burstEnd = performance.now();
    for (const e of await store.events.readAll(0n, 1_000_000, { domain: "src" })) last = e.position;
    for (;;) {
      const checkpoint = (await store.positions.get("projector-tally", "src", "")) ?? 0n;
      if (checkpoint >= last) break;
      if (performance.now() - burstEnd > 120_000) throw new Error("the projector did not catch up in 120 s");
      await Bun.sleep(5);
    }
    r.record({
      name: `distributed: projector lag after a ${BURST.toLocaleString("en-US")}-event burst`,
      value: (performance.now() - burstEnd) / 1000,
      unit: "s",
      budget: 2,
      better: "lower",
    });
  } finally {
    await d.close();
  }
}

/** Records the total and each group's CPU ms per unit (groups under 5 µs are left out). */
function recordCpu(r: BenchReporter, what: string, per: Map<string, number>): void {
  let total = 0;
  for (const value of per.values()) total += value;
  r.record({
    name: `distributed: CPU ms ${what}, every process (roles, handlers, PG backends)`,
    value: total,
    unit: "ms",
    budget: null,
    better: "lower",
  });
  for (const [name, value] of per) {
    if (value < 0.005) continue;
    r.record({
      name: `distributed: CPU ms ${what}: ${name}`,
      value,
      unit: "ms",
      budget: null,
      better: "lower",
    });
  }
}
