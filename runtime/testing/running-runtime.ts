// `angzarr standalone` as a real child process for operator-facing tests (CLI, metrics, traces):
// two synthetic aggregates (`src`, `ledger`) and the synthetic saga, process manager and projector
// (reactive-components.ts), each its own program, with SQLite under a temp data folder.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { LEDGER, SOURCE, WATCH } from "./fixtures/reactive-components";
import { fixture, removeDir, tempDir, waitFor } from "./processes";

const ROOT = join(import.meta.dir, "..", "..");
export const CLI = join(ROOT, "runtime", "cli", "main.ts");

export interface RunningRuntime {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  dir: string;
  port: number;
  url: string;
  /** The admin listener (operator services, /metrics). */
  adminPort: number;
  adminUrl: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * The YAML configuration of the synthetic system. Without the `ledger` aggregate (`ledger: false`)
 * the saga's and the PM's commands are refused; with `picky: true` a projector dead-letters every
 * `src` event whose text is "poison".
 */
export function syntheticConfig(
  options: { ledger?: boolean; picky?: boolean; extra?: string; storage?: string } = {},
): string {
  const agg = echoAggregateLine;
  const agent = reactiveAgentLine;
  return [
    `storage: ${options.storage ?? "{ backend: sqlite }"}`,
    "reactive: { pollMs: 100, retry: { attempts: 2, initialMs: 10, maxMs: 50 } }",
    // How long a program may take to start and answer: a busy 2-core machine needs seconds per
    // `bun` start, and a distributed run starts eleven processes at once.
    "handlers: { healthTimeoutMs: 60000 }",
    options.extra ?? "",
    "components:",
    agg(SOURCE),
    ...(options.ledger === false ? [] : [agg(LEDGER)]),
    agent("saga-src-ledger", "saga", "saga"),
    agent("pmg-watch", "process_manager", "pm", `, stateDomain: ${WATCH}`),
    agent("projector-tally", "projector", "projector"),
    ...(options.picky ? [agent("projector-picky", "projector", "picky")] : []),
    "",
  ].join("\n");
}

/** A config `components:` line: a fixture aggregate program (default the echo one) owning `domain`. */
export function echoAggregateLine(domain: string, program = "echo-agg"): string {
  const bun = JSON.stringify(process.execPath);
  return `  - { name: ${domain}, kind: aggregate, command: [${bun}, ${JSON.stringify(fixture(program))}, --domain, ${domain}] }`;
}

/** A config `components:` line: the reactive fixture program in `role` (reactive-agent.ts). */
export function reactiveAgentLine(name: string, kind: string, role: string, more = ""): string {
  const bun = JSON.stringify(process.execPath);
  return `  - { name: ${name}, kind: ${kind}, command: [${bun}, ${JSON.stringify(fixture("reactive-agent"))}, --role, ${role}]${more} }`;
}

/** The command line of `angzarr standalone` on a free port with the given config and data folder. */
export function standaloneCommand(config: string, data: string, extra: string[] = []): string[] {
  return [process.execPath, CLI, "standalone", "--config", config, "--port", "0", "--data", data, ...extra];
}

/** Starts the runtime on a free port and waits for its listening line. */
export async function startRuntime(
  options: { env?: Record<string, string>; config?: string; args?: string[] } = {},
): Promise<RunningRuntime> {
  const dir = tempDir("az-ops-");
  const config = join(dir, "angzarr.yaml");
  writeFileSync(config, options.config ?? syntheticConfig());
  const proc = Bun.spawn(standaloneCommand(config, dir, options.args), {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ANGZARR_LOG: "warn", ...options.env },
  });
  const out = { text: "" };
  const err = { text: "" };
  const pump = async (stream: ReadableStream<Uint8Array>, sink: { text: string }) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) sink.text += decoder.decode(chunk, { stream: true });
  };
  void pump(proc.stdout, out);
  void pump(proc.stderr, err);
  let port = 0;
  let adminPort = 0;
  try {
    await waitFor(
      "the runtime's listening line",
      () => {
        if (proc.exitCode !== null) throw new Error(`runtime exited ${proc.exitCode}: ${err.text}`);
        port = Number(/gateway listening on 127\.0\.0\.1:(\d+)/.exec(out.text)?.[1] ?? 0);
        adminPort = Number(/admin listening on 127\.0\.0\.1:(\d+)/.exec(out.text)?.[1] ?? 0);
        return port > 0 && adminPort > 0;
      },
      60_000,
    );
  } catch (error) {
    proc.kill("SIGKILL");
    await proc.exited;
    removeDir(dir);
    throw error;
  }
  return {
    proc,
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    adminPort,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    stdout: () => out.text,
    stderr: () => err.text,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(timer);
      removeDir(dir);
    },
  };
}

/** Runs a CLI command to completion. */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ANGZARR_LOG: "warn", ...env },
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}
