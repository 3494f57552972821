// Health follows the handler programs (issue 15, defect 12): the gateway's health is NOT_SERVING
// while a program cannot be reached (killed and not restarted yet, or its socket file gone while
// it lives) and SERVING again once it answers. A real runtime with the echo fixture as a child.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@angzarr/proto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { RuntimeConfig } from "../config/load";
import { fixtureAggregate, removeDir, tempDir, testHandlerSettings, waitFor } from "../testing/processes";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../transport/message-limit";
import { type Standalone, startStandalone } from "./standalone";

let dir: string;
let app: Standalone;
let health: ReturnType<typeof createClient<typeof Health>>;

beforeAll(async () => {
  dir = tempDir("az-hr-");
  const config: RuntimeConfig = {
    source: "test",
    baseDir: dir,
    port: 0,
    host: "127.0.0.1",
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    data: dir,
    socketsDir: join(dir, "sockets"),
    storage: { backend: "sqlite", path: join(dir, "angzarr.db") },
    // A restart waits long enough for health to be seen in between.
    handlers: testHandlerSettings({ restart: { initialMs: 3_000, maxMs: 3_000 } }),
    reactive: { pollMs: 50, onFailure: "dead-letter" },
    components: [fixtureAggregate("echo", "echo-agg")],
  };
  app = await startStandalone(config, { childOutput: "ignore", print: () => {} });
  health = createClient(
    Health,
    createConnectTransport({ baseUrl: `http://127.0.0.1:${app.gatewayPort}`, httpVersion: "1.1" }),
  );
}, 60_000);

afterAll(async () => {
  await app?.stop();
  removeDir(dir);
});

const status = async () => (await health.check({ service: "" })).status;
const becomes = (want: ServingStatus, what: string) =>
  waitFor(what, async () => (await status()) === want, 20_000);

test("a killed handler program makes health NOT_SERVING until it is back", async () => {
  expect(await status()).toBe(ServingStatus.SERVING);
  const program = app.supervisor.program("agg-echo");
  const pid = program?.pid as number;
  process.kill(pid, "SIGKILL");
  await becomes(ServingStatus.NOT_SERVING, "NOT_SERVING after the kill");
  await becomes(ServingStatus.SERVING, "SERVING after the restart");
  expect(program?.pid).not.toBe(pid);
}, 60_000);

test("a handler program whose socket is gone is unreachable: NOT_SERVING, until it is restarted", async () => {
  expect(await status()).toBe(ServingStatus.SERVING);
  const program = app.supervisor.program("agg-echo");
  rmSync(program?.socket as string);
  await becomes(ServingStatus.NOT_SERVING, "NOT_SERVING without the socket");
  process.kill(program?.pid as number, "SIGKILL");
  await becomes(ServingStatus.SERVING, "SERVING after the restart");
}, 60_000);
