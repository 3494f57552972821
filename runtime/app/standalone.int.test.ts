// The standalone composition, in process: gateway → pipeline → supervised handler programs
// (synthetic fixtures on real sockets) → storage.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { AnyPayload, CommandGateway, type CommandResponse, EventPages } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { RuntimeConfig } from "../config/load";
import {
  echoCommand,
  fixtureAggregate,
  multiCommand,
  newRoot,
  removeDir,
  tempDir,
  testHandlerSettings,
  waitFor,
} from "../testing/processes";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../transport/message-limit";
import { type Standalone, startStandalone } from "./standalone";

function summary(response: CommandResponse): [number, string][] {
  return (response.events?.pages ?? []).map((p) => [
    EventPages.sequence(p) ?? -1,
    AnyPayload.unpack(p.event, StringValueSchema).value,
  ]);
}

describe("startStandalone", () => {
  let dir: string;
  let app: Standalone | undefined;
  const printed: string[] = [];

  const start = async () => {
    const config: RuntimeConfig = {
      source: "test",
      baseDir: dir,
      port: 0,
      host: "127.0.0.1",
      data: dir,
      socketsDir: join(dir, "sockets"),
      storage: { backend: "sqlite", path: join(dir, "angzarr.db") },
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      handlers: testHandlerSettings(),
      reactive: { pollMs: 50, onFailure: "dead-letter" },
      components: [fixtureAggregate("echo", "echo-agg"), fixtureAggregate("multi", "multi-agg")],
    };
    app = await startStandalone(config, { childOutput: "ignore", print: (line) => printed.push(line) });
    const transport = createConnectTransport({
      baseUrl: `http://127.0.0.1:${app.gatewayPort}`,
      httpVersion: "1.1",
      useBinaryFormat: true,
    });
    return { app, gateway: createClient(CommandGateway, transport) };
  };

  beforeEach(() => {
    dir = tempDir();
    chmodSync(dir, 0o755); // as a folder the user made; the runtime closes it
    printed.length = 0;
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    removeDir(dir);
  });

  test("commands flow through the gateway to the handler programs and are stored", async () => {
    const { app, gateway } = await start();
    expect(printed).toEqual([
      `angzarr gateway listening on 127.0.0.1:${app.gatewayPort}`,
      `angzarr admin listening on 127.0.0.1:${app.admin.port} (console: ${app.admin.url}/console)`,
    ]);
    // Data is the runtime's alone: folders 0700, files 0600 (and so for what children create).
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "angzarr.db"))).toBe(0o600);
    expect(mode(join(dir, "angzarr.db-wal"))).toBe(0o600);
    expect(mode(join(dir, "sockets"))).toBe(0o700);
    expect(mode(join(dir, "read-models"))).toBe(0o700);
    expect(process.umask() & 0o077).toBe(0o077);
    // The console lives on the admin listener only.
    expect((await fetch(`http://127.0.0.1:${app.gatewayPort}/console`)).status).toBe(404);
    const page = await fetch(`${app.admin.url}/console`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    const root = newRoot();
    expect(summary(await gateway.execute(echoCommand("echo", root, "one", 0)))).toEqual([[0, "one"]]);
    expect(summary(await gateway.execute(echoCommand("echo", root, "two", 1)))).toEqual([[1, "two"]]);

    const multi = newRoot();
    expect(summary(await gateway.execute(multiCommand("multi", multi, 3, 0)))).toEqual([
      [0, "event-0"],
      [1, "event-1"],
      [2, "event-2"],
    ]);
    expect(summary(await gateway.execute(multiCommand("multi", multi, 2, 3)))).toEqual([
      [3, "event-0"],
      [4, "event-1"],
    ]);
  });

  test("a handler killed mid-command: UNAVAILABLE to the client, restarted, nothing lost", async () => {
    const { app, gateway } = await start();
    const root = newRoot();
    await gateway.execute(echoCommand("echo", root, "before", 0));
    const program = app.supervisor.program("agg-echo");
    const pid = program?.pid as number;

    const inFlight = gateway.execute(echoCommand("echo", root, "sleep:5000", 1)).then(
      () => undefined,
      (err: unknown) => ConnectError.from(err),
    );
    await Bun.sleep(150);
    process.kill(pid, "SIGKILL");
    const err = await inFlight;
    expect(err?.code).toBe(Code.Unavailable);

    await waitFor("restart", () => program?.state === "ready" && program.pid !== pid);
    // The aborted command stored nothing: the aggregate continues at sequence 1.
    expect(summary(await gateway.execute(echoCommand("echo", root, "after", 1)))).toEqual([[1, "after"]]);
  });
});
