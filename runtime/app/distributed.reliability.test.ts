// Faults of the distributed deployment, with real OS processes and synthetic handlers: aggregates
// `src` and `ledger` and the saga `saga-src-ledger` (one ledger command per src event), each role
// its own process over PostgreSQL (a fresh schema) and RabbitMQ (a fresh prefix). Each row sends
// commands through the gateway while something fails, then checks that every acknowledged command
// caused exactly one ledger event, that nothing was skipped, and that a command refused during
// the outage was refused as UNAVAILABLE. Recovery needs no operator: killed roles are started
// again by the test (as Kubernetes would), outages are lifted by the test's own TCP proxy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { fromBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { startWorld, type World } from "../testing/distributed-run";
import { echoCommand, fixture, newRoot, removeDir, tempDir } from "../testing/processes";
import { recordRow, scaled } from "../testing/reliability";
import { TcpProxy } from "../testing/tcp-proxy";

const PG_URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const COMMANDS = scaled(12, 60);

let dir: string;
let configFile: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  dir = tempDir("az-dist-");
  configFile = join(dir, "angzarr.yaml");
  const agg = (domain: string) =>
    `  - { name: ${domain}, kind: aggregate, command: [bun, "${fixture("echo-agg")}", --domain, ${domain}] }`;
  writeFileSync(
    configFile,
    [
      "storage: { backend: postgres, schema: placeholder }",
      "handlers: { healthTimeoutMs: 30000, restart: { initialMs: 50, maxMs: 500 } }",
      "reactive: { pollMs: 200, retry: { attempts: 200, initialMs: 50, maxMs: 500 } }",
      "components:",
      agg("src"),
      agg("ledger"),
      `  - { name: saga-src-ledger, kind: saga, command: [bun, "${fixture("reactive-agent")}", --role, saga] }`,
    ].join("\n"),
  );
});

afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  removeDir(dir);
});

/** The synthetic topology on a fresh schema and prefix; PostgreSQL / RabbitMQ reached at the given URLs. */
async function start(name: string, urls: { pg?: string; amqp?: string } = {}): Promise<World> {
  const id = `${name}_${Math.random().toString(36).slice(2, 7)}`;
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, (await Bun.file(configFile).text()).replace("schema: placeholder", `schema: ${id}`));
  const world = await startWorld({
    id,
    data: join(dir, id),
    config: file,
    urls: { pg: urls.pg ?? PG_URL, amqp: urls.amqp ?? AMQP_URL, testPg: PG_URL, testAmqp: AMQP_URL },
    queues: [`${id}.saga-src-ledger.src`],
  });
  cleanups.push(() => world.stop());
  return world;
}

interface Sent {
  root: Uint8Array;
  value: string;
}

/** Sends one command to a fresh src aggregate; acknowledged ones are returned, others counted by code. */
async function send(world: World, value: string, sent: Sent[], codes: Code[]): Promise<void> {
  const root = newRoot();
  try {
    await world.gateway.execute(echoCommand("src", root, value, 0));
    sent.push({ root, value });
  } catch (err) {
    codes.push(err instanceof ConnectError ? err.code : Code.Unknown);
    if (process.env.ANGZARR_FAULT_DEBUG) console.log(`refused ${value}: ${(err as Error).message}`);
  }
}

/** Waits until every acknowledged command's ledger effect is there; counts lost and doubled ones. */
async function effects(world: World, sent: Sent[], timeoutMs = 90_000) {
  const count = async (s: Sent) => {
    const pages = await world.store.events.get({ domain: "ledger", edition: "", root: s.root });
    const mine = pages.filter((p) =>
      fromBinary(StringValueSchema, p.event?.value ?? new Uint8Array()).value.startsWith(`seen:${s.value} `),
    );
    // Numbered 0.. without a gap: nothing skipped.
    expect(pages.map((p) => EventPages.sequence(p))).toEqual(pages.map((_, i) => i));
    return mine.length;
  };
  const deadline = Date.now() + timeoutMs;
  let counts: number[] = [];
  for (;;) {
    counts = await Promise.all(sent.map(count));
    if (counts.every((c) => c >= 1) || Date.now() > deadline) break;
    await Bun.sleep(250);
  }
  return { lost: counts.filter((c) => c === 0).length, doubled: counts.filter((c) => c > 1).length };
}

