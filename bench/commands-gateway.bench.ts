// Commands through the gateway: `angzarr standalone` composition (SQLite, in-process bus,
// supervised compiled counter program) and 64 concurrent clients on distinct aggregates, each
// sending commands back to back over Connect (binary, HTTP/1.1, a transport per client) from a
// separate process (bench/fixtures/gateway-load.ts; its last argument picks "1.1", "2" = one
// shared HTTP/2 session, "2x" = a session per client, "fetch" = Bun's fetch, or "pool" = the SDK's
// keep-alive HTTP/1.1 pool, a connection per client: what gatewayLoad uses).
//
// The floor, in the same run and with the same load generator: a bare `Bun.serve` in this process
// that reads each request body and answers a fixed, encoded CommandResponse of the same shape
// (one event page). The ratio: gateway commands/s ≥ 40% of it.
import { join } from "node:path";
import { CommandResponseSchema, Covers, EventBookSchema, EventPageSchema, Timestamps } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { startStandalone } from "../runtime/app/standalone";
import type { RuntimeConfig } from "../runtime/config/load";
import { benchDir, compiledCounter, rootOf, tickEvent } from "./fixtures/counter";
import { cpuMsOf } from "./fixtures/proc-cpu";
import type { BenchReporter } from "./harness";

const CLIENTS = 64;
const PER_CLIENT = 100;
/**
 * Commands per client before the timed run: a coordinator runs for hours, so the figure is its
 * steady state (JIT-compiled). 19,200 commands: measured 2026-12-07, the CPU per command of all
 * three processes (coordinator, handler program, load generator) is still 20–30 % higher after
 * 2,560 warm-up commands (40 per client) than after 19,200.
 */
const WARM_UP = 300;

interface LoadResult {
  commands: number;
  ms: number;
  p50Ms: number;
  p99Ms: number;
  /** The load generator's own CPU time over the timed run, µs. */
  cpuUs: number;
}

/**
 * Runs the load generator against `url` from its own process; `cpu` is this process's CPU time
 * (µs, user + system) over the timed run only, warm-up excluded. `onTimed` runs when the timed
 * run starts (other processes' CPU can be sampled there); `onDone` when it is over. With `seconds`,
 * the timed run lasts that long instead of `perClient` commands per client. Each client's first
 * command expects sequence `firstSequence` (a load continuing what an earlier one sent).
 */
export async function gatewayLoad(
  url: string,
  clients: number,
  perClient: number,
  warmUp = WARM_UP,
  onTimed?: () => void | Promise<void>,
  onDone?: () => void,
  seconds = 0,
  firstSequence = 0,
): Promise<LoadResult & { cpu: number }> {
  const load = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "fixtures", "gateway-load.ts"),
      url,
      String(clients),
      String(perClient),
      "counter",
      "pool",
      String(warmUp),
      String(seconds),
      String(firstSequence),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  let out = "";
  let from: NodeJS.CpuUsage | undefined;
  const decoder = new TextDecoder();
  for await (const chunk of load.stdout) {
    out += decoder.decode(chunk, { stream: true });
    if (from === undefined && out.includes("timed\n")) {
      await onTimed?.();
      from = process.cpuUsage();
    }
  }
  const used = process.cpuUsage(from);
  onDone?.();
  if ((await load.exited) !== 0 || from === undefined) throw new Error("the gateway load generator failed");
  const result = JSON.parse(out.slice(out.indexOf("timed\n") + "timed\n".length)) as LoadResult;
  return { ...result, cpu: used.user + used.system };
}

/**
 * The load generator's 64 clients sending counter commands for `seconds` (no count), after
 * `warmUp` each; stdout is piped (its "timed" line ends the warm-up).
 */
export function steadyGatewayLoad(url: string, warmUp: number, seconds: number) {
  return Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "fixtures", "gateway-load.ts"),
      url,
      "64",
      "1",
      "counter",
      "fetch",
      String(warmUp),
      String(seconds),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
}

