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
// the kernel's accounting), and that CPU by thread (JavaScript, JIT compiler, GC helpers,
// allocator). Other processes' load disturbs that figure too: one coordinator's CPU per command
// doubled within a minute when the other helpers' benches started (bench/README.md, "CPU per
// command follows the machine's load"), so settings measured a minute apart were compared under
// different loads. Each round therefore starts one coordinator per setting, warms each up, then
// times them in alternation, one at a time (a window: a fresh load generator continuing the same
// aggregates, 64×150 timed commands), each setting once per window set, for several window sets.
// A setting's share of off is the median over all window sets of its window against the same
// set's off window (seconds apart); the figures per setting are medians over its windows; the
// progress lines list every pair's ratio (the spread).
//
// Warm-up: a coordinator runs for hours, so the figure is its steady state, as for the other
// command workloads: the JIT-cold first thousands of commands cost 20–30 % more CPU each, and the
// code that only observability runs (the adapters, the SDK's span and metric paths) is cold in a
// short run, which would charge warm-up to observability. Each coordinator (every setting alike)
// gets 640 commands per client before its first window, and each window's load generator 30 more
// per client before its "timed" line (its new connections); CPU time and wall clock count from there.
// With tracing on there is about twice as much code to compile: in a fresh coordinator the JIT
// compiler still spent 30–45 µs per command after 19,200 commands (300 per client, where off and
// metrics are settled) and settled after about 40,000 (bench/README.md).
//
// A fifth coordinator, "off again", is timed like the others as a control: its share of off
// would be 1.000 on an undisturbed machine, so its spread is what the other shares can resolve.
//
// ANGZARR_BENCH_OBS_SETTINGS=off,metrics (names: off, again, metrics, sampled, every) runs only those
// settings, ANGZARR_BENCH_OBS_ROUNDS=N that many rounds of fresh coordinators (default 3) and
// ANGZARR_BENCH_OBS_WINDOWS=N that many window sets per round (default 4): for A/B runs of one part.
import { join } from "node:path";
import { gatewayLoad } from "./commands-gateway.bench";
import { compiledCounter } from "./fixtures/counter";
import { type OtlpSinkProcess, startOtlpSink } from "./fixtures/otlp-sink-process";
import { cpuMsOf, threadCpuMsOf } from "./fixtures/proc-cpu";
import { TRACE_SETTINGS } from "./fixtures/trace-settings";
import type { BenchReporter } from "./harness";

const CLIENTS = 64;
/** Timed commands per client in one window. */
const PER_CLIENT = 150;
/** Rounds: each starts a fresh coordinator per setting (a process's own luck falls on one round). */
const ROUNDS = 3;
/** Window sets per round: each setting's coordinator timed once per set, in alternation. */
const WINDOWS = 4;
/** Commands per client before the first window: past the JIT's warm-up with tracing on too. */
const WARM_UP = 640;
/** Commands per client each window's fresh load generator sends before its timed part (connections). */
const WINDOW_WARM_UP = 30;

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

interface Run {
  commands: number;
  commandsPerSecond: number;
  /** Coordinator + handler program CPU per command over the timed run, microseconds. */
  cpuMicros: number;
  /** The coordinator's part of it. */
  coordinatorMicros: number;
  /** Where each process's CPU went, by thread (JavaScript, JIT, GC, allocator), µs per command. */
  threads: string;
}

interface Setting {
  key: "off" | "again" | "metrics" | "sampled" | "every";
  label: string;
  measure: boolean;
  /** Tracing's environment; absent = tracing off. */
  tracing?: Record<string, string>;
}

