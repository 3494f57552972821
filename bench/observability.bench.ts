// What observability costs: command throughput through the gateway (the commands-gateway load:
// 64 clients, a separate load process, SQLite, the compiled counter program, 640 warm-up commands
// per client before the timed run) with tracing and the measuring adapters off, then on in three
// settings an operator would run:
// - "metrics": the measuring adapters (store, bus, handler round trip) and GET /metrics scraped
//   every second; tracing off;
// - "metrics + 10 % sampled": the same, plus tracing with 10 % of traces sampled;
// - "metrics + every span": the same, every span exported.
// Spans go over OTLP/HTTP (to a sink in its own process that reads and drops them) from the
// coordinator and from the handler program. "Off" leaves out the SDK and the measuring adapters;
// the pipeline's own command counter and duration stay in every setting. Each run starts its own
// coordinator process (fixtures/observed-standalone.ts) with its setting fixed from the start, as
// an operator's coordinator is: one process switching settings between runs (as until
// 2026-12-07) carried the previous setting's compiled code and its invalidation into each run.
// Throughput on a shared machine swings with its load, so each run also reports the CPU time the
// coordinator and the handler program spent per command over the timed run (user + system, from
// the kernel's accounting), which other processes' load disturbs far less, and that CPU by thread
// (JavaScript, JIT compiler, GC helpers, allocator). A setting's share of off is the median over
// the rounds of its run against the same round's off run (paired: the load of the machine when
// the pair ran falls on both).
//
// Warm-up: a coordinator runs for hours, so the figure is its steady state, as for the other
// command workloads: the JIT-cold first thousands of commands cost 20–30 % more CPU each, and the
// code that only observability runs (the adapters, the SDK's span and metric paths) is cold in a
// short run, which would charge warm-up to observability. Each run (every setting alike) sends 640
// commands per client first; CPU time and wall clock count from the load generator's "timed" line.
// With tracing on there is about twice as much code to compile: in a fresh coordinator the JIT
// compiler still spent 30–45 µs per command after 19,200 commands (300 per client, where off and
// metrics are settled) and settled after about 40,000 (bench/README.md).
//
// ANGZARR_BENCH_OBS_SETTINGS=off,metrics (names: off, metrics, sampled, every) runs only those
// settings, ANGZARR_BENCH_OBS_ROUNDS=N that many interleaved rounds (default 5): for A/B runs of
// one part.
import { join } from "node:path";
import { gatewayLoad } from "./commands-gateway.bench";
import { compiledCounter } from "./fixtures/counter";
import { startOtlpSink } from "./fixtures/otlp-sink-process";
import { cpuMsOf, threadCpuMsOf } from "./fixtures/proc-cpu";
import type { BenchReporter } from "./harness";

const CLIENTS = 64;
const PER_CLIENT = 150;
/** Interleaved rounds (each setting once per round); the shares of off are medians of the rounds' pairs. */
const ROUNDS = 5;
/** Commands per client before the timed run: past the JIT's warm-up with tracing on too. */
const WARM_UP = 640;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

interface Run {
  commands: number;
  commandsPerSecond: number;
  /** Coordinator + handler program CPU per command over the timed run, microseconds. */
  cpuMicros: number;
  /** The coordinator's part of it. */
  coordinatorMicros: number;
  /** Where each process's CPU went, by thread (JavaScript, JIT, GC, allocator), µs per command. */
  threads: string;
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

/** The OTEL_* variables of this process, left out of a coordinator started with another setting. */
const inheritedEnv = (): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")));

/** CPU ms by thread of the coordinator and of its program, named apart. */
function threadCpu(coordinator: number, program: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [who, pid] of [
    ["coordinator", coordinator],
    ["program", program],
  ] as const) {
    for (const [thread, ms] of threadCpuMsOf(pid)) out.set(`${who} ${thread}`, ms);
  }
  return out;
}

/**
 * One run: a coordinator process of its own with `setting` (started afresh, as an operator's
 * coordinator starts with its setting; one process for all settings would carry the JIT state
 * of the previous setting's code into the next run), under the gateway load.
 */
async function throughput(
  binary: string,
  setting: Setting,
  sinkEndpoint: string,
): Promise<Omit<Run, "spans">> {
  const env = {
    ...inheritedEnv(),
    ...(setting.tracing
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: sinkEndpoint,
          // Metrics are scraped (GET /metrics), not pushed, as in the other settings.
          OTEL_METRICS_EXPORTER: "none",
          ...setting.tracing,
        }
      : {}),
  };
  const coordinator = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "fixtures", "observed-standalone.ts"),
      binary,
      setting.measure ? "measured" : "unmeasured",
    ],
    { env, stdout: "pipe", stderr: "inherit" },
  );
  let scraper: ReturnType<typeof setInterval> | undefined;
  try {
    const reader = coordinator.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the coordinator exited before serving");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const { gateway, admin, program } = JSON.parse(text) as {
      gateway: string;
      admin: string;
      program: number;
    };
    let scrapes = 0;
    if (setting.measure) {
      scraper = setInterval(() => {
        void fetch(`${admin}/metrics`).then((r) => r.text().then(() => scrapes++));
      }, 1000);
    }
    const cpu = () => [cpuMsOf(coordinator.pid), cpuMsOf(program)] as const;
    let from = cpu();
    let spent = [0, 0];
    let threadsFrom = threadCpu(coordinator.pid, program);
    let threadsTo = threadsFrom;
    const result = await gatewayLoad(
      gateway,
      CLIENTS,
      PER_CLIENT,
      WARM_UP,
      () => {
        from = cpu();
        threadsFrom = threadCpu(coordinator.pid, program);
      },
      () => {
        const to = cpu();
        spent = [to[0] - from[0], to[1] - from[1]];
        threadsTo = threadCpu(coordinator.pid, program);
      },
    );
    const threads = [...threadsTo]
      .map(([name, ms]) => [name, ((ms - (threadsFrom.get(name) ?? 0)) * 1000) / result.commands] as const)
      .filter(([, us]) => us >= 1)
      .map(([name, us]) => `${name} ${Math.round(us)}`)
      .join(", ");
    if (setting.measure && scrapes === 0) await (await fetch(`${admin}/metrics`)).text();
    return {
      commands: result.commands,
      commandsPerSecond: result.commands / (result.ms / 1000),
      cpuMicros: (((spent[0] ?? 0) + (spent[1] ?? 0)) * 1000) / result.commands,
      coordinatorMicros: ((spent[0] ?? 0) * 1000) / result.commands,
      threads,
    };
  } finally {
    if (scraper) clearInterval(scraper);
    // Stopping sends the coordinator's last spans (the program sent its own as it stopped).
    coordinator.kill("SIGTERM");
    await coordinator.exited;
  }
}

