// `angzarr standalone` runs under the runtime's GC policy: the process started again itself with
// the JavaScriptCore options in its environment (same pid), and serves; an option the operator
// set is kept.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { removeDir, tempDir, waitFor } from "../testing/processes";
import { GC_POLICY } from "./gc-policy";

const ROOT = join(import.meta.dir, "..", "..");
const CLI = join(ROOT, "runtime", "cli", "main.ts");

let dir: string;
let running: Subprocess<"ignore", "pipe", "ignore"> | undefined;

beforeEach(() => {
  dir = tempDir("az-gc-policy-");
});
afterEach(async () => {
  running?.kill("SIGKILL");
  await running?.exited;
  running = undefined;
  removeDir(dir);
});

/** Starts a standalone runtime with no programs; its environment once it listens. */
async function standaloneEnv(extra: Record<string, string>): Promise<Map<string, string>> {
  const config = join(dir, "angzarr.yaml");
  writeFileSync(config, "storage: { backend: memory }\ncomponents: []\n");
  const env: Record<string, string | undefined> = { ...process.env, ANGZARR_LOG: "warn", ...extra };
  for (const name of Object.keys(GC_POLICY)) if (!(name in extra)) delete env[name];
  const proc = Bun.spawn(
    [process.execPath, CLI, "standalone", "--config", config, "--port", "0", "--data", dir],
    {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
      env,
    },
  );
  running = proc;
  let out = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  await waitFor("the listening line", () => /listening on 127\.0\.0\.1:\d+/.test(out), 40_000);
  const entries = readFileSync(`/proc/${proc.pid}/environ`, "utf8").split("\0").filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

test.if(process.platform === "linux")(
  "standalone starts again under the policy, in the same process",
  async () => {
    const env = await standaloneEnv({});
    for (const [name, value] of Object.entries(GC_POLICY)) expect(env.get(name)).toBe(value);
    expect(env.get("ANGZARR_LOG")).toBe("warn");
  },
  60_000,
);

test.if(process.platform === "linux")(
  "an option the operator set is kept",
  async () => {
    const mine = Object.fromEntries(Object.keys(GC_POLICY).map((name) => [name, "0.9"]));
    const env = await standaloneEnv(mine);
    for (const name of Object.keys(GC_POLICY)) expect(env.get(name)).toBe("0.9");
  },
  60_000,
);
