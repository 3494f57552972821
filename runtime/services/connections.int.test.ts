// Connection hygiene of the gateway: idle and half-open connections are closed after the idle
// timeout (a bare HTTP/2 preface, half an HTTP/1.1 header, a finished HTTP/2 client), open calls
// keep theirs, and one client address cannot hold more than its share of connections.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { CommandGateway, Uuid } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { text } from "./testing/clients";
import { ECHO_DOMAIN, echoAggregate } from "./testing/echo-aggregate";
import { aggregateEntry, command, startTestRuntime, type TestRuntime } from "./testing/harness";

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime([aggregateEntry(echoAggregate())], {
    idleTimeoutMs: 300,
    maxConnectionsPerClient: 8,
  });
});
afterAll(async () => {
  await rt.stop();
});

/** Opens a raw TCP connection, writes `bytes`, resolves with a promise of its close. */
async function rawConnection(bytes: string): Promise<{ closed: Promise<void>; socket: net.Socket }> {
  return rawConnectionTo(rt.gateway.port, bytes);
}

async function rawConnectionTo(
  port: number,
  bytes: string,
): Promise<{ closed: Promise<void>; socket: net.Socket }> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.on("data", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  if (bytes) socket.write(bytes);
  return { closed, socket };
}

/** True when `p` settles within `ms` (generous: closing is what is checked, not its speed). */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), Bun.sleep(ms).then(() => false)]);
}

describe("gateway connections", () => {
  test("a bare HTTP/2 preface, a half HTTP/1.1 header and a silent socket are closed after the idle timeout", async () => {
    const preface = await rawConnection("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const half = await rawConnection("POST /angzarr.CommandGateway/Execute HTTP/1.1\r\nHost: x\r\n");
    const silent = await rawConnection("");
    for (const c of [preface, half, silent]) expect(await within(c.closed, 15_000)).toBe(true);
  });

  test("a client's calls work; more than the cap per address are refused at once; once they go it connects again", async () => {
    // Its own runtime with a long idle timeout, so every close seen here is the cap's refusal.
    const capped = await startTestRuntime([aggregateEntry(echoAggregate())], {
      idleTimeoutMs: 60_000,
      maxConnectionsPerClient: 8,
    });
    try {
      const gateway = createClient(CommandGateway, capped.connectHttp1());
      const root = Uuid.randomBytes();
      await gateway.execute(command(ECHO_DOMAIN, root, StringValueSchema, text("one")));
      const many = await Promise.all(
        Array.from({ length: 20 }, () => rawConnectionTo(capped.gateway.port, "")),
      );
      // At most 8 from 127.0.0.1 at a time (the client's kept-alive connection may hold one).
      let closed = 0;
      for (const c of many) void c.closed.then(() => closed++);
      const guard = Date.now() + 15_000;
      while (closed < 12 && Date.now() < guard) await Bun.sleep(10);
      expect(closed).toBeGreaterThanOrEqual(12);
      expect(many.filter((c) => !c.socket.destroyed).length).toBeGreaterThanOrEqual(7);
      for (const c of many) c.socket.destroy();
      await Promise.all(many.map((c) => c.closed));
      // Once they are gone the client gets a connection again.
      await gateway.execute(command(ECHO_DOMAIN, root, StringValueSchema, text("two"), 1));
    } finally {
      await capped.stop();
    }
  });
});
