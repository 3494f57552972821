// What observability costs: command throughput through the gateway (the commands-gateway load:
// 64 clients, a separate load process, SQLite, the compiled counter program, 300 warm-up commands
// per client before the timed run) with tracing and the measuring adapters off, then on in three
// settings an operator would run:
// - "metrics": the measuring adapters (store, bus, handler round trip) and GET /metrics scraped
//   every second; tracing off;
// - "metrics + 10 % sampled": the same, plus tracing with 10 % of traces sampled;
// - "metrics + every span": the same, every span exported.
// Spans go over OTLP/HTTP (to a sink in its own process that reads and drops them) from the
// coordinator and from the handler program. "Off" leaves out the SDK and the measuring adapters;
// the pipeline's own command counter and duration stay in every setting.
// Throughput on a shared machine swings with its load, so each run also reports the CPU time the
// coordinator and the handler program spent per command over the timed run (user + system, from
// the kernel's accounting), which other processes' load disturbs far less.
//
// Warm-up: a coordinator runs for hours, so the figure is its steady state, as for the other
// command workloads: the JIT-cold first thousands of commands cost 20–30 % more CPU each, and the
// code that only observability runs (the adapters, the SDK's span and metric paths) is cold in a
// short run, which would charge warm-up to observability. Each run (every setting alike) sends 300
// commands per client first; CPU time and wall clock count from the load generator's "timed" line.
//
// ANGZARR_BENCH_OBS_SETTINGS=off,metrics (names: off, metrics, sampled, every) runs only those
// settings, ANGZARR_BENCH_OBS_ROUNDS=N that many interleaved rounds (default 3): for A/B runs of
// one part.
import { startStandalone } from "../runtime/app/standalone";
import { startRuntimeTracing, stopRuntimeTracing } from "../runtime/observability/tracing";
import { counterConfig, gatewayLoad } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import { startOtlpSink } from "./fixtures/otlp-sink-process";
import { cpuMsOf } from "./fixtures/proc-cpu";
import type { BenchReporter } from "./harness";

const CLIENTS = 64;
const PER_CLIENT = 150;
/** Commands per client before the timed run (commands-gateway's steady state). */
const WARM_UP = 300;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface Run {
  commands: number;
  commandsPerSecond: number;
  /** Coordinator + handler program CPU per command over the timed run, microseconds. */
  cpuMicros: number;
  /** The coordinator's part of it. */
  coordinatorMicros: number;
  /** Spans the sink received per command (warm-up included: its spans are sent too). */
  spans: number;
}

interface Setting {
  key: "off" | "metrics" | "sampled" | "every";
  label: string;
  measure: boolean;
  /** Tracing's environment; absent = tracing off. */
  tracing?: Record<string, string>;
}

