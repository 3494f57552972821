// The saga hop phase of distributed.bench.ts alone, for A/B pairs and profiles:
// `bun bench/distributed-hop.ts [ORDERS] [WARM_UP] [RATE]` (default 2,000 after 1,000 at 500/s):
// the deployment of distributed.bench.ts without the counter, src commands through the gateway at
// RATE, each hop timed from the command's acknowledgement to the ledger event the saga caused.
// Prints orders/s achieved, hop p50/p99 and CPU ms per order of each process (each role, its
// handler program, the roles' PostgreSQL backends followed through the window) with the load.
import { readFileSync } from "node:fs";
import { hopRound, startHopDeployment } from "./fixtures/saga-hop";
import { percentile } from "./harness";

const [orders = 2_000, warmUp = 1_000, rate = 500] = process.argv.slice(2).map(Number);
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const d = await startHopDeployment("hop", false);
try {
  await hopRound(d, warmUp, rate, "warm", () => undefined);
  const loadBefore = load();
  const { hops, started, stopAt } = await hopRound(d, orders, rate, "hop", () => d.cpu.start());
  const per = await d.cpu.stop(orders);
  let total = 0;
  for (const v of per.values()) total += v;
  const cells = [...per].filter(([, v]) => v >= 0.005).map(([n, v]) => `${n} ${v.toFixed(3)}`);
  console.log(
    JSON.stringify({
      load: `${loadBefore} -> ${load()}`,
      achievedPerS: Math.round(orders / ((stopAt - started) / 1000)),
      seen: hops.length,
      p50Ms: Math.round(percentile(hops, 50)),
      p99Ms: Math.round(percentile(hops, 99)),
      allMs: Number(total.toFixed(3)),
      cells: cells.join(", "),
    }),
  );
} finally {
  await d.close();
}
