// Reliability row (`bun run test:reliability`; quick in `bun run test`): kill -9 of the whole
// runtime or of a single handler program at a seeded random point while clients write, round
// after round on the same SQLite data folder. Every acknowledged command must be stored exactly
// once at the end; a killed handler must cost its callers UNAVAILABLE only, never the runtime.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnyPayload, CommandGateway, EventBookSchema, EventBooks, Uuid } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { openStorage } from "../storage/open";
import { childPids, echoCommand, fixture, isAlive, removeDir, tempDir, waitFor } from "../testing/processes";
import { recordRow, scaled, seeded } from "../testing/reliability";

const CLI = join(import.meta.dir, "..", "cli", "main.ts");
let dir: string;
let config: string;

beforeAll(() => {
  dir = tempDir("az-kill-");
  config = join(dir, "angzarr.yaml");
  writeFileSync(
    config,
    [
      "storage: { backend: sqlite }",
      "handlers: { healthTimeoutMs: 20000, stopGraceMs: 2000, restart: { initialMs: 20, maxMs: 200 } }",
      "components:",
      `  - { name: echo, kind: aggregate, command: [bun, ${JSON.stringify(fixture("echo-agg"))}] }`,
    ].join("\n"),
  );
});

afterAll(() => removeDir(dir));

async function startRuntime(): Promise<{ proc: Bun.Subprocess<"ignore", "pipe", "pipe">; port: number }> {
  const proc = Bun.spawn(
    [process.execPath, CLI, "standalone", "--config", config, "--port", "0", "--data", dir],
    {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ANGZARR_LOG: "error" },
    },
  );
  let out = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  void new Response(proc.stderr).text();
  let port = 0;
  await waitFor(
    "the runtime's listening line",
    () => {
      const m = /angzarr gateway listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) port = Number(m[1]);
      if (proc.exitCode !== null) throw new Error(`runtime exited ${proc.exitCode}`);
      return port > 0;
    },
    60_000,
  );
  return { proc, port };
}

test("kill -9 of the runtime or a handler program at random points during load", async () => {
  const rounds = scaled(2, 20);
  const random = seeded(1515);
  const writers = 4;
  const roots = Array.from({ length: writers }, () => Uuid.randomBytes());
  const next = roots.map(() => 0);
  const acked = new Set<string>();
  let tried = 0;
  let wrong = 0;
  let crashes = 0;
  const wrongExamples: string[] = [];

  for (let round = 0; round < rounds; round++) {
    const killRuntime = round % 2 === 0;
    const { proc, port } = await startRuntime();
    const client = createClient(
      CommandGateway,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${port}`,
        httpVersion: "1.1",
        useBinaryFormat: true,
      }),
    );
    let stop = false;
    let killed = false;
    const load = Promise.all(
      roots.map(async (root, w) => {
        for (let i = 0; !stop; i++) {
          const value = `r${round}-w${w}-${i}`;
          tried++;
          try {
            const res = await client.execute(echoCommand("echo", root, value, next[w]));
            next[w] = EventBooks.nextSequence(res.events);
            acked.add(value);
          } catch (err) {
            const e = ConnectError.from(err);
            const told = e.findDetails(EventBookSchema)[0];
            if (e.code === Code.Aborted && told) next[w] = EventBooks.nextSequence(told);
            // A killed runtime drops connections (any transport failure); a killed handler
            // answers UNAVAILABLE; a racing sequence answers ABORTED.
            else if (!(killRuntime && killed) && e.code !== Code.Unavailable && e.code !== Code.Aborted) {
              wrong++;
              if (wrongExamples.length < 5) wrongExamples.push(`${Code[e.code]} ${e.rawMessage}`);
            }
            if (killRuntime && killed) return;
            await Bun.sleep(5);
          }
        }
      }),
    );
    await Bun.sleep(100 + Math.floor(random() * 500));
    const children = childPids(proc.pid);
    killed = true;
    if (killRuntime) {
      proc.kill("SIGKILL");
      await proc.exited;
      // Its programs notice and exit on their own.
      await waitFor("the programs to exit", () => children.every((pid) => !isAlive(pid)), 20_000);
      stop = true;
      await load;
    } else {
      const victim = children[Math.floor(random() * children.length)];
      if (victim !== undefined) process.kill(victim, "SIGKILL");
      // The supervisor restarts it; writers carry on through it.
      await Bun.sleep(300 + Math.floor(random() * 300));
      stop = true;
      await load;
      if (proc.exitCode !== null) crashes++;
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }

  const storage = await openStorage({ backend: "sqlite", path: join(dir, "angzarr.db") });
  let lost = 0;
  let doubled = 0;
  try {
    for (const root of roots) {
      const values = (await storage.events.get({ domain: "echo", edition: "", root })).map(
        (p) => AnyPayload.unpack(p.event, StringValueSchema).value,
      );
      doubled += values.length - new Set(values).size;
      const held = new Set(values);
      const prefix = (v: string) => roots.findIndex((r) => r === root) === Number(/-w(\d+)-/.exec(v)?.[1]);
      for (const v of acked) if (prefix(v) && !held.has(v)) lost++;
    }
  } finally {
    await storage.close();
  }
  const row = {
    scenario: `kill -9 at a random point during load: the runtime (${Math.ceil(rounds / 2)}×) or one handler program (${Math.floor(rounds / 2)}×)`,
    tried,
    lost,
    doubled,
    crashes,
    wrongCodes: wrong,
  };
  recordRow(row);
  expect(wrongExamples).toEqual([]);
  expect(row).toMatchObject({ lost: 0, doubled: 0, crashes: 0, wrongCodes: 0 });
  expect(acked.size).toBeGreaterThan(0);
}, 900_000);