const SETTINGS: Setting[] = [
  { key: "off", label: "tracing + metrics off", measure: false },
  { key: "metrics", label: "metrics on, tracing off", measure: true },
  {
    key: "sampled",
    label: "metrics on and 10 % of traces sampled",
    measure: true,
    tracing: { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" },
  },
  { key: "every", label: "tracing (every span) + metrics on", measure: true, tracing: {} },
];

async function throughput(binary: string, measure: boolean): Promise<Omit<Run, "spans">> {
  const app = await startStandalone(counterConfig(benchDir(), binary), {
    childOutput: "ignore",
    print: () => {},
    measure,
  });
  let scrapes = 0;
  const scraper = measure
    ? setInterval(() => {
        void fetch(`${app.admin.url}/metrics`).then((r) => r.text().then(() => scrapes++));
      }, 1000)
    : undefined;
  const program = app.supervisor.programs()[0]?.pid;
  if (program === undefined) throw new Error("the counter program is not running");
  const cpu = () => {
    const own = process.cpuUsage();
    return [(own.user + own.system) / 1e6, cpuMsOf(program) / 1000] as const;
  };
  let from = cpu();
  let spent = [0, 0];
  try {
    const result = await gatewayLoad(
      `http://127.0.0.1:${app.gatewayPort}`,
      CLIENTS,
      PER_CLIENT,
      WARM_UP,
      () => {
        from = cpu();
      },
      () => {
        const to = cpu();
        spent = [to[0] - from[0], to[1] - from[1]];
      },
    );
    if (measure && scrapes === 0) await (await fetch(`${app.admin.url}/metrics`)).text();
    return {
      commands: result.commands,
      commandsPerSecond: result.commands / (result.ms / 1000),
      cpuMicros: (((spent[0] ?? 0) + (spent[1] ?? 0)) * 1e6) / result.commands,
      coordinatorMicros: ((spent[0] ?? 0) * 1e6) / result.commands,
    };
  } finally {
    if (scraper) clearInterval(scraper);
    await app.stop();
  }
}

export default async function (r: BenchReporter): Promise<void> {
  const wanted = (process.env.ANGZARR_BENCH_OBS_SETTINGS ?? "off,metrics,sampled,every").split(",");
  const settings = SETTINGS.filter((s) => wanted.includes(s.key));
  if (!settings.some((s) => s.key === "off")) throw new Error("ANGZARR_BENCH_OBS_SETTINGS must include off");
  const rounds = Number(process.env.ANGZARR_BENCH_OBS_ROUNDS ?? 3);
  const binary = await compiledCounter();
  const sink = await startOtlpSink();
  const received = sink.received;
  const saved = { ...process.env };
  const run = async (setting: Setting): Promise<Run> => {
    if (setting.tracing === undefined) return { ...(await throughput(binary, setting.measure)), spans: 0 };
    // The program inherits these (it is started with the coordinator's environment).
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, ...setting.tracing });
    if (!(await startRuntimeTracing("angzarr-bench"))) throw new Error("tracing did not start");
    const before = await received();
    let measured: Omit<Run, "spans">;
    try {
      measured = await throughput(binary, setting.measure);
    } finally {
      // Stopping sends the coordinator's last spans (the program sent its own as it stopped).
      await stopRuntimeTracing();
      for (const key of ["OTEL_EXPORTER_OTLP_ENDPOINT", ...Object.keys(setting.tracing)]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
    const sent = measured.commands + CLIENTS * WARM_UP;
    return { ...measured, spans: ((await received()) - before) / sent };
  };
  // Interleaved rounds, so that the machine's drift (it is shared) falls on every setting alike.
  const runs = new Map<Setting["key"], Run[]>(settings.map((s) => [s.key, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      r.progress(
        `round ${round}/${rounds} (${CLIENTS}×${WARM_UP} warm-up, ${CLIENTS}×${PER_CLIENT} timed each)`,
      );
      // Each round starts one setting later (off first, then second, ...): a setting's place in
      // the round (what ran just before it) falls on every setting alike.
      const order = settings.map((_, i) => settings[(i + round - 1) % settings.length] as Setting);
      for (const setting of order) {
        const one = await run(setting);
        runs.get(setting.key)?.push(one);
        r.progress(
          `  ${setting.label}: ${Math.round(one.commandsPerSecond)} commands/s, ${Math.round(one.cpuMicros)} µs CPU per command (coordinator ${Math.round(one.coordinatorMicros)})`,
        );
      }
    }
    if (settings.some((s) => s.key === "every") && (await received()) === 0)
      throw new Error("no span reached the OTLP sink: the 'every span' runs measured nothing");
  } finally {
    await sink.stop();
  }
  const rate = (key: Setting["key"]) => median((runs.get(key) ?? []).map((x) => x.commandsPerSecond));
  const cpu = (key: Setting["key"]) => median((runs.get(key) ?? []).map((x) => x.cpuMicros));
  const offRate = rate("off");
  const offCpu = cpu("off");
  for (const setting of settings) {
    r.record({
      name: `commands/s, ${setting.label}`,
      value: rate(setting.key),
      unit: "commands/s",
      budget: null,
      better: "higher",
    });
    r.record({
      name: `coordinator + program CPU per command, ${setting.label}`,
      value: cpu(setting.key),
      unit: "µs",
      budget: null,
      better: "lower",
    });
    if (setting.key === "off") continue;
    r.record({
      name: `throughput with ${setting.label}, share of off`,
      value: rate(setting.key) / offRate,
      unit: "ratio",
      budget: 0.9,
      better: "higher",
    });
    r.record({
      name: `CPU per command with ${setting.label}, share of off`,
      value: cpu(setting.key) / offCpu,
      unit: "ratio",
      budget: 1.1,
      better: "lower",
    });
    // Paired per round: each round's setting against the same round's off.
    const pairs = (runs.get(setting.key) ?? []).map((x, i) => {
      const off = runs.get("off")?.[i];
      return off ? `${Math.round((x.cpuMicros / off.cpuMicros - 1) * 100)} %` : "?";
    });
    r.progress(`${setting.label}: CPU per command vs off, round by round: ${pairs.join(", ")}`);
    if (setting.key === "every") {
      // What "every span" exported: a batch processor drops spans when its queue overflows, which
      // would make the runs cheaper than what they claim to measure.
      r.record({
        name: "spans received by the collector per command, tracing (every span) on",
        value: median((runs.get("every") ?? []).map((x) => x.spans)),
        unit: "spans",
        budget: null,
        better: "higher",
      });
    }
  }
}
