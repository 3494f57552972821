// Distributed roles with synthetic handlers over the shared PostgreSQL (a fresh schema) and
// RabbitMQ (a fresh prefix): the gateway routes a command to the aggregate coordinator of its
// domain, answers UNAVAILABLE naming the domain while that coordinator is down and recovers when it
// is back; two coordinators of one domain take concurrent commands on one aggregate without
// losing or doubling an event (store conflicts decided again on fresh state).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CommandBook,
  CommandBookSchema,
  CommandGateway,
  CommandResponseSchema,
  EventPages,
  SagaCommandOriginSchema,
  SyncMode,
} from "@angzarr/proto";
import { errorFromResponse } from "@angzarr/sdk";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { SQL } from "bun";
import { Connection } from "rabbitmq-client";
import { loadConfig, type RuntimeConfig } from "../config/load";
import { openStorage } from "../storage/open";
import type { Storage } from "../storage/types";
import { echoCommand, fixture, newRoot, removeDir, tempDir } from "../testing/processes";
import { PeerPipeline } from "../transport/peer-pipeline";
import { PeerClients } from "../transport/peers";
import { startAggregateRole } from "./aggregate-role";
import { startGatewayRole } from "./gateway-role";
import type { DistributedEnv, RunningRole } from "./role-kit";

const PG_URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const id = Math.random().toString(36).slice(2, 8);
const schema = `roles_${id}`;
const prefix = `roles-${id}`;
const quiet = () => undefined;

let dir: string;
let config: (port: number, replica?: string) => RuntimeConfig;
let store: Storage;
const running: RunningRole[] = [];

function env(peers: Record<string, number>): DistributedEnv {
  return {
    amqpUrl: AMQP_URL,
    busPrefix: prefix,
    peers: new Map(Object.entries(peers).map(([d, p]) => [d, `http://127.0.0.1:${p}`])),
    reactivePeers: new Map(),
  };
}

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

beforeAll(async () => {
  dir = tempDir("az-roles-");
  const file = join(dir, "angzarr.yaml");
  writeFileSync(
    file,
    [
      `storage: { backend: postgres, url: "${PG_URL}", schema: ${schema} }`,
      "handlers: { healthTimeoutMs: 20000 }",
      "components:",
      `  - { name: echo, kind: aggregate, command: [bun, "${fixture("echo-agg")}", --domain, echo] }`,
    ].join("\n"),
  );
  // Each replica its own data folder (its handler's socket), as each pod has.
  config = (port, replica = "a") => loadConfig({ file, env: {}, flags: { port, data: join(dir, replica) } });
  store = await openStorage({ backend: "postgres", url: PG_URL, schema, maxConnections: 2 });
});

afterAll(async () => {
  await Promise.allSettled(running.map((r) => r.stop()));
  await store.close();
  const sql = new SQL(PG_URL);
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await sql.close();
  const admin = new Connection(AMQP_URL);
  await admin.onConnect(5_000);
  await admin.exchangeDelete({ exchange: `${prefix}.events` }).catch(() => undefined);
  await admin.close();
  removeDir(dir);
});

function sagaCommand(root: Uint8Array, text: string) {
  return create(CommandBookSchema, {
    ...echoCommand("echo", root, text),
    sagaOrigin: create(SagaCommandOriginSchema, { sagaName: "saga-load", triggeringEventSequence: 0 }),
  });
}

