// What observability costs: command throughput through the gateway (the commands-gateway load:
// 64 clients, a separate load process, SQLite, the compiled counter program) with tracing and the
// measuring adapters off, then on. "On" is everything an operator would run: every span exported
// over OTLP/HTTP (to a sink in its own process that reads and drops them) by the coordinator and by
// the handler program, and GET /metrics scraped every second. "Off" leaves out the SDK and the
// measuring adapters; the pipeline's own command counter (two cheap calls) stays in both.
// Throughput on a shared machine swings with its load, so each run also reports the CPU time the
// coordinator and the handler program spent per command (user + system, from the kernel's
// accounting), which other processes' load disturbs far less.
import { join } from "node:path";
import { startStandalone } from "../runtime/app/standalone";
import { startRuntimeTracing, stopRuntimeTracing } from "../runtime/observability/tracing";
import { counterConfig } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import { startOtlpSink } from "./fixtures/otlp-sink-process";
import { cpuMsOf } from "./fixtures/proc-cpu";
import type { BenchReporter } from "./harness";

const CLIENTS = 64;
const PER_CLIENT = 80;
/** Runs per setting; the figure is their median. */
const RUNS = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface Run {
  commands: number;
  commandsPerSecond: number;
  /** Coordinator + handler program CPU per command, microseconds. */
  cpuMicros: number;
}

async function throughput(binary: string, observed: boolean): Promise<Run> {
  const app = await startStandalone(counterConfig(benchDir(), binary), {
    childOutput: "ignore",
    print: () => {},
    measure: observed,
  });
  let scrapes = 0;
  const scraper = observed
    ? setInterval(() => {
        void fetch(`${app.admin.url}/metrics`).then((r) => r.text().then(() => scrapes++));
      }, 1000)
    : undefined;
  const program = app.supervisor.programs()[0]?.pid;
  if (program === undefined) throw new Error("the counter program is not running");
  const cpu = () => {
    const own = process.cpuUsage();
    return (own.user + own.system) / 1e6 + cpuMsOf(program) / 1000;
  };
  try {
    const before = cpu();
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
      { stdout: "pipe", stderr: "inherit", env: { ...process.env, OTEL_TRACES_EXPORTER: "none" } },
    );
    const out = await new Response(load.stdout).text();
    if ((await load.exited) !== 0) throw new Error("the gateway load generator failed");
    const { commands, ms } = JSON.parse(out.trim().split("\n").at(-1) ?? "") as {
      commands: number;
      ms: number;
    };
    const spent = cpu() - before;
    if (observed && scrapes === 0) await (await fetch(`${app.admin.url}/metrics`)).text();
    return { commands, commandsPerSecond: commands / (ms / 1000), cpuMicros: (spent * 1e6) / commands };
  } finally {
    if (scraper) clearInterval(scraper);
    await app.stop();
  }
}

export default async function (r: BenchReporter): Promise<void> {
  const binary = await compiledCounter();
  const sink = await startOtlpSink();
  const received = sink.received;
  const saved = { ...process.env };
  const withTracing = async (settings: Record<string, string>) => {
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, ...settings });
    if (!(await startRuntimeTracing("angzarr-bench"))) throw new Error("tracing did not start");
    const before = await received();
    let run: Run;
    try {
      run = await throughput(binary, true);
    } finally {
      // Stopping sends the coordinator's last spans (the program sent its own as it stopped).
      await stopRuntimeTracing();
      for (const key of ["OTEL_EXPORTER_OTLP_ENDPOINT", ...Object.keys(settings)]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
    return { ...run, spans: (await received()) - before };
  };
  // Interleaved rounds, so that the machine's drift (it is shared) falls on every setting alike.
  const off: Run[] = [];
  const on: (Run & { spans: number })[] = [];
  const sampled: (Run & { spans: number })[] = [];
  try {
    for (let round = 1; round <= RUNS; round++) {
      r.progress(`round ${round}/${RUNS}: off; on (every span); on (10 % of traces sampled)`);
      off.push(await throughput(binary, false));
      on.push(await withTracing({}));
      sampled.push(
        await withTracing({
          OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
          OTEL_TRACES_SAMPLER_ARG: "0.1",
        }),
      );
    }
    if ((await received()) === 0)
      throw new Error("no span reached the OTLP sink: the 'on' runs measured nothing");
  } finally {
    await sink.stop();
  }
  const rate = (runs: Run[]) => median(runs.map((x) => x.commandsPerSecond));
  const cpu = (runs: Run[]) => median(runs.map((x) => x.cpuMicros));
  const [offM, onM, sampledM] = [rate(off), rate(on), rate(sampled)];
  r.record({
    name: "commands/s, tracing + metrics off",
    value: offM,
    unit: "commands/s",
    budget: null,
    better: "higher",
  });
  r.record({
    name: "commands/s, tracing (every span) + metrics on",
    value: onM,
    unit: "commands/s",
    budget: null,
    better: "higher",
  });
  r.record({
    name: "throughput with tracing (every span) + metrics on, share of off",
    value: onM / offM,
    unit: "ratio",
    budget: 0.9,
    better: "higher",
  });
  // What "every span" exported: a batch processor drops spans when its queue overflows, which
  // would make the 'on' runs cheaper than what they claim to measure.
  r.record({
    name: "spans received by the collector per command, tracing (every span) on",
    value: median(on.map((x) => x.spans / x.commands)),
    unit: "spans",
    budget: null,
    better: "higher",
  });
  r.record({
    name: "coordinator + program CPU per command, tracing + metrics off",
    value: cpu(off),
    unit: "µs",
    budget: null,
    better: "lower",
  });
  r.record({
    name: "coordinator + program CPU per command, tracing (every span) + metrics on",
    value: cpu(on),
    unit: "µs",
    budget: null,
    better: "lower",
  });
  r.record({
    name: "coordinator + program CPU per command, metrics on and 10 % of traces sampled",
    value: cpu(sampled),
    unit: "µs",
    budget: null,
    better: "lower",
  });
  r.record({
    name: "throughput with metrics on and 10 % of traces sampled, share of off",
    value: sampledM / offM,
    unit: "ratio",
    budget: 0.9,
    better: "higher",
  });
}
