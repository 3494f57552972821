// `angzarr standalone` as a real process: start-up with a YAML config of fixture programs,
// SIGTERM / SIGKILL leave no child process and no socket, bad configs and flags exit non-zero.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnyPayload, CommandGateway } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Subprocess } from "bun";
import {
  childPids,
  echoCommand,
  fixture,
  isAlive,
  multiCommand,
  newRoot,
  removeDir,
  tempDir,
  waitFor,
} from "../testing/processes";

const ROOT = join(import.meta.dir, "..", "..");
const CLI = join(ROOT, "runtime", "cli", "main.ts");

type Proc = Subprocess<"ignore", "pipe", "pipe">;

/** Bounds of the waits for a start-up and for the orphans' exit (guards; nothing here is timed). */
const LISTEN_MS = 60_000;
const ORPHANS_MS = 20_000;
/** Per test: a CLI start-up (or a few `bun` starts) plus what the test does once it runs. */
const TEST_MS = LISTEN_MS + 30_000;

interface Running {
  proc: Proc;
  port: number;
  stderr: () => string;
}

function run(args: string[], cwd = ROOT): Proc {
  return Bun.spawn([process.execPath, ...args], {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ANGZARR_LOG: "warn" },
  });
}

async function collect(stream: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink.text += decoder.decode(chunk, { stream: true });
}

/**
 * Starts the CLI and waits for its "listening" line. The wait is a guard, not a measurement: on a
 * busy 2-core machine one `bun` start takes seconds, and the CLI starts two more (its programs)
 * and waits for their health, so it is bounded far above that (LISTEN_MS).
 */
async function startCli(config: string, data: string): Promise<Running> {
  const proc = run([CLI, "standalone", "--config", config, "--port", "0", "--data", data]);
  const out = { text: "" };
  const err = { text: "" };
  void collect(proc.stdout, out);
  void collect(proc.stderr, err);
  let port = 0;
  await waitFor(
    "the listening line",
    () => {
      const m = /angzarr gateway listening on 127\.0\.0\.1:(\d+)/.exec(out.text);
      if (m) port = Number(m[1]);
      if (proc.exitCode !== null) throw new Error(`CLI exited ${proc.exitCode}: ${err.text}`);
      return port > 0;
    },
    LISTEN_MS,
  );
  return { proc, port, stderr: () => err.text };
}

async function finish(proc: Proc): Promise<{ code: number; stdout: string; stderr: string }> {
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

describe("angzarr standalone (process)", () => {
  let dir: string;
  let running: Proc | undefined;

  const writeConfig = (text: string) => {
    const path = join(dir, "angzarr.yaml");
    writeFileSync(path, text);
    return path;
  };

  const fixturesConfig = () =>
    writeConfig(
      [
        "storage: { backend: sqlite }",
        "handlers: { healthTimeoutMs: 30000, stopGraceMs: 2000, restart: { initialMs: 50, maxMs: 500 } }",
        "components:",
        `  - { name: echo, kind: aggregate, command: [bun, ${JSON.stringify(fixture("echo-agg"))}] }`,
        `  - { name: multi, kind: aggregate, command: [bun, ${JSON.stringify(fixture("multi-agg"))}, --domain, multi] }`,
      ].join("\n"),
    );

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    if (running && running.exitCode === null) {
      for (const pid of childPids(running.pid)) process.kill(pid, "SIGKILL");
      running.kill("SIGKILL");
      await running.exited;
    }
    running = undefined;
    removeDir(dir);
  });

  test(
    "SIGTERM stops every child program and removes the sockets",
    async () => {
      const data = join(dir, "data");
      const cli = await startCli(fixturesConfig(), data);
      running = cli.proc;
      const children = childPids(cli.proc.pid);
      expect(children.length).toBe(2);
      expect(readdirSync(join(data, "sockets")).sort()).toEqual(["agg-echo.sock", "agg-multi.sock"]);

      const transport = createConnectTransport({
        baseUrl: `http://127.0.0.1:${cli.port}`,
        httpVersion: "1.1",
        useBinaryFormat: true,
      });
      const gateway = createClient(CommandGateway, transport);
      const echoed = await gateway.execute(echoCommand("echo", newRoot(), "via cli"));
      expect(AnyPayload.unpack(echoed.events?.pages[0]?.event, StringValueSchema).value).toBe("via cli");
      expect((await gateway.execute(multiCommand("multi", newRoot(), 4))).events?.pages.length).toBe(4);

      cli.proc.kill("SIGTERM");
      expect(await cli.proc.exited).toBe(0);
      for (const pid of children) expect(isAlive(pid)).toBe(false);
      expect(readdirSync(join(data, "sockets"))).toEqual([]);
      expect(existsSync(join(data, "angzarr.db"))).toBe(true);
    },
    TEST_MS,
  );

  test(
    "SIGKILL of the coordinator: the children notice and exit on their own",
    async () => {
      const cli = await startCli(fixturesConfig(), join(dir, "data"));
      running = cli.proc;
      const children = childPids(cli.proc.pid);
      expect(children.length).toBe(2);
      cli.proc.kill("SIGKILL");
      await cli.proc.exited;
      await waitFor("orphans to exit", () => children.every((pid) => !isAlive(pid)), ORPHANS_MS);
    },
    TEST_MS,
  );

  test(
    "an unknown key: the key path and the file on stderr, exit 2",
    async () => {
      const config = writeConfig("port: 0\nhandlers:\n  timeout: 5\n");
      const { code, stderr } = await finish(run([CLI, "standalone", "--config", config]));
      expect(code).toBe(2);
      expect(stderr).toContain(config);
      expect(stderr).toContain("handlers.timeout: unknown key");
    },
    TEST_MS,
  );

  test(
    "a wrong type: the key path and the file on stderr, exit 2",
    async () => {
      const config = writeConfig(
        'port: "eighty"\ncomponents:\n  - { name: a, kind: aggregat, socket: a.sock }\n',
      );
      const { code, stderr } = await finish(run([CLI, "standalone", "--config", config]));
      expect(code).toBe(2);
      expect(stderr).toContain(config);
      expect(stderr).toContain('port: expected number, got string "eighty"');
      expect(stderr).toContain("components[0].kind: expected one of");
    },
    TEST_MS,
  );

  test(
    "bad flags exit 2 with a message; --help exits 0",
    async () => {
      const unknown = await finish(run([CLI, "standalone", "--prot", "1"]));
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toBe("angzarr: unknown option --prot (see angzarr --help)\n");
      const port = await finish(run([CLI, "standalone", "--port", "http"]));
      expect(port.code).toBe(2);
      expect(port.stderr).toContain('--port expects an integer 0..65535, got "http"');
      const command = await finish(run([CLI, "serve"]));
      expect(command.code).toBe(2);
      expect(command.stderr).toStartWith("angzarr: unknown command serve (commands: standalone, ");
      const help = await finish(run([CLI, "standalone", "--help"]));
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("--config FILE");
    },
    TEST_MS,
  );

  test(
    "`bun start -- <flags>` passes the flags to `angzarr standalone`",
    async () => {
      const { code, stderr } = await finish(run(["run", "start", "--", "--port", "99999"]));
      expect(code).toBe(2);
      expect(stderr).toContain('--port expects an integer 0..65535, got "99999"');
    },
    TEST_MS,
  );
});