export function counterConfig(dir: string, binary: string): RuntimeConfig {
  return {
    source: "bench",
    baseDir: dir,
    port: 0,
    host: "127.0.0.1",
    data: dir,
    socketsDir: join(dir, "sockets"),
    storage: { backend: "sqlite", path: join(dir, "angzarr.db") },
    maxMessageBytes: 64 * 1024 * 1024,
    handlers: {
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
}

/** The floor: a bare Bun.serve answering what the gateway answers, for the same load. */
async function bareServe(r: BenchReporter): Promise<number> {
  const page = create(EventPageSchema, {
    sequence: { case: "num", value: 1 },
    createdAt: Timestamps.now(),
    event: tickEvent(1),
  });
  const answer = toBinary(
    CommandResponseSchema,
    create(CommandResponseSchema, {
      events: create(EventBookSchema, {
        cover: Covers.make({ domain: "counter", root: rootOf(10_000), correlationId: "bench" }),
        pages: [page],
      }),
    }),
  );
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      await request.arrayBuffer();
      return new Response(answer, { headers: { "content-type": "application/proto" } });
    },
  });
  try {
    r.progress(
      `floor: ${CLIENTS} clients × ${PER_CLIENT} calls to a bare Bun.serve (same load generator, ${WARM_UP} each to warm up)`,
    );
    const { commands, ms, cpu } = await gatewayLoad(`http://127.0.0.1:${server.port}`, CLIENTS, PER_CLIENT);
    r.record({
      name: `bare Bun.serve CPU per call (${CLIENTS} clients)`,
      value: cpu / commands,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    return commands / (ms / 1000);
  } finally {
    await server.stop(true);
  }
}

export default async function (r: BenchReporter): Promise<void> {
  const dir = benchDir();
  const binary = await compiledCounter();
  const floor = await bareServe(r);
  r.record({
    name: `bare Bun.serve answers (${CLIENTS} clients)`,
    value: floor,
    unit: "calls/s",
    budget: null,
    better: "higher",
  });
  const app = await startStandalone(counterConfig(dir, binary), { childOutput: "ignore", print: () => {} });
  try {
    r.progress(
      `${CLIENTS} clients × ${PER_CLIENT} commands through the gateway (load from a separate process, ${WARM_UP} each to warm up)`,
    );
    // The handler program shares the two cores with the coordinator and the load generator:
    // its CPU time counts against the same budget (10,000 commands/s on 2 cores = 200 µs of CPU
    // per command for all three together).
    const program = app.supervisor.programs()[0]?.pid;
    let programFrom = 0;
    let programMs = 0;
    const { commands, ms, p99Ms, cpu, cpuUs } = await gatewayLoad(
      `http://127.0.0.1:${app.gatewayPort}`,
      CLIENTS,
      PER_CLIENT,
      WARM_UP,
      () => {
        programFrom = program === undefined ? 0 : cpuMsOf(program);
      },
      () => {
        programMs = program === undefined ? 0 : cpuMsOf(program) - programFrom;
      },
    );
    r.record({
      name: `commands through the gateway (${CLIENTS} clients)`,
      value: commands / (ms / 1000),
      unit: "commands/s",
      budget: 10_000,
      better: "higher",
    });
    r.record({
      name: `command latency p99 through the gateway (${CLIENTS} clients)`,
      value: p99Ms,
      unit: "ms",
      budget: 10,
      better: "lower",
    });
    // CPU time is what a loaded machine does not distort much: compare changes with it.
    r.record({
      name: `coordinator CPU per command through the gateway (${CLIENTS} clients)`,
      value: cpu / commands,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: `handler program CPU per command through the gateway (${CLIENTS} clients)`,
      value: (programMs * 1000) / commands,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: `load generator CPU per command through the gateway (${CLIENTS} clients)`,
      value: cpuUs / commands,
      unit: "µs",
      budget: null,
      better: "lower",
    });
    r.record({
      name: `CPU per command through the gateway, all three processes (${CLIENTS} clients)`,
      value: (cpu + programMs * 1000 + cpuUs) / commands,
      unit: "µs",
      // 10,000 commands/s on two cores.
      budget: 200,
      better: "lower",
    });
  } finally {
    await app.stop();
  }
}
