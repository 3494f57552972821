// The coordinator's memory under load (issue 17: "coordinator RSS during 5 minutes of 64-client
// load ≤ 150 MB and flat, no growth after the first minute"). The standalone coordinator runs as
// its own process (`bun runtime/cli/main.ts standalone --config …`: gateway, pipeline, SQLite
// store, supervisor) with the compiled counter program, and 64 clients send commands through its
// gateway for 5 minutes from the load generator's process (bench/fixtures/gateway-load.ts). The
// coordinator's VmRSS (its own process, not the handler program's) is read from /proc every second
// of the timed run. Figures: the largest sample, and the growth after the first minute: the median
// of the last minute's samples minus the median of the second minute's (budget ≤ 5 MB: "flat"
// allows the GC's swings, not a trend).
// ANGZARR_BENCH_RSS_SECONDS=180 (at least 180, so the last minute follows the second) runs a
// shorter variant: its figures carry the duration in their names and no budget, so a short run
// is never read as the issue's 5 minutes.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gatewayLoad } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import type { BenchReporter } from "./harness";

/** VmRSS and its anonymous and file-backed parts (the mapped executable, SQLite's -shm), MB. */
function rssParts(pid: number): { mb: number; anonMb: number; fileMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return {
    mb: kb("VmRSS") / 1024,
    anonMb: kb("RssAnon") / 1024,
    fileMb: (kb("RssFile") + kb("RssShmem")) / 1024,
  };
}

const CLIENTS = 64;
const FULL_SECONDS = 300;
const WARM_UP = 40;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function listening(proc: Bun.Subprocess<"ignore", "pipe", "ignore">): Promise<number> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const port = /listening on [^\n]*:(\d+)/.exec(text)?.[1];
    if (port !== undefined) {
      reader.releaseLock();
      void proc.stdout.pipeTo(new WritableStream());
      return Number(port);
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`the coordinator exited before listening:\n${text}`);
    text += decoder.decode(value, { stream: true });
  }
}

export default async function (r: BenchReporter): Promise<void> {
  const seconds = Number(process.env.ANGZARR_BENCH_RSS_SECONDS ?? FULL_SECONDS);
  if (!Number.isInteger(seconds) || seconds < 180) {
    throw new Error(`ANGZARR_BENCH_RSS_SECONDS must be an integer ≥ 180, got ${seconds}`);
  }
  const full = seconds === FULL_SECONDS;
  const dir = benchDir();
  const binary = await compiledCounter();
  const config = join(dir, "angzarr.yaml");
  writeFileSync(
    config,
    [
      `data: ${JSON.stringify(dir)}`,
      "log: error",
      "components:",
      `  - { name: counter, kind: aggregate, domain: counter, transport: connect, command: [${JSON.stringify(binary)}, --domain, counter] }`,
      "",
    ].join("\n"),
  );
  const cli = join(import.meta.dir, "..", "runtime", "cli", "main.ts");
  const argv = [process.execPath, cli, "standalone", "--config", config, "--port", "0"];
  const coordinator = Bun.spawn(argv, {
    stdout: "pipe",
    stderr: "ignore",
    stdin: "ignore",
    env: { ...process.env, ANGZARR_LOG: "error" },
  });
  try {
    const port = await listening(coordinator);
    r.progress(
      `${CLIENTS} clients through the gateway of a coordinator process for ${seconds} s (${WARM_UP} commands each to warm up), its RSS every second`,
    );
    const samples: { at: number; mb: number; anonMb: number; fileMb: number }[] = [];
    let timer: ReturnType<typeof setInterval> | undefined;
    let from = 0;
    const sample = () =>
      samples.push({ at: (performance.now() - from) / 1000, ...rssParts(coordinator.pid) });
    const { commands, ms } = await gatewayLoad(
      `http://127.0.0.1:${port}`,
      CLIENTS,
      0,
      WARM_UP,
      () => {
        from = performance.now();
        sample();
        timer = setInterval(() => {
          sample();
          const last = samples.at(-1);
          if (last !== undefined && samples.length % 60 === 0) {
            r.progress(`${Math.round(last.at)} s: RSS ${last.mb.toFixed(1)} MB`);
          }
        }, 1_000);
      },
      () => {
        clearInterval(timer);
        sample();
      },
      seconds,
    );
    if (coordinator.exitCode !== null)
      throw new Error(`the coordinator exited ${coordinator.exitCode} under load`);
    const second = samples.filter((s) => s.at >= 60 && s.at < 120).map((s) => s.mb);
    const last = samples.filter((s) => s.at >= seconds - 60).map((s) => s.mb);
    const label = `${CLIENTS} clients, ${full ? "5 min" : `${seconds} s (short variant)`}`;
    r.progress(
      `${commands.toLocaleString("en-US")} commands in ${(ms / 1000).toFixed(0)} s (${Math.round(commands / (ms / 1000))}/s), ${samples.length} samples; RSS at 1 min ${samples.find((s) => s.at >= 60)?.mb.toFixed(1)} MB, at the end ${samples.at(-1)?.mb.toFixed(1)} MB`,
    );
    const largest = samples.reduce((a, b) => (b.mb > a.mb ? b : a));
    r.progress(
      `largest sample at ${Math.round(largest.at)} s: ${largest.mb.toFixed(1)} MB = anonymous ${largest.anonMb.toFixed(1)} MB (JS heap, SQLite page cache, allocator) + file-backed ${largest.fileMb.toFixed(1)} MB (the bun executable's mapped pages, SQLite's -shm)`,
    );
    r.record({
      name: `coordinator RSS under load, largest (${label})`,
      value: Math.max(...samples.map((s) => s.mb)),
      unit: "MB",
      budget: full ? 150 : null,
      better: "lower",
    });
    if (second.length > 0) {
      r.record({
        name: `coordinator RSS growth after the first minute, last minute vs second (${label})`,
        value: median(last) - median(second),
        unit: "MB",
        budget: full ? 5 : null,
        better: "lower",
      });
    }
  } finally {
    coordinator.kill("SIGTERM");
    await coordinator.exited;
  }
}
