// The one message limit (issue 15, defect 2): `maxMessageBytes` in the config file is what the
// gateway takes, what the coordinator sends a handler program, and what the program is told to
// accept. A real runtime (startStandalone, the echo fixture as a child process, SQLite).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommandBookSchema, CommandGateway } from "@angzarr/proto";
import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type Standalone, startStandalone } from "../app/standalone";
import { loadConfig } from "../config/load";
import { rawGrpcUnary } from "../services/testing/raw-grpc";
import { echoCommand, fixture, newRoot, removeDir, tempDir } from "../testing/processes";

const EXECUTE = "/angzarr.CommandGateway/Execute";

/** A runtime of the echo fixture with the given config lines. */
async function start(dir: string, lines: string[]): Promise<Standalone> {
  const file = join(dir, "angzarr.yaml");
  writeFileSync(
    file,
    [
      ...lines,
      "port: 0",
      "storage: { backend: sqlite }",
      "components:",
      `  - { name: echo, kind: aggregate, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture("echo-agg"))}, --domain, echo] }`,
      "",
    ].join("\n"),
  );
  const config = loadConfig({ file, env: {} });
  return startStandalone(config, { childOutput: "ignore", print: () => {} });
}

/** What each protocol answers a command: "ok" or the status code and message. */
async function answers(port: number, bytes: number, root = newRoot()) {
  const book = echoCommand("echo", root, "x".repeat(bytes));
  const url = `http://127.0.0.1:${port}`;
  const out: { protocol: string; code: Code | "ok"; message: string }[] = [];
  const raw = await rawGrpcUnary(url, EXECUTE, toBinary(CommandBookSchema, book));
  const status = Number(raw.trailers["grpc-status"] ?? raw.headers["grpc-status"] ?? -1);
  out.push({
    protocol: "grpc",
    code: status === 0 ? "ok" : (status as Code),
    message: decodeURIComponent(raw.trailers["grpc-message"] ?? raw.headers["grpc-message"] ?? ""),
  });
  for (const httpVersion of ["1.1", "2"] as const) {
    const client = createClient(CommandGateway, createConnectTransport({ baseUrl: url, httpVersion }));
    try {
      await client.execute(book);
      out.push({ protocol: `connect-h${httpVersion}`, code: "ok", message: "" });
    } catch (err) {
      const e = ConnectError.from(err);
      out.push({ protocol: `connect-h${httpVersion}`, code: e.code, message: e.rawMessage });
    }
  }
  return out;
}

describe("the default limit (64 MiB) is the handler programs' too", () => {
  let dir: string;
  let app: Standalone;
  beforeAll(async () => {
    dir = tempDir("az-lim-");
    app = await start(dir, []);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    removeDir(dir);
  });

  test("a 20 MiB command (over the programs' old 16 MiB) is accepted", async () => {
    const client = createClient(
      CommandGateway,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${app.gatewayPort}`, httpVersion: "2" }),
    );
    const response = await client.execute(echoCommand("echo", newRoot(), "x".repeat(20 * 1024 * 1024)));
    expect(response.events?.pages).toHaveLength(1);
  }, 60_000);
});

describe("a configured limit", () => {
  const LIMIT = 256 * 1024;
  let dir: string;
  let app: Standalone;
  beforeAll(async () => {
    dir = tempDir("az-lim-");
    app = await start(dir, [`maxMessageBytes: ${LIMIT}`]);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    removeDir(dir);
  });

  test("a command under it is accepted on every protocol", async () => {
    const root = newRoot();
    const [first, ...rest] = await answers(app.gatewayPort, LIMIT / 4, root);
    expect(first?.code).toBe("ok");
    // The same command again meets the aggregate's sequence: accepted and refused on its merits.
    for (const a of rest) expect(a.code).toBe(Code.Aborted);
  });

  test("a command over it is RESOURCE_EXHAUSTED naming the limit, on every protocol, and nothing is stored", async () => {
    const root = newRoot();
    for (const a of await answers(app.gatewayPort, LIMIT + 1, root)) {
      expect({ protocol: a.protocol, code: a.code }).toEqual({
        protocol: a.protocol,
        code: Code.ResourceExhausted,
      });
      expect(a.message).toContain(`over the message limit of ${LIMIT} bytes (maxMessageBytes)`);
    }
    expect(await app.storage.events.get({ domain: "echo", edition: "", root })).toHaveLength(0);
  });

  test("a command at the limit whose handler request (cover and history around it) is over it: RESOURCE_EXHAUSTED naming the limit, not sent", async () => {
    const root = newRoot();
    const client = createClient(
      CommandGateway,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${app.gatewayPort}`, httpVersion: "2" }),
    );
    // The largest command the gateway takes: exactly LIMIT bytes.
    let n = LIMIT;
    while (toBinary(CommandBookSchema, echoCommand("echo", root, "x".repeat(n))).length > LIMIT) n--;
    const err = await client
      .execute(echoCommand("echo", root, "x".repeat(n)))
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((err as ConnectError).rawMessage).toContain(`message limit of ${LIMIT} bytes (maxMessageBytes)`);
    expect(await app.storage.events.get({ domain: "echo", edition: "", root })).toHaveLength(0);
  });
});
