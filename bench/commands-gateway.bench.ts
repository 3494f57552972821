// Commands through the gateway: `angzarr standalone` composition (SQLite, in-process bus,
// supervised compiled counter program) and 64 concurrent clients on distinct aggregates, each
// sending commands back to back over Connect (binary, HTTP/1.1, a transport per client) from a
// separate process (bench/fixtures/gateway-load.ts; its last argument picks "1.1", "2" = one
// shared HTTP/2 session, or "2x" = a session per client).
import { join } from "node:path";
import { startStandalone } from "../runtime/app/standalone";
import type { RuntimeConfig } from "../runtime/config/load";
import { benchDir, compiledCounter } from "./fixtures/counter";
import type { BenchReporter } from "./harness";

const CLIENTS = 64;
const PER_CLIENT = 80;

export default async function (r: BenchReporter): Promise<void> {
  const dir = benchDir();
  const binary = await compiledCounter();
  const config: RuntimeConfig = {
    source: "bench",
    baseDir: dir,
    port: 0,
    host: "127.0.0.1",
    data: dir,
    socketsDir: join(dir, "sockets"),
    storage: { backend: "sqlite", path: join(dir, "angzarr.db") },
    handlers: {
      maxMessageBytes: 64 * 1024 * 1024,
      timeoutMs: 30_000,
      healthTimeoutMs: 10_000,
      stopGraceMs: 2_000,
      restart: { initialMs: 50, maxMs: 500 },
    },
    reactive: { pollMs: 50, onFailure: "dead-letter" },
    log: "error",
    components: [
      {
        name: "counter",
        kind: "aggregate",
        domain: "counter",
        program: "agg-counter",
        launch: { type: "spawn", argv: [binary, "--domain", "counter"], cwd: dir },
        transport: "connect",
        env: {},
      },
    ],
  };
  const app = await startStandalone(config, { childOutput: "ignore", print: () => {} });
  try {
    r.progress(
      `${CLIENTS} clients × ${PER_CLIENT} commands through the gateway (load from a separate process)`,
    );
    const load = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "fixtures", "gateway-load.ts"),
        `http://127.0.0.1:${app.gatewayPort}`,
        String(CLIENTS),
        String(PER_CLIENT),
        "counter",
        "fetch",
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    const out = await new Response(load.stdout).text();
    if ((await load.exited) !== 0) throw new Error("the gateway load generator failed");
    const { commands, ms } = JSON.parse(out) as { commands: number; ms: number };
    r.record({
      name: `commands through the gateway (${CLIENTS} clients)`,
      value: commands / (ms / 1000),
      unit: "commands/s",
      budget: 5_000,
      better: "higher",
    });
  } finally {
    await app.stop();
  }
}
