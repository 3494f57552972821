// One runtime per data folder (issue 15, defect 12): a second start on the same folder is refused
// with one line naming the holder, a stale lock (its process gone) is taken over, and a port in
// use is reported before any handler program is spawned.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { CommandGateway } from "@angzarr/proto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { RuntimeConfig } from "../config/load";
import {
  echoCommand,
  fixtureAggregate,
  newRoot,
  removeDir,
  tempDir,
  testHandlerSettings,
} from "../testing/processes";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../transport/message-limit";
import { LOCK_FILE, StartRefusedError } from "./data-lock";
import { type Standalone, startStandalone } from "./standalone";

let dir: string;
const running: Standalone[] = [];

const config = (port = 0): RuntimeConfig => ({
  source: "test",
  baseDir: dir,
  port,
  host: "127.0.0.1",
  data: dir,
  socketsDir: join(dir, "sockets"),
  storage: { backend: "sqlite", path: join(dir, "angzarr.db") },
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  handlers: testHandlerSettings(),
  reactive: { pollMs: 50, onFailure: "dead-letter" },
  components: [fixtureAggregate("echo", "echo-agg")],
});

const start = async (port = 0) => {
  const app = await startStandalone(config(port), { childOutput: "ignore", print: () => {} });
  running.push(app);
  return app;
};

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: Error) => err,
  );

beforeEach(() => {
  dir = tempDir("az-lock-");
});
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop();
  removeDir(dir);
});

describe("the data folder's lock", () => {
  test("a second runtime on the same folder is refused, naming the holder; the first serves on", async () => {
    const first = await start();
    const err = await refusal(start());
    expect(err).toBeInstanceOf(StartRefusedError);
    expect(err?.message).toBe(
      `the data folder ${dir} is in use by another runtime (pid ${process.pid}, gateway port ${first.gatewayPort}): stop it, or give this one another --data`,
    );
    const gateway = createClient(
      CommandGateway,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${first.gatewayPort}`, httpVersion: "1.1" }),
    );
    expect((await gateway.execute(echoCommand("echo", newRoot(), "still here"))).events?.pages).toHaveLength(
      1,
    );
    await first.stop();
    running.length = 0;
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  test("a lock left by a process that is gone (kill -9) is taken over", async () => {
    const gone = Bun.spawnSync(["true"]).pid;
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: gone, port: 1 }));
    const app = await start();
    expect(app.gatewayPort).toBeGreaterThan(0);
  });

  test("a port in use is reported before any program is spawned, naming --port", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const err = await refusal(start(port));
      expect(err?.message).toBe(`port ${port} on 127.0.0.1 is already in use: choose another with --port`);
      expect(existsSync(join(dir, "sockets"))).toBe(false);
    } finally {
      taken.close();
    }
  });
});