export default async function (r: BenchReporter): Promise<void> {
  const wanted = (process.env.ANGZARR_BENCH_OBS_SETTINGS ?? "off,metrics,sampled,every").split(",");
  const settings = SETTINGS.filter((s) => wanted.includes(s.key));
  if (!settings.some((s) => s.key === "off")) throw new Error("ANGZARR_BENCH_OBS_SETTINGS must include off");
  const rounds = Number(process.env.ANGZARR_BENCH_OBS_ROUNDS ?? ROUNDS);
  const binary = await compiledCounter();
  const sink = await startOtlpSink();
  const received = sink.received;
  const run = async (setting: Setting): Promise<Run> => {
    const before = await received();
    const measured = await throughput(binary, setting, sink.endpoint);
    const sent = measured.commands + CLIENTS * WARM_UP;
    return { ...measured, spans: setting.tracing ? ((await received()) - before) / sent : 0 };
  };
  // Interleaved rounds, so that the machine's drift (it is shared) falls on every setting alike.
  const runs = new Map<Setting["key"], Run[]>(settings.map((s) => [s.key, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      const load = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
      r.progress(
        `round ${round}/${rounds} (${CLIENTS}×${WARM_UP} warm-up, ${CLIENTS}×${PER_CLIENT} timed each; load ${load})`,
      );
      // Each round starts one setting later (off first, then second, ...): a setting's place in
      // the round (what ran just before it) falls on every setting alike.
      const order = settings.map((_, i) => settings[(i + round - 1) % settings.length] as Setting);
      for (const setting of order) {
        const one = await run(setting);
        runs.get(setting.key)?.push(one);
        r.progress(
          `  ${setting.label}: ${Math.round(one.commandsPerSecond)} commands/s, ${Math.round(one.cpuMicros)} µs CPU per command (coordinator ${Math.round(one.coordinatorMicros)}); by thread: ${one.threads}`,
        );
      }
    }
    if (settings.some((s) => s.key === "every") && (await received()) === 0)
      throw new Error("no span reached the OTLP sink: the 'every span' runs measured nothing");
  } finally {
    await sink.stop();
  }
  const of = (key: Setting["key"], figure: (run: Run) => number) => (runs.get(key) ?? []).map(figure);
  const off = runs.get("off") ?? [];
  /** Each round's run of `key` against the same round's off run (paired), by `figure`. */
  const paired = (key: Setting["key"], figure: (run: Run) => number) =>
    (runs.get(key) ?? []).map((x, i) => figure(x) / figure(off[i] as Run));
  const rate = (x: Run) => x.commandsPerSecond;
  const cpu = (x: Run) => x.cpuMicros;
  for (const setting of settings) {
    r.record({
      name: `commands/s, ${setting.label}`,
      value: median(of(setting.key, rate)),
      unit: "commands/s",
      budget: null,
      better: "higher",
    });
    r.record({
      name: `coordinator + program CPU per command, ${setting.label}`,
      value: median(of(setting.key, cpu)),
      unit: "µs",
      budget: null,
      better: "lower",
    });
    if (setting.key === "off") continue;
    const rates = paired(setting.key, rate);
    const cpus = paired(setting.key, cpu);
    r.record({
      name: `throughput with ${setting.label}, share of off`,
      value: median(rates),
      unit: "ratio",
      budget: 0.9,
      better: "higher",
    });
    r.record({
      name: `CPU per command with ${setting.label}, share of off`,
      value: median(cpus),
      unit: "ratio",
      budget: 1.1,
      better: "lower",
    });
    const listed = (values: number[]) => values.map((v) => v.toFixed(3)).join(", ");
    r.progress(
      `${setting.label} vs off, round by round: throughput ${listed(rates)}; CPU per command ${listed(cpus)}`,
    );
    if (setting.key === "every") {
      // What "every span" exported: a batch processor drops spans when its queue overflows, which
      // would make the runs cheaper than what they claim to measure.
      r.record({
        name: "spans received by the collector per command, tracing (every span) on",
        value: median(of("every", (x) => x.spans)),
        unit: "spans",
        budget: null,
        better: "higher",
      });
    }
  }
}
