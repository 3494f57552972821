// How long a fresh coordinator takes to reach its steady state with one observability setting
// fixed from the start: the commands-gateway composition (SQLite, the compiled counter program)
// in this process under the 64-client gateway load, and every window the CPU µs per command of
// each thread of the coordinator (C) and of the program (P): the JavaScript thread, the JIT
// compiler (JITWorker), GC helpers, the allocator's scavenger. The JIT's share falling to ~0 is
// the end of the warm-up; bench/observability.bench.ts's warm-up must reach it in every setting.
//   bun bench/jit-settle.ts [metrics|sampled|every] [windows=16] [seconds=3]
import { startStandalone } from "../runtime/app/standalone";
import { commandsTotal } from "../runtime/observability/metrics";
import { startRuntimeTracing, stopRuntimeTracing } from "../runtime/observability/tracing";
import { counterConfig, steadyGatewayLoad } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import { startOtlpSink } from "./fixtures/otlp-sink-process";
import { threadCpuMsOf } from "./fixtures/proc-cpu";
import { TRACE_SETTINGS } from "./fixtures/trace-settings";

const mode = process.argv[2] ?? "sampled";
const windows = Number(process.argv[3] ?? 16);
const seconds = Number(process.argv[4] ?? 3);
if (!(mode in TRACE_SETTINGS)) throw new Error("usage: bun bench/jit-settle.ts [metrics|sampled|every]");

const binary = await compiledCounter();
const sink = await startOtlpSink();
const tracing = TRACE_SETTINGS[mode];
if (tracing !== undefined) {
  // The program, started with this environment, traces too.
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, ...tracing });
  if (!(await startRuntimeTracing("angzarr-bench"))) throw new Error("tracing did not start");
}
const app = await startStandalone(counterConfig(benchDir(), binary), {
  childOutput: "ignore",
  print: () => {},
  measure: true,
});
const program = app.supervisor.programs()[0]?.pid;
if (program === undefined) throw new Error("the counter program is not running");
const done = commandsTotal.cell("counter", "OK");
const load = steadyGatewayLoad(`http://127.0.0.1:${app.gatewayPort}`, 1, windows * seconds + 30);
const perCommand = (from: Map<string, number>, to: Map<string, number>, commands: number) =>
  [...to]
    .map(([name, ms]) => [name, ((ms - (from.get(name) ?? 0)) * 1000) / commands] as const)
    .filter(([, us]) => us >= 1)
    .map(([name, us]) => `${name} ${us.toFixed(0)}`)
    .join(", ");
try {
  for (let window = 0; window < windows; window++) {
    const [c0, p0, n0] = [threadCpuMsOf("self"), threadCpuMsOf(program), done.value];
    await Bun.sleep(seconds * 1000);
    const [c1, p1, n] = [threadCpuMsOf("self"), threadCpuMsOf(program), done.value - n0];
    const loadavg = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
    console.log(
      `${mode} after ${done.value} commands (load ${loadavg}) | C ${perCommand(c0, c1, n)} | P ${perCommand(p0, p1, n)}`,
    );
  }
} finally {
  load.kill();
  await load.exited;
  await app.stop();
  await stopRuntimeTracing();
  await sink.stop();
}
