// Runs the acceptance features in gateway mode: against a runtime in its own process, reached
// only through its gateway. Starts `angzarr standalone --port 0 --data <temp folder>`, waits for
// its "listening" line, runs features/run.ts with ANGZARR_TEST_MODE=gateway (the runtime's data
// folder in ANGZARR_DATA, so a scenario can kill one of its programs or write beside it), then
// stops the runtime (SIGTERM) and removes the folder. Exit code: the features' own.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { STARTUP_HEALTH_MS } from "./steps/acceptance/backend";

const root = join(import.meta.dir, "..");
/** The runtime may take a while to get every program healthy on a busy machine. */
const START_TIMEOUT_MS = STARTUP_HEALTH_MS + 30_000;
const STOP_TIMEOUT_MS = 15_000;

const data = mkdtempSync(join(tmpdir(), "acc-gw-"));
// Every example program, with room to start on a busy machine (see STARTUP_HEALTH_MS).
const config = join(data, "angzarr.yaml");
writeFileSync(config, `handlers: { healthTimeoutMs: ${STARTUP_HEALTH_MS} }\n`);
const runtime = Bun.spawn(
  [
    process.execPath,
    join(root, "runtime", "cli", "main.ts"),
    "standalone",
    "--config",
    config,
    "--port",
    "0",
    "--data",
    data,
  ],
  {
    cwd: root,
    env: { ...process.env, ANGZARR_LOG: process.env.ANGZARR_LOG ?? "error" },
    stdout: "pipe",
    stderr: "inherit",
  },
);

/** Reads the runtime's stdout until it says where the gateway listens. */
async function listening(): Promise<string> {
  const reader = runtime.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = setTimeout(() => runtime.kill("SIGTERM"), START_TIMEOUT_MS);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the runtime exited before listening:\n${text}`);
      text += decoder.decode(value, { stream: true });
      const m = /angzarr gateway listening on ([\w.:-]+):(\d+)/.exec(text);
      if (m) return `http://${m[1]}:${m[2]}`;
    }
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
    // Keep draining so the runtime never blocks on a full pipe.
    void runtime.stdout.pipeTo(new WritableStream()).catch(() => undefined);
  }
}

async function stop(): Promise<void> {
  runtime.kill("SIGTERM");
  const timer = setTimeout(() => runtime.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await runtime.exited;
  clearTimeout(timer);
}

let code = 1;
try {
  const url = await listening();
  console.log(`acceptance (gateway mode): runtime pid ${runtime.pid} at ${url}`);
  const features = Bun.spawn([process.execPath, join(import.meta.dir, "run.ts")], {
    cwd: root,
    env: {
      ...process.env,
      ANGZARR_FEATURES: "acceptance",
      ANGZARR_TEST_MODE: "gateway",
      ANGZARR_GATEWAY_URL: url,
      ANGZARR_DATA: data,
    },
    stdout: "inherit",
    stderr: "inherit",
  });
  code = await features.exited;
} catch (err) {
  console.error((err as Error).message);
  console.log("0 scenarios (0 passed)");
} finally {
  await stop();
  rmSync(data, { recursive: true, force: true });
}
process.exit(code);
