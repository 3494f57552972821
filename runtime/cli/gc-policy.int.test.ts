// `angzarr standalone` runs under the runtime's GC policy: the process started again itself with
// the JavaScriptCore options in its environment (same pid), and serves; an option the operator
// set is kept. A distributed role runs under ROLE_POLICY, and so does the handler program it spawns.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SQL, type Subprocess } from "bun";
import { childPids, fixture, removeDir, tempDir, waitFor } from "../testing/processes";
import { GC_POLICY, ROLE_POLICY } from "./gc-policy";

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
    // The allocator option is the distributed roles' (their RSS was measured with it).
    expect(env.get("MIMALLOC_PURGE_HOLES")).toBe(process.env.MIMALLOC_PURGE_HOLES);
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

test.if(process.platform === "linux")(
  "a distributed role starts again under ROLE_POLICY, and its handler program inherits it",
  async () => {
    const pgUrl = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const schema = `gcpolicy_${Math.random().toString(36).slice(2, 8)}`;
    const config = join(dir, "angzarr.yaml");
    writeFileSync(
      config,
      [
        `storage: { backend: postgres, url: "${pgUrl}", schema: ${schema} }`,
        "components:",
        `  - { name: echo, kind: aggregate, command: [bun, "${fixture("echo-agg")}", --domain, echo] }`,
      ].join("\n"),
    );
    const env: Record<string, string | undefined> = {
      ...process.env,
      ANGZARR_LOG: "warn",
      ANGZARR_BUS_PREFIX: `gcpolicy-${schema}`,
    };
    for (const name of Object.keys(ROLE_POLICY)) delete env[name];
    const proc = Bun.spawn(
      [
        process.execPath,
        CLI,
        "aggregate",
        "--domain",
        "echo",
        "--config",
        config,
        "--port",
        "0",
        "--data",
        dir,
      ],
      { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "ignore", env },
    );
    running = proc;
    try {
      let out = "";
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
      })();
      await waitFor("the listening line", () => / listening on /.test(out), 60_000);
      const role = environOf(proc.pid);
      for (const [name, value] of Object.entries(ROLE_POLICY)) expect(role.get(name)).toBe(value);
      const [handler] = childPids(proc.pid);
      expect(handler).toBeDefined();
      const program = environOf(handler as number);
      for (const [name, value] of Object.entries(ROLE_POLICY)) expect(program.get(name)).toBe(value);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      running = undefined;
      const sql = new SQL(pgUrl);
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await sql.close();
    }
  },
  90_000,
);

/** A process's environment, from /proc. */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}
