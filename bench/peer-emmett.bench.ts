// The peer, in the same run: Emmett with its SQLite event store under Node (bench/peer/emmett),
// doing the same append (100k events in batches of 100 over 1,000 streams), rehydration of one
// 100k-event stream (aggregateStream, median of 3) and command handling (a decider through
// DeciderCommandHandler, one client: the peer's store runs on one connection, whose transactions
// do not nest across concurrent callers). Each run writes a fresh file, through one connection
// per process with angzarr's durability settings: WAL, synchronous = NORMAL, busy_timeout 5 s
// (bench/peer/emmett/store.mjs says why). Installs the peer with `npm ci` the first time. Its figures are recorded, and attached as `peer` to ours:
//   append                   ↔ sqlite append, batches of 100        (asked ≥ 8×)
//   rehydration of 100k      ↔ end-to-end rebuild 100k (no snapshot) (asked ≥ 15×)
//   command handling         ↔ in-process client, 1 client          (asked ≥ 20×)
// Then the reactive hop (peer/emmett/emmett-reactive.mjs: its SQLite consumer running a
// DeciderCommandHandler for ReserveStock per OrderCreated, in its own process, batch 5, pull
// every 1 ms): a flood of 2,000, a drain of 2,000 stored, latency at 100/s.
//   drain hops/s             ↔ saga hop and projector catch-up      (asked ≥ 5×)
//   hop p99 at 100/s         ↔ CreateOrder → StockReserved p99      (asked ≥ 5× lower)
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BenchReporter } from "./harness";

const PEER_DIR = join(import.meta.dir, "peer", "emmett");
const SQLITE3_BINDING = join(PEER_DIR, "node_modules", "sqlite3", "build", "Release", "node_sqlite3.node");
const APPEND = 100_000;
const REHYDRATE = 100_000;
const COMMANDS = 1_000;
const HOPS = 2_000;

interface EmmettReactive {
  flood: { hops: number; ms: number; hopsPerSecond: number };
  drain: { hops: number; ms: number; hopsPerSecond: number };
  latency: { orders: number; rate: number; p50Ms: number; p99Ms: number };
}

interface EmmettFigures {
  emmett: string;
  emmettSqlite: string;
  node: string;
  append: { events: number; ms: number; eventsPerSecond: number };
  rehydrate: { events: number; medianMs: number; runs: number[] };
  commands: { commands: number; clients: number; ms: number; commandsPerSecond: number };
}

async function run(cmd: string[], quiet: boolean): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(cmd, { cwd: PEER_DIR, stdout: "pipe", stderr: quiet ? "pipe" : "inherit" });
  const [out, err] = await Promise.all([
    new Response(proc.stdout).text(),
    quiet ? new Response(proc.stderr as ReadableStream<Uint8Array>).text() : Promise.resolve(""),
  ]);
  return { code: await proc.exited, out, err };
}