describe("distributed faults", () => {
  test("kill -9 the saga process mid-flow, start it again", async () => {
    const world = await start("killsaga");
    const sent: Sent[] = [];
    const codes: Code[] = [];
    for (let i = 0; i < COMMANDS; i++) {
      if (i === Math.floor(COMMANDS / 3)) {
        const saga = world.topology.processes.find((p) => p.role === "saga saga-src-ledger");
        saga?.proc.kill("SIGKILL");
      }
      if (i === Math.floor((2 * COMMANDS) / 3)) await world.topology.restart("saga saga-src-ledger");
      await send(world, `v${i}`, sent, codes);
    }
    const { lost, doubled } = await effects(world, sent);
    recordRow({
      scenario: "distributed: kill -9 a saga process mid-flow",
      tried: COMMANDS,
      lost,
      doubled,
      wrongCodes: codes.length,
    });
    expect({ acknowledged: sent.length, lost, doubled }).toEqual({
      acknowledged: COMMANDS,
      lost: 0,
      doubled: 0,
    });
  }, 180_000);

  test("kill -9 aggregate processes mid-flow (the saga's target, then the commands' own domain)", async () => {
    const world = await start("killagg");
    const sent: Sent[] = [];
    const codes: Code[] = [];
    const kill = (role: string) =>
      world.topology.processes.find((p) => p.role === role)?.proc.kill("SIGKILL");
    for (let i = 0; i < COMMANDS; i++) {
      if (i === Math.floor(COMMANDS / 4)) kill("aggregate ledger");
      if (i === Math.floor(COMMANDS / 2)) await world.topology.restart("aggregate ledger");
      if (i === Math.floor((3 * COMMANDS) / 4)) {
        kill("aggregate src");
        await Bun.sleep(200);
        // While src's coordinator is gone, the gateway refuses its commands as UNAVAILABLE.
        await send(world, `down${i}`, [], codes);
        await world.topology.restart("aggregate src");
      }
      await send(world, `v${i}`, sent, codes);
    }
    const { lost, doubled } = await effects(world, sent);
    const wrongCodes = codes.filter((c) => c !== Code.Unavailable).length;
    recordRow({
      scenario: "distributed: kill -9 aggregate processes mid-flow",
      tried: COMMANDS,
      lost,
      doubled,
      wrongCodes,
    });
    expect(codes.length).toBeGreaterThanOrEqual(1);
    expect({ acknowledged: sent.length, lost, doubled, wrongCodes }).toEqual({
      acknowledged: COMMANDS,
      lost: 0,
      doubled: 0,
      wrongCodes: 0,
    });
  }, 240_000);

  test("RabbitMQ unreachable for a while (every role behind a TCP proxy)", async () => {
    const broker = new URL(AMQP_URL);
    const proxy = await new TcpProxy(broker.hostname, Number(broker.port || 5672)).start();
    cleanups.push(() => proxy.stop());
    const via = new URL(AMQP_URL);
    via.hostname = "127.0.0.1";
    via.port = String(proxy.port);
    const world = await start("broker", { amqp: via.toString() });
    const sent: Sent[] = [];
    const codes: Code[] = [];
    for (let i = 0; i < COMMANDS; i++) {
      if (i === Math.floor(COMMANDS / 3)) proxy.cut();
      if (i === Math.floor((2 * COMMANDS) / 3)) proxy.restore();
      await send(world, `v${i}`, sent, codes);
    }
    const { lost, doubled } = await effects(world, sent);
    recordRow({
      scenario: "distributed: RabbitMQ unreachable mid-flow",
      tried: COMMANDS,
      lost,
      doubled,
      wrongCodes: codes.length,
    });
    // The store is the truth: commands are acknowledged through the outage (their publish fails
    // and is logged); consumers catch up from the store.
    expect({ acknowledged: sent.length, lost, doubled }).toEqual({
      acknowledged: COMMANDS,
      lost: 0,
      doubled: 0,
    });
  }, 240_000);

  test("PostgreSQL unreachable for a while (every role behind a TCP proxy)", async () => {
    const pg = new URL(PG_URL);
    const proxy = await new TcpProxy(pg.hostname, Number(pg.port || 5432)).start();
    cleanups.push(() => proxy.stop());
    const via = new URL(PG_URL);
    via.hostname = "127.0.0.1";
    via.port = String(proxy.port);
    const world = await start("pgdown", { pg: via.toString() });
    const sent: Sent[] = [];
    const codes: Code[] = [];
    for (let i = 0; i < COMMANDS; i++) {
      if (i === Math.floor(COMMANDS / 3)) proxy.cut();
      if (i === Math.floor(COMMANDS / 3) + 3) {
        proxy.restore();
        await Bun.sleep(500);
      }
      await send(world, `v${i}`, sent, codes);
    }
    const { lost, doubled } = await effects(world, sent);
    const wrongCodes = codes.filter((c) => c !== Code.Unavailable).length;
    recordRow({
      scenario: "distributed: PostgreSQL unreachable mid-flow",
      tried: COMMANDS,
      lost,
      doubled,
      wrongCodes,
    });
    expect(codes.length).toBeGreaterThanOrEqual(1);
    expect({ lost, doubled, wrongCodes }).toEqual({ lost: 0, doubled: 0, wrongCodes: 0 });
  }, 240_000);
});