const SETTINGS: Setting[] = [
  { key: "off", label: "tracing + metrics off", measure: false },
  // The control: a second coordinator with off, timed like the others. Its share of off would be
  // 1.000 on a machine that disturbed nothing; how far it is shows what the other shares can resolve.
  { key: "again", label: "off again (control: a second coordinator)", measure: false },
  { key: "metrics", label: "metrics on, tracing off", measure: true },
  {
    key: "sampled",
    label: "metrics on and 10 % of traces sampled",
    measure: true,
    tracing: { ...TRACE_SETTINGS.sampled },
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

/** A coordinator process of one setting, alive for one round. */
interface Coordinator {
  setting: Setting;
  process: ReturnType<typeof Bun.spawn>;
  gateway: string;
  admin: string;
  program: number;
  /** The sequence each client's aggregate expects next (every load continues the same aggregates). */
  sequence: number;
  /** Commands sent to it so far, warm-ups included. */
  sent: number;
}

/**
 * A coordinator process of its own with `setting` (started afresh, as an operator's coordinator
 * starts with its setting; one process for all settings would carry the JIT state of the previous
 * setting's code into the next run).
 */
async function startCoordinator(
  binary: string,
  setting: Setting,
  sink: string | undefined,
): Promise<Coordinator> {
  const env = {
    ...inheritedEnv(),
    ...(setting.tracing && sink
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink,
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
  const reader = coordinator.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the coordinator exited before serving");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const { gateway, admin, program } = JSON.parse(text) as { gateway: string; admin: string; program: number };
  return { setting, process: coordinator, gateway, admin, program, sequence: 0, sent: 0 };
}

/** Stops a coordinator: stopping sends its last spans (the program sent its own as it stopped). */
async function stopCoordinator(coordinator: Coordinator): Promise<void> {
  coordinator.process.kill("SIGTERM");
  await coordinator.process.exited;
}

/**
 * The gateway load against `coordinator` (its aggregates continued): `warmUp` commands per
 * client, then `perClient` timed; GET /metrics scraped every second meanwhile when it measures.
 */
async function load(coordinator: Coordinator, warmUp: number, perClient: number): Promise<Run> {
  const { setting, process: proc, program } = coordinator;
  let scrapes = 0;
  const scraper = setting.measure
    ? setInterval(() => {
        void fetch(`${coordinator.admin}/metrics`).then((r) => r.text().then(() => scrapes++));
      }, 1000)
    : undefined;
  try {
    const cpu = () => [cpuMsOf(proc.pid), cpuMsOf(program)] as const;
    let from = cpu();
    let spent = [0, 0];
    let threadsFrom = threadCpu(proc.pid, program);
    let threadsTo = threadsFrom;
    const result = await gatewayLoad(
      coordinator.gateway,
      CLIENTS,
      perClient,
      warmUp,
      () => {
        from = cpu();
        threadsFrom = threadCpu(proc.pid, program);
      },
      () => {
        const to = cpu();
        spent = [to[0] - from[0], to[1] - from[1]];
        threadsTo = threadCpu(proc.pid, program);
      },
      0,
      coordinator.sequence,
    );
    coordinator.sequence += warmUp + perClient;
    coordinator.sent += CLIENTS * (warmUp + perClient);
    const commands = Math.max(1, result.commands);
    const threads = [...threadsTo]
      .map(([name, ms]) => [name, ((ms - (threadsFrom.get(name) ?? 0)) * 1000) / commands] as const)
      .filter(([, us]) => us >= 1)
      .map(([name, us]) => `${name} ${Math.round(us)}`)
      .join(", ");
    if (setting.measure && scrapes === 0) await (await fetch(`${coordinator.admin}/metrics`)).text();
    return {
      commands: result.commands,
      commandsPerSecond: result.commands / (result.ms / 1000),
      cpuMicros: (((spent[0] ?? 0) + (spent[1] ?? 0)) * 1000) / commands,
      coordinatorMicros: ((spent[0] ?? 0) * 1000) / commands,
      threads,
    };
  } finally {
    if (scraper) clearInterval(scraper);
  }
}

export default async function (r: BenchReporter): Promise<void> {
  const wanted = (process.env.ANGZARR_BENCH_OBS_SETTINGS ?? "off,again,metrics,sampled,every").split(",");
  const settings = SETTINGS.filter((s) => wanted.includes(s.key));
  if (!settings.some((s) => s.key === "off")) throw new Error("ANGZARR_BENCH_OBS_SETTINGS must include off");
  const rounds = Number(process.env.ANGZARR_BENCH_OBS_ROUNDS ?? ROUNDS);
  const windows = Number(process.env.ANGZARR_BENCH_OBS_WINDOWS ?? WINDOWS);
  const binary = await compiledCounter();
  // A sink per traced setting, so that each one's spans are counted apart.
  const sinks = new Map<Setting["key"], OtlpSinkProcess>();
  for (const setting of settings) if (setting.tracing) sinks.set(setting.key, await startOtlpSink());
  const runs = new Map<Setting["key"], Run[]>(settings.map((s) => [s.key, []]));
  /** Spans each traced setting's sink received per command sent (warm-ups included), by round. */
  const spans = new Map<Setting["key"], number[]>(settings.map((s) => [s.key, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      const loadavg = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
      r.progress(
        `round ${round}/${rounds}: a coordinator per setting, ${CLIENTS}×${WARM_UP} warm-up commands each, then ${windows} window sets of ${CLIENTS}×${PER_CLIENT} timed commands per setting, in alternation (load ${loadavg})`,
      );
      const before = new Map<Setting["key"], number>();
      for (const [key, sink] of sinks) before.set(key, await sink.received());
      const coordinators: Coordinator[] = [];
      try {
        for (const setting of settings) {
          const coordinator = await startCoordinator(binary, setting, sinks.get(setting.key)?.endpoint);
          coordinators.push(coordinator);
          await load(coordinator, WARM_UP, 0);
        }
        for (let window = 0; window < windows; window++) {
          const at = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
          // Each set starts one setting later: what ran just before falls on every setting alike.
          const shift = round - 1 + window;
          const order = coordinators.map(
            (_, i) => coordinators[(i + shift) % coordinators.length] as Coordinator,
          );
          for (const coordinator of order) {
            const one = await load(coordinator, WINDOW_WARM_UP, PER_CLIENT);
            runs.get(coordinator.setting.key)?.push(one);
            r.progress(
              `  ${round}.${window + 1} (load ${at}) ${coordinator.setting.label}: ${Math.round(one.commandsPerSecond)} commands/s, ${Math.round(one.cpuMicros)} µs CPU per command (coordinator ${Math.round(one.coordinatorMicros)}); by thread: ${one.threads}`,
            );
          }
        }
      } finally {
        for (const coordinator of coordinators) await stopCoordinator(coordinator);
      }
      for (const coordinator of coordinators) {
        const sink = sinks.get(coordinator.setting.key);
        if (sink === undefined) continue;
        const got = (await sink.received()) - (before.get(coordinator.setting.key) ?? 0);
        spans.get(coordinator.setting.key)?.push(got / coordinator.sent);
      }
    }
    if (settings.some((s) => s.key === "every") && (await sinks.get("every")?.received()) === 0)
      throw new Error("no span reached the OTLP sink: the 'every span' runs measured nothing");
  } finally {
    for (const sink of sinks.values()) await sink.stop();
  }
  const of = (key: Setting["key"], figure: (run: Run) => number) => (runs.get(key) ?? []).map(figure);
  const off = runs.get("off") ?? [];
  /** Each window of `key` against the same window set's off window (paired), by `figure`. */
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
    // The control has no budget: it is the estimator's own error.
    const control = setting.key === "again";
    r.record({
      name: `throughput with ${setting.label}, share of off`,
      value: median(rates),
      unit: "ratio",
      budget: control ? null : 0.9,
      better: "higher",
    });
    r.record({
      name: `CPU per command with ${setting.label}, share of off`,
      value: median(cpus),
      unit: "ratio",
      budget: control ? null : 1.1,
      better: "lower",
    });
    const listed = (values: number[]) => values.map((v) => v.toFixed(3)).join(", ");
    r.progress(
      `${setting.label} vs off, window by window: throughput ${listed(rates)}; CPU per command ${listed(cpus)}`,
    );
    if (setting.key === "every") {
      // What "every span" exported: a batch processor drops spans when its queue overflows, which
      // would make the runs cheaper than what they claim to measure.
      r.record({
        name: "spans received by the collector per command, tracing (every span) on",
        value: median(spans.get("every") ?? []),
        unit: "spans",
        budget: null,
        better: "higher",
      });
    }
  }
}
