// What tracing costs the coordinator, mode against mode, in short alternating windows of one
// steady run: one standalone coordinator (SQLite, the compiled counter program) under the
// commands-gateway load (64 clients, a separate load process) that never stops; the coordinator
// switches its tracing setting every window (metrics only, 10 % of traces sampled, every span) and
// reports its own CPU per command in each. A shared machine's load drifts over minutes; windows of
// a few seconds in turns put that drift on every mode alike, and the median of many windows is
// steadier than whole runs compared one after another (bench/gateway-span.ts).
// The program is started with tracing on (parentbased_always_off: it follows the coordinator's
// decision, and starts no span of its own when no traceparent comes), so only the coordinator's
// figure is the mode's; a program's cost per call is bench/program-span.ts's.
//   bun bench/obs-windows.ts [modes=metrics,sampled,every] [windows per mode=8] [seconds=3]
import { startStandalone } from "../runtime/app/standalone";
import { commandsTotal } from "../runtime/observability/metrics";
import { startRuntimeTracing, stopRuntimeTracing } from "../runtime/observability/tracing";
import { counterConfig, steadyGatewayLoad } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import { startOtlpSink } from "./fixtures/otlp-sink-process";
import { TRACE_SETTINGS } from "./fixtures/trace-settings";

const modes = (process.argv[2] ?? "metrics,sampled,every").split(",");
const rounds = Number(process.argv[3] ?? 8);
const seconds = Number(process.argv[4] ?? 3);

const binary = await compiledCounter();
const sink = await startOtlpSink();
process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.endpoint;
process.env.OTEL_TRACES_SAMPLER = "parentbased_always_off";
const app = await startStandalone(counterConfig(benchDir(), binary), {
  childOutput: "ignore",
  print: () => {},
  measure: true,
});
const done = commandsTotal.cell("counter", "OK");
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function setMode(mode: string): Promise<void> {
  await stopRuntimeTracing();
  const env = TRACE_SETTINGS[mode];
  if (env === undefined) return;
  Object.assign(process.env, env);
  if (!(await startRuntimeTracing("angzarr-bench"))) throw new Error("tracing did not start");
}

const load = steadyGatewayLoad(
  `http://127.0.0.1:${app.gatewayPort}`,
  300,
  rounds * modes.length * (seconds + 0.5) + 30,
);
const results = new Map<string, number[]>(modes.map((m) => [m, []]));
try {
  const reader = load.stdout.getReader();
  let text = "";
  while (!text.includes("timed")) {
    const { value, done: end } = await reader.read();
    if (end) throw new Error("the load generator ended early");
    text += new TextDecoder().decode(value);
  }
  for (let round = 0; round < rounds; round++) {
    const order = modes.map((_, i) => modes[(i + round) % modes.length] as string);
    for (const mode of order) {
      await setMode(mode);
      await Bun.sleep(300);
      const [c0, n0] = [cpu(), done.value];
      await Bun.sleep(seconds * 1000);
      const [c1, n1] = [cpu(), done.value];
      results.get(mode)?.push((c1 - c0) / (n1 - n0));
    }
    const loadavg = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
    console.log(
      `round ${round + 1} (load ${loadavg}): ${modes.map((m) => `${m} ${results.get(m)?.at(-1)?.toFixed(0)}`).join("  ")}`,
    );
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  const first = median(results.get(modes[0] as string) ?? []);
  for (const mode of modes) {
    const m = median(results.get(mode) ?? []);
    console.log(
      `${mode.padEnd(16)} median ${m.toFixed(0)} µs/command (${((m / first - 1) * 100).toFixed(1)} % vs ${modes[0]})`,
    );
  }
} finally {
  load.kill();
  await load.exited;
  await stopRuntimeTracing();
  await app.stop();
  await sink.stop();
}
