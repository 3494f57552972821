// The gateway's lean HTTP/1.1 loop (h1-unary.ts) on a real listener: Connect unary calls sent
// back to back (pipelined) on one connection are answered in order; a request it does not serve
// (here a plain GET) hands the connection to node:http from that request on; errors reach
// Connect clients with the code node:http's path gives; `connection: close` is honoured.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import { CommandBookSchema, CommandGateway, CommandResponseSchema, EventPages, Uuid } from "@angzarr/proto";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { text } from "./testing/clients";
import { ECHO_DOMAIN, echoAggregate } from "./testing/echo-aggregate";
import { aggregateEntry, command, startTestRuntime, type TestRuntime } from "./testing/harness";

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime([aggregateEntry(echoAggregate())]);
});
afterAll(async () => {
  await rt.stop();
});

const EXECUTE = "/angzarr.CommandGateway/Execute";

function post(root: Uint8Array, sequence: number, extra = ""): Buffer {
  const body = toBinary(
    CommandBookSchema,
    command(ECHO_DOMAIN, root, StringValueSchema, text(`s${sequence}`), sequence),
  );
  const head =
    `POST ${EXECUTE} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/proto\r\n` +
    `connect-protocol-version: 1\r\ncontent-length: ${body.length}\r\n${extra}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

/** Writes `bytes` on a fresh connection and collects everything until the server closes it. */
async function exchange(bytes: Buffer): Promise<Buffer> {
  const socket = net.connect(rt.gateway.port, "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  const closed = new Promise<void>((resolve, reject) => {
    socket.once("close", () => resolve());
    socket.once("error", reject);
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(bytes);
  await closed;
  return Buffer.concat(chunks);
}

interface Answer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Splits HTTP/1.1 responses framed by content-length; the rest (if any) is returned last. */
function answers(all: Buffer): { framed: Answer[]; rest: string } {
  const framed: Answer[] = [];
  let at = 0;
  for (;;) {
    const end = all.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const lines = all.toString("latin1", at, end).split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = headers.get("content-length");
    if (length === undefined) break;
    const start = end + 4;
    framed.push({
      status: Number(lines[0]?.split(" ")[1]),
      headers,
      body: all.subarray(start, start + Number(length)),
    });
    at = start + Number(length);
  }
  return { framed, rest: all.toString("latin1", at) };
}

describe("lean HTTP/1.1 loop for Connect unary calls", () => {
  test("pipelined calls are answered in order, then a plain GET is served by node:http", async () => {
    const root = Uuid.randomBytes();
    const get = Buffer.from(
      "GET /topology HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
      "latin1",
    );
    const all = await exchange(Buffer.concat([post(root, 0), post(root, 1), post(root, 2), get]));
    const { framed, rest } = answers(all);
    const calls = framed.slice(0, 3);
    expect(calls.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(calls.map((a) => a.headers.get("content-type"))).toEqual(Array(3).fill("application/proto"));
    const sequences = calls.map((a) =>
      fromBinary(CommandResponseSchema, a.body).events?.pages.map((p) => EventPages.sequence(p)),
    );
    expect(sequences).toEqual([[0], [1], [2]]);
    // The GET: node:http's answer (whatever its framing), with the topology's JSON.
    const tail = framed.length > 3 ? `${framed[3]?.status} ${framed[3]?.body.toString()}` : rest;
    expect(tail).toMatch(/200/);
    expect(tail).toContain("{");
  });

  test("connection: close ends the connection after the answer", async () => {
    const root = Uuid.randomBytes();
    const { framed } = answers(await exchange(post(root, 0, "connection: close\r\n")));
    expect(framed).toHaveLength(1);
    expect(framed[0]?.status).toBe(200);
    expect(framed[0]?.headers.get("connection")).toBe("close");
  });

  test("a refused command reaches a Connect client with its code", async () => {
    const client = createClient(
      CommandGateway,
      createConnectTransport({ baseUrl: rt.gateway.url, httpVersion: "1.1", useBinaryFormat: true }),
    );
    const root = Uuid.randomBytes();
    await client.execute(command(ECHO_DOMAIN, root, StringValueSchema, text("a"), 0));
    const err = await client
      .execute(command(ECHO_DOMAIN, root, StringValueSchema, text("b"), 0))
      .then(() => undefined)
      .catch((e: unknown) => ConnectError.from(e));
    expect(err?.code).toBe(Code.Aborted);
    const unknown = await client
      .execute(command("no-such-domain", root, StringValueSchema, text("c"), 0))
      .then(() => undefined)
      .catch((e: unknown) => ConnectError.from(e));
    expect(unknown?.code).toBe(Code.NotFound);
  });
});
