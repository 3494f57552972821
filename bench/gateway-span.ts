// What tracing costs the coordinator and the handler program apart, on the commands-gateway load
// (64 clients in a separate load process, SQLite, the compiled counter program), in steady state:
// each run sends a warm-up first and measures CPU only over the timed part. Modes, run in the
// order given (interleave them for A/B):
//   off      no measuring adapters, no tracing
//   metrics  the measuring adapters (metrics), no tracing
//   on       metrics + every span exported over OTLP/HTTP (coordinator and program) to the sink
//   sampled  metrics + parentbased_traceidratio 0.1
//   bun bench/gateway-span.ts [modes=off,metrics,on,sampled] [perClient=80] [warmPerClient=40]
// Prints per run: coordinator and program CPU µs per command, commands/s, spans per command.
// For a profile of the coordinator: `bun --cpu-prof --cpu-prof-dir=DIR bench/gateway-span.ts on`.
import { join } from "node:path";
import { startStandalone } from "../runtime/app/standalone";
import { startRuntimeTracing, stopRuntimeTracing } from "../runtime/observability/tracing";
import { counterConfig } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import { startOtlpSink } from "./fixtures/otlp-sink-process";
import { cpuMsOf, threadCpuMsOf } from "./fixtures/proc-cpu";

const CLIENTS = 64;
const modes = (process.argv[2] ?? "off,metrics,on,sampled").split(",");
const perClient = Number(process.argv[3] ?? 80);
const warmPerClient = Number(process.argv[4] ?? 40);

const binary = await compiledCounter();
const sink = await startOtlpSink();

async function run(mode: string): Promise<string> {
  const traced = mode === "on" || mode === "sampled";
  const saved = { ...process.env };
  if (traced) {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.endpoint;
    if (mode === "sampled") {
      process.env.OTEL_TRACES_SAMPLER = "parentbased_traceidratio";
      process.env.OTEL_TRACES_SAMPLER_ARG = "0.1";
    }
    if (!(await startRuntimeTracing("angzarr-bench"))) throw new Error("tracing did not start");
  }
  const spansBefore = await sink.received();
  const app = await startStandalone(counterConfig(benchDir(), binary), {
    childOutput: "ignore",
    print: () => {},
    measure: mode !== "off",
  });
  try {
    const program = app.supervisor.programs()[0]?.pid;
    if (program === undefined) throw new Error("the counter program is not running");
    const own = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const load = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "fixtures", "gateway-load.ts"),
        `http://127.0.0.1:${app.gatewayPort}`,
        String(CLIENTS),
        String(perClient),
        "counter",
        "fetch",
        String(warmPerClient),
      ],
      { stdout: "pipe", stderr: "inherit", env: { ...process.env, OTEL_TRACES_EXPORTER: "none" } },
    );
    let coordinatorBefore = 0;
    let threadsBefore: Map<string, number>[] = [];
    let programBefore = 0;
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of load.stdout) {
      text += decoder.decode(chunk);
      if (coordinatorBefore === 0 && text.includes("timed")) {
        coordinatorBefore = own();
        programBefore = cpuMsOf(program);
        threadsBefore = [threadCpuMsOf("self"), threadCpuMsOf(program)];
      }
    }
    const coordinatorMs = own() - coordinatorBefore;
    const threadsAfter = [threadCpuMsOf("self"), threadCpuMsOf(program)];
    const programMs = cpuMsOf(program) - programBefore;
    if ((await load.exited) !== 0) throw new Error("the gateway load generator failed");
    const { commands, ms } = JSON.parse(text.trim().split("\n").at(-1) ?? "") as {
      commands: number;
      ms: number;
    };
    const us = (cpuMs: number) => ((cpuMs * 1000) / commands).toFixed(0).padStart(4);
    const split = (i: number) =>
      [...(threadsAfter[i] ?? [])]
        .map(([name, ms]) => [name, ms - (threadsBefore[i]?.get(name) ?? 0)] as const)
        .filter(([, ms]) => ms > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([name, ms]) => `${name} ${us(ms).trim()}`)
        .join(", ");
    console.log(`  ${mode} threads, µs per command: coordinator ${split(0)}; program ${split(1)}`);
    await app.stop();
    if (traced) await stopRuntimeTracing();
    const spans = ((await sink.received()) - spansBefore) / (CLIENTS * (perClient + warmPerClient));
    return (
      `${mode.padEnd(8)} coordinator ${us(coordinatorMs)} µs  program ${us(programMs)} µs  ` +
      `sum ${us(coordinatorMs + programMs)} µs/command  ${(commands / (ms / 1000)).toFixed(0)} commands/s` +
      (traced ? `  ${spans.toFixed(2)} spans/command` : "")
    );
  } finally {
    if (traced) await stopRuntimeTracing();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

try {
  for (const mode of modes) {
    const load = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
    console.log(`${await run(mode)}  (load ${load})`);
  }
} finally {
  await sink.stop();
}