describe("distributed roles", () => {
  test("the gateway routes by domain, says UNAVAILABLE naming it while its coordinator is down, and recovers", async () => {
    const aggPort = await freePort();
    const aggregate = await startAggregateRole(config(aggPort), "echo", env({}), quiet);
    running.push(aggregate);
    const gateway = await startGatewayRole(config(0), env({ echo: aggPort }), quiet);
    running.push(gateway);
    const clients = new PeerClients(new Map([["echo", `http://127.0.0.1:${gateway.port}`]]));
    const viaGateway = new PeerPipeline(clients, store.editions);
    try {
      const root = newRoot();
      const first = await viaGateway.execute(echoCommand("echo", root, "one", 0), SyncMode.NONE);
      expect(first.events?.pages.map((p) => EventPages.sequence(p))).toEqual([0]);

      await aggregate.stop();
      const refused = await viaGateway.execute(echoCommand("echo", root, "two", 1)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).code).toBe(Code.Unavailable);
      expect((refused as ConnectError).rawMessage).toContain("domain echo");

      const again = await startAggregateRole(config(aggPort), "echo", env({}), quiet);
      running.push(again);
      const second = await viaGateway.execute(echoCommand("echo", root, "two", 1));
      expect(second.events?.pages.map((p) => EventPages.sequence(p))).toEqual([1]);
      // The gateway serves queries from the store.
      const stored = await store.events.get({ domain: "echo", edition: "", root });
      expect(stored.length).toBe(2);
    } finally {
      clients.close();
    }
  }, 90_000);

  test("Execute through the gateway: the forwarded bytes answer and fail as Connect's own handler does", async () => {
    const aggPort = await freePort();
    const aggregate = await startAggregateRole(config(aggPort, "x"), "echo", env({}), quiet);
    running.push(aggregate);
    const gateway = await startGatewayRole(config(0, "x"), env({ echo: aggPort }), quiet);
    running.push(gateway);
    const url = `http://127.0.0.1:${gateway.port}`;
    // A body with a content length takes the gateway's lean loop (the command forwarded as bytes);
    // connect-node's HTTP/1.1 client streams its body, which node:http and Connect's handler serve.
    const lean = async (book: CommandBook) => {
      const res = await fetch(`${url}/${CommandGateway.typeName}/${CommandGateway.method.execute.name}`, {
        method: "POST",
        headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
        body: toBinary(CommandBookSchema, book),
      });
      if (res.status !== 200) throw await errorFromResponse(res);
      return fromBinary(CommandResponseSchema, new Uint8Array(await res.arrayBuffer()));
    };
    const connect = createClient(
      CommandGateway,
      createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: true }),
    );
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error("expected a failure");
        },
        (e: unknown) => e as ConnectError,
      );
    const sameFailure = async (book: CommandBook) => {
      const [a, b] = [await failure(lean(book)), await failure(connect.execute(book))];
      expect([a.code, a.rawMessage]).toEqual([b.code, b.rawMessage]);
      return a;
    };
    const root = newRoot();
    const first = await lean(echoCommand("echo", root, "one", 0));
    expect(first.events?.pages.map((p) => EventPages.sequence(p))).toEqual([0]);
    expect(first.events?.cover?.domain).toBe("echo");
    const second = await connect.execute(echoCommand("echo", root, "two", 1));
    expect(second.events?.pages.map((p) => EventPages.sequence(p))).toEqual([1]);
    const third = await lean(echoCommand("echo", root, "three", 2));
    expect(third.events?.pages.map((p) => EventPages.sequence(p))).toEqual([2]);

    // The coordinator's refusal, a domain no coordinator serves, a book without a cover.
    expect((await sameFailure(echoCommand("echo", root, "stale", 0))).code).toBe(Code.Aborted);
    expect((await sameFailure(echoCommand("nowhere", newRoot(), "x", 0))).code).toBe(Code.NotFound);
    expect((await sameFailure(create(CommandBookSchema, {}))).code).toBe(Code.InvalidArgument);

    await aggregate.stop();
    const refused = await sameFailure(echoCommand("echo", root, "four", 3));
    expect(refused.code).toBe(Code.Unavailable);
    expect(refused.rawMessage).toContain("domain echo");
  }, 90_000);

  test("two coordinators of one domain: concurrent commands on one aggregate, every one lands once", async () => {
    const ports = [await freePort(), await freePort()];
    const roles = await Promise.all(
      ports.map((p, i) => startAggregateRole(config(p, `r${i}`), "echo", env({}), quiet)),
    );
    running.push(...roles);
    const pipelines = ports.map(
      (p) => new PeerPipeline(new PeerClients(new Map([["echo", `http://127.0.0.1:${p}`]])), store.editions),
    );
    const root = newRoot();
    const texts = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const outcomes = await Promise.all(
      texts.map((t, i) => (pipelines[i % 2] as PeerPipeline).run(sagaCommand(root, t))),
    );
    expect(outcomes.every((o) => o.kind === "events" && o.book.pages.length === 1)).toBe(true);
    const stored = await store.events.get({ domain: "echo", edition: "", root });
    expect(stored.map((p) => EventPages.sequence(p))).toEqual(texts.map((_, i) => i));
    const payloads = stored.map((p) => new TextDecoder().decode(p.event?.value).slice(2));
    expect(new Set(payloads).size).toBe(40);
  }, 120_000);
});
