// The two health subcommands Kubernetes exec probes call: `<program> health` (a domain program
// asking itself over its socket) and `angzarr health` (a coordinator over its TCP port). Each
// prints exactly one line and exits 0 when SERVING, 1 when not, 2 on bad usage; no stack trace.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { fixture, removeDir, tempDir, waitFor } from "../testing/processes";

const ROOT = join(import.meta.dir, "..", "..");
const CLI = join(ROOT, "runtime", "cli", "main.ts");

async function exec(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, ...args], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ANGZARR_SOCKET: "", ANGZARR_PORT: "", ...env },
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

const oneLine = (text: string) => text.trimEnd().split("\n");

describe("health subcommands", () => {
  let dir: string;
  let running: Subprocess | undefined;

  beforeEach(() => {
    dir = tempDir("az-health-");
  });
  afterEach(async () => {
    running?.kill("SIGKILL");
    await running?.exited;
    running = undefined;
    removeDir(dir);
  });

  test("<program> health: SERVING while the program listens, one line and exit 1 once it is gone", async () => {
    const socket = join(dir, "echo.sock");
    running = Bun.spawn([process.execPath, fixture("echo-agg"), "--socket", socket], {
      stdout: "ignore",
      stderr: "ignore",
    });
    await waitFor("the socket", () => existsSync(socket), 20_000);

    const up = await exec([fixture("echo-agg"), "health", "--socket", socket]);
    expect(up).toMatchObject({ code: 0, stderr: "" });
    expect(oneLine(up.stdout)).toEqual([`SERVING unix:${socket}`]);
    // The socket may come from the environment, as in a pod.
    expect((await exec([fixture("echo-agg"), "health"], { ANGZARR_SOCKET: socket })).code).toBe(0);

    running.kill("SIGTERM");
    await running.exited;
    const down = await exec([fixture("echo-agg"), "health", "--socket", socket, "--timeout", "500"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe("");
    expect(oneLine(down.stdout)).toHaveLength(1);
    expect(down.stdout).toStartWith(`NOT_SERVING unix:${socket}: `);
  }, 60_000);

  test("<program> health: bad usage exits 2 with one line", async () => {
    const none = await exec([fixture("echo-agg"), "health"]);
    expect(none.code).toBe(2);
    expect(oneLine(none.stdout)).toEqual(["health: no socket: pass --socket PATH or set ANGZARR_SOCKET"]);
    const bad = await exec([fixture("echo-agg"), "health", "--socket", "x", "--timeout", "soon"]);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stdout)).toHaveLength(1);
  });

  test("angzarr health: SERVING from a running coordinator; NOT_SERVING from a closed port", async () => {
    const config = join(dir, "angzarr.yaml");
    writeFileSync(config, "storage: { backend: memory }\ncomponents: []\n");
    const proc = Bun.spawn(
      [process.execPath, CLI, "standalone", "--config", config, "--port", "0", "--data", dir],
      { cwd: ROOT, stdout: "pipe", stderr: "ignore", env: { ...process.env, ANGZARR_LOG: "warn" } },
    );
    running = proc;
    let out = "";
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
    })();
    let port = 0;
    await waitFor(
      "the listening line",
      () => {
        port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
        return port > 0;
      },
      40_000,
    );

    const up = await exec([CLI, "health", "--addr", `http://127.0.0.1:${port}`]);
    expect(up).toMatchObject({ code: 0, stderr: "" });
    expect(oneLine(up.stdout)).toEqual([`SERVING http://127.0.0.1:${port}`]);
    expect((await exec([CLI, "health"], { ANGZARR_PORT: String(port) })).code).toBe(0);
    const unknown = await exec([CLI, "health", "--addr", `http://127.0.0.1:${port}`, "--service", "nope"]);
    expect(unknown.code).toBe(1);

    proc.kill("SIGTERM");
    await proc.exited;
    const down = await exec([CLI, "health", "--addr", `http://127.0.0.1:${port}`, "--timeout", "500"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe("");
    expect(oneLine(down.stdout)).toHaveLength(1);
    expect(down.stdout).toStartWith(`NOT_SERVING http://127.0.0.1:${port}: `);

    const bad = await exec([CLI, "health", "--addr", "127.0.0.1:1"]);
    expect(bad.code).toBe(2);
  }, 60_000);

  test("angzarr health on an admin listener with a token: SERVING only with ANGZARR_ADMIN_TOKEN set", async () => {
    const config = join(dir, "angzarr.yaml");
    writeFileSync(config, "storage: { backend: memory }\ncomponents: []\n");
    const proc = Bun.spawn(
      [process.execPath, CLI, "standalone", "--config", config, "--port", "0", "--data", dir],
      {
        cwd: ROOT,
        stdout: "pipe",
        stderr: "ignore",
        env: { ...process.env, ANGZARR_LOG: "warn", ANGZARR_ADMIN_TOKEN: "probe-token" },
      },
    );
    running = proc;
    let out = "";
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
    })();
    let admin = 0;
    // A cold start of the runtime took over 20 s at load 60; the budget is the test's 60 s.
    await waitFor(
      "the admin listening line",
      () => {
        admin = Number(/admin listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
        return admin > 0;
      },
      40_000,
    );
    const addr = `http://127.0.0.1:${admin}`;
    const without = await exec([CLI, "health", "--addr", addr], { ANGZARR_ADMIN_TOKEN: "" });
    expect(without.code).toBe(1);
    expect(without.stdout).toStartWith(`NOT_SERVING ${addr}: `);
    const wrong = await exec([CLI, "health", "--addr", addr], { ANGZARR_ADMIN_TOKEN: "other" });
    expect(wrong.code).toBe(1);
    const right = await exec([CLI, "health", "--addr", addr], { ANGZARR_ADMIN_TOKEN: "probe-token" });
    expect(right).toMatchObject({ code: 0, stderr: "" });
    expect(oneLine(right.stdout)).toEqual([`SERVING ${addr}`]);
  }, 60_000);
});
