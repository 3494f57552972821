// The peer, in the same run: Emmett with its SQLite event store under Node (bench/peer/emmett),
// doing the same append (100k events in batches of 100 over 1,000 streams), rehydration of one
// 100k-event stream (aggregateStream, median of 3) and command handling (a decider through
// DeciderCommandHandler, one client: Emmett's SQLite store opens a connection per operation
// without a busy timeout, so concurrent writers fail with SQLITE_BUSY). Installs the peer with
// `npm ci` the first time. Its figures are recorded, and attached as `peer` to ours:
//   append                   ↔ sqlite append, batches of 100        (asked ≥ 5×)
//   rehydration of 100k      ↔ end-to-end rebuild 100k (no snapshot) (asked ≥ 10×)
//   command handling         ↔ in-process client, 1 client          (asked ≥ 5×)
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BenchReporter } from "./harness";

const PEER_DIR = join(import.meta.dir, "peer", "emmett");
const APPEND = 100_000;
const REHYDRATE = 100_000;
const COMMANDS = 1_000;

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
    r.progress("Emmett peer skipped: node and npm are not on PATH");
    return;
  }
  if (!existsSync(join(PEER_DIR, "node_modules", "@event-driven-io", "emmett-sqlite"))) {
    r.progress("installing the Emmett peer (npm ci --legacy-peer-deps; sqlite3 builds from source, ~1 min)");
    const install = await run(["npm", "ci", "--legacy-peer-deps", "--no-audit", "--no-fund"], true);
    if (install.code !== 0) {
      r.progress(`Emmett peer skipped: npm ci failed:\n${install.err.slice(-2000)}`);
      return;
    }
  }
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
  if (result.code !== 0) {
    r.progress(`Emmett peer failed (exit ${result.code}); no peer figures`);
    return;
  }
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
  r.attachPeer("sqlite append, batches of 100 (1000 aggregates)", peer.append.eventsPerSecond, 5);
  r.attachPeer("end-to-end rebuild 100k events (no snapshot)", peer.rehydrate.medianMs, 10);
  r.attachPeer("commands through the in-process client (1 client)", peer.commands.commandsPerSecond, 5);
}