export default async function (r: BenchReporter): Promise<void> {
  if (Bun.which("node") === null || Bun.which("npm") === null) {
    throw new Error("the Emmett peer needs node and npm on PATH");
  }
  // npm 11 runs a dependency's install script only when package.json's allowScripts names it:
  // without sqlite3's, its native binding is missing and every peer program exits 1 on import.
  if (
    !existsSync(SQLITE3_BINDING) ||
    !existsSync(join(PEER_DIR, "node_modules", "@event-driven-io", "emmett-sqlite"))
  ) {
    r.progress("installing the Emmett peer (npm ci --legacy-peer-deps; sqlite3 builds from source, ~1 min)");
    const install = await run(["npm", "ci", "--legacy-peer-deps", "--no-audit", "--no-fund"], true);
    if (install.code !== 0 || !existsSync(SQLITE3_BINDING)) {
      throw new Error(
        `npm ci of the Emmett peer failed (exit ${install.code}):\n${install.err.slice(-2000)}`,
      );
    }
  }
  // Each part runs even when the other failed; a failure fails the workload at the end.
  const errors: string[] = [];
  for (const part of [core, reactive]) {
    try {
      await part(r);
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      r.progress(`FAILED: ${message}`);
      errors.push(message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join("; "));
}

/** Append, rehydration and commands, attached to ours. */
async function core(r: BenchReporter): Promise<void> {
  r.progress(
    `Emmett under Node: append ${APPEND.toLocaleString("en-US")}, rehydrate ${REHYDRATE.toLocaleString("en-US")}, ${COMMANDS.toLocaleString("en-US")} commands`,
  );
  // Emmett's SQLite store opens a connection per operation and sometimes trips over its own
  // pragmas ("cannot change into wal mode from within a transaction"): one more try.
  const attempt = () =>
    run(
      [
        "node",
        "emmett-bench.mjs",
        "--append",
        String(APPEND),
        "--batch",
        "100",
        "--rehydrate",
        String(REHYDRATE),
        "--runs",
        "3",
        "--commands",
        String(COMMANDS),
        "--clients",
        "1",
      ],
      false,
    );
  let result = await attempt();
  if (result.code !== 0) {
    r.progress(`Emmett peer failed (exit ${result.code}); trying once more`);
    result = await attempt();
  }
  if (result.code !== 0) throw new Error(`the Emmett peer (emmett-bench.mjs) exited ${result.code} twice`);
  const peer = JSON.parse(result.out.trim().split("\n").at(-1) ?? "{}") as EmmettFigures;
  r.progress(`Emmett ${peer.emmett} + emmett-sqlite ${peer.emmettSqlite} on Node ${peer.node}`);
  r.record({
    name: "Emmett: append, batches of 100 (1000 streams)",
    value: peer.append.eventsPerSecond,
    unit: "events/s",
    budget: null,
    better: "higher",
  });
  r.record({
    name: "Emmett: aggregateStream 100k events",
    value: peer.rehydrate.medianMs,
    unit: "ms",
    budget: null,
    better: "lower",
  });
  r.record({
    name: "Emmett: commands through DeciderCommandHandler (1 client)",
    value: peer.commands.commandsPerSecond,
    unit: "commands/s",
    budget: null,
    better: "higher",
  });
  r.attachPeer("sqlite append, batches of 100 (1000 aggregates)", peer.append.eventsPerSecond, 8);
  r.attachPeer("end-to-end rebuild 100k events (no snapshot)", peer.rehydrate.medianMs, 15);
  r.attachPeer("commands through the in-process client (1 client)", peer.commands.commandsPerSecond, 20);
}

/** Emmett's reactive hop, attached to our saga hop, projector catch-up and hop latency. */
async function reactive(r: BenchReporter): Promise<void> {
  r.progress(`Emmett reactive hop: flood of ${HOPS}, drain of ${HOPS}, 200 orders at 100/s`);
  const result = await run(
    ["node", "emmett-reactive.mjs", "--orders", String(HOPS), "--latency", "200", "--rate", "100"],
    false,
  );
  if (result.code !== 0)
    throw new Error(`the Emmett reactive hop (emmett-reactive.mjs) exited ${result.code}`);
  const peer = JSON.parse(result.out.trim().split("\n").at(-1) ?? "{}") as EmmettReactive;
  const record = (name: string, value: number, unit: string, better: "higher" | "lower") =>
    r.record({ name: `Emmett: ${name}`, value, unit, budget: null, better });
  record(`saga hop, flood of ${HOPS} OrderCreated`, peer.flood.hopsPerSecond, "events/s", "higher");
  record(`saga hop, draining ${HOPS} stored OrderCreated`, peer.drain.hopsPerSecond, "events/s", "higher");
  record("hop latency p50 at 100/s", peer.latency.p50Ms, "ms", "lower");
  record("hop latency p99 at 100/s", peer.latency.p99Ms, "ms", "lower");
  r.attachPeer("saga hop (OrderCreated → StockReserved)", peer.drain.hopsPerSecond, 5);
  r.attachPeer("projector catch-up (inventory → read model)", peer.drain.hopsPerSecond, 5);
  r.attachPeer("CreateOrder → StockReserved p99", peer.latency.p99Ms, 5);
}
