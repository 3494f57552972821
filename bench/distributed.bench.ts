// Distributed mode on this machine: every role its own OS process (launchDistributed) over the
// local PostgreSQL (a fresh schema) and RabbitMQ (a fresh prefix), with synthetic programs: the
// compiled counter aggregate, echo aggregates `src` and `ledger`, the saga `saga-src-ledger` (one
// ledger command per src event) and the projector `projector-tally` (on src). Three figures:
// - commands/s through the gateway at 64 clients (load from a separate process, as the
//   standalone workload does);
// - the saga hop: src commands sent at 500/s through the gateway; per command, from its
//   acknowledgement to the ledger event the saga caused being stored (p50, p99);
// - projector lag: 10,000 src events appended in one burst straight into the store; the time
//   from the burst's last commit until the projector's checkpoint passes it.
// Beside the wall clock of the first two: CPU ms per command (per order) of every process of the
// deployment over the timed window, read from /proc: each role, its handler program, and the
// PostgreSQL backends serving the roles' connections (RabbitMQ's one server process is shared
// with other jobs and is left out). Unlike wall clock this holds when other jobs load the machine.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { Connection } from "rabbitmq-client";
import { launchDistributed } from "../runtime/app/distributed";
import { openStorage } from "../runtime/storage/open";
import { echoCommand, fixture, newRoot } from "../runtime/testing/processes";
import { PeerPipeline } from "../runtime/transport/peer-pipeline";
import { PeerClients } from "../runtime/transport/peers";
import { gatewayLoad } from "./commands-gateway.bench";
import { benchDir, compiledCounter } from "./fixtures/counter";
import { cpuPer, descendants, localPorts, type ProcessGroup, sampleCpu } from "./fixtures/proc-cpu";
import { type BenchReporter, percentile } from "./harness";

const CLIENTS = 64;
/** Timed commands per client: 12,800 in all, ~20 s at this machine's rate. */
const PER_CLIENT = 200;
/**
 * Commands per client before the timed run (19,200 in all, as observability.bench.ts): with 40
 * (2,560 in all) the roles were still compiling their hot paths in the timed window, the
 * aggregate role's CPU per command ~1.6–1.9× its warmed figure (bench/README.md, "Warm-up of the
 * commands phase").
 */
const WARM_UP = 300;
const RATE = 500;
const HOP_SECONDS = 4;
/** Orders sent (at RATE) and seen through before the timed hop: the same warm-up for its path. */
const HOP_WARM_UP = 1_000;
const BURST = 10_000;
const PG_URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

export default async function (r: BenchReporter): Promise<void> {
  const dir = benchDir("az-bench-dist-");
  const id = `bench_${Math.random().toString(36).slice(2, 7)}`;
  const counter = await compiledCounter();
  const file = join(dir, "angzarr.yaml");
  const agg = (domain: string) =>
    `  - { name: ${domain}, kind: aggregate, command: [bun, "${fixture("echo-agg")}", --domain, ${domain}] }`;
  writeFileSync(
    file,
    [
      `storage: { backend: postgres, schema: ${id} }`,
      "log: error",
      "reactive: { pollMs: 250 }",
      "components:",
      `  - { name: counter, kind: aggregate, command: ["${counter}", --domain, counter] }`,
      agg("src"),
      agg("ledger"),
      `  - { name: saga-src-ledger, kind: saga, command: [bun, "${fixture("reactive-agent")}", --role, saga] }`,
      `  - { name: projector-tally, kind: projector, command: [bun, "${fixture("reactive-agent")}", --role, projector] }`,
    ].join("\n"),
  );
  r.progress("starting the gateway, 3 aggregate coordinators, a saga and a projector as processes");
  const topology = await launchDistributed({
    port: 0,
    data: dir,
    config: file,
    env: { ANGZARR_PG_URL: PG_URL, ANGZARR_AMQP_URL: AMQP_URL, ANGZARR_BUS_PREFIX: id, ANGZARR_LOG: "error" },
    print: () => undefined,
    logs: "ignore",
  });
  const store = await openStorage({ backend: "postgres", url: PG_URL, schema: id, maxConnections: 4 });
  const clients = new PeerClients(new Map([["src", topology.gatewayUrl]]));
  const admin = new SQL(PG_URL);
  /** PostgreSQL backend pids by client port (the roles' pool connections are found by port). */
  const backends = async (ports: Set<number>) => {
    const rows = (await admin`
      SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL`) as {
      pid: number;
      client_port: number;
    }[];
    return rows.filter((row) => ports.has(row.client_port)).map((row) => row.pid);
  };
  try {
    // 1. Commands through the gateway.
    r.progress(
      `${CLIENTS} clients × ${PER_CLIENT} commands through the gateway (load from a separate process, ${WARM_UP} warm-up each)`,
    );
    let groups: ProcessGroup[] = [];
    let before = new Map<string, number>();
    const { commands, ms, p99Ms } = await gatewayLoad(
      topology.gatewayUrl,
      CLIENTS,
      PER_CLIENT,
      WARM_UP,
      async () => {
        groups = await deploymentGroups(topology.processes, backends);
        before = sampleCpu(groups);
      },
    );
    recordCpu(r, "per command through the gateway", cpuPer(before, sampleCpu(groups), commands));
    r.record({
      name: `distributed: commands through the gateway (${CLIENTS} clients)`,
      value: commands / (ms / 1000),
      unit: "commands/s",
      budget: 3_000,
      better: "higher",
    });
    r.record({
      name: `distributed: command p99 through the gateway (${CLIENTS} clients)`,
      value: p99Ms,
      unit: "ms",
      budget: null,
      better: "lower",
    });

    // 2. The saga hop at a steady rate, after a warm-up round of the same path.
    const gateway = new PeerPipeline(clients, store.editions);
    /** Sends `count` src commands at RATE; resolves once every hop is seen (or 30 s passed). */
    const hopRound = async (count: number, label: string, onStart: () => void) => {
      const acked = new Map<string, number>();
      const hops: number[] = [];
      let after = await store.events.headPosition();
      let polling = true;
      let stopAt = Number.POSITIVE_INFINITY;
      const poller = (async () => {
        while (polling || hops.length < acked.size) {
          const batch = await store.events.readAll(after, 1000, { domain: "ledger", edition: "" });
          const now = performance.now();
          for (const e of batch) {
            const key = Buffer.from(e.root).toString("hex");
            const sent = acked.get(key);
            if (sent !== undefined) hops.push(now - sent);
            after = e.position;
          }
          if (batch.length === 0) await Bun.sleep(2);
          if (!polling && performance.now() - stopAt > 30_000) break;
        }
      })();
      onStart();
      const started = performance.now();
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const due = started + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        const root = newRoot();
        inflight.push(
          gateway.execute(echoCommand("src", root, `${label}${i}`, 0)).then(() => {
            acked.set(Buffer.from(root).toString("hex"), performance.now());
          }),
        );
      }
      await Promise.all(inflight);
      stopAt = performance.now();
      polling = false;
      await poller;
      return { hops, started, stopAt };
    };
    r.progress(`saga hop warm-up: ${HOP_WARM_UP} src commands at ${RATE}/s`);
    await hopRound(HOP_WARM_UP, "warm", () => undefined);
    r.progress(`saga hop: src commands at ${RATE}/s for ${HOP_SECONDS} s through the gateway`);
    const total = RATE * HOP_SECONDS;
    groups = await deploymentGroups(topology.processes, backends);
    const { hops, started, stopAt } = await hopRound(total, "hop", () => {
      before = sampleCpu(groups);
    });
    recordCpu(r, "per order in the saga hop", cpuPer(before, sampleCpu(groups), total));
    const achieved = total / ((stopAt - started) / 1000);
    r.record({
      name: `distributed: saga hop p50 (${RATE} orders/s offered, ${Math.round(achieved)}/s achieved)`,
      value: percentile(hops, 50),
      unit: "ms",
      budget: null,
      better: "lower",
    });
    r.record({
      name: `distributed: saga hop p99 (${RATE} orders/s offered)`,
      value: percentile(hops, 99),
      unit: "ms",
      budget: 50,
      better: "lower",
    });

    // 3. Projector lag after a burst straight into the store.
    r.progress(`projector lag: ${BURST} src events appended in one burst`);
    const roots = Array.from({ length: 100 }, () => newRoot());
    const perRoot = BURST / roots.length;
    const payload = (i: number) =>
      create(AnySchema, {
        typeUrl: `type.googleapis.com/${StringValueSchema.typeName}`,
        value: toBinary(StringValueSchema, create(StringValueSchema, { value: `burst${i}` })),
      });
    let last = 0n;
    await Promise.all(
      roots.map(async (root, n) => {
        const pages = Array.from({ length: perRoot }, (_, i) =>
          EventPages.numbered(i, payload(n * perRoot + i)),
        );
        await store.events.append({ domain: "src", edition: "", root }, pages, {
          correlationId: `burst-${n}`,
        });
      }),
    );
    const burstEnd = performance.now();
    for (const e of await store.events.readAll(0n, 1_000_000, { domain: "src" })) last = e.position;
    for (;;) {
      const checkpoint = (await store.positions.get("projector-tally", "src", "")) ?? 0n;
      if (checkpoint >= last) break;
      if (performance.now() - burstEnd > 120_000) throw new Error("the projector did not catch up in 120 s");
      await Bun.sleep(5);
    }
    r.record({
      name: `distributed: projector lag after a ${BURST.toLocaleString("en-US")}-event burst`,
      value: (performance.now() - burstEnd) / 1000,
      unit: "s",
      budget: 2,
      better: "lower",
    });
  } finally {
    clients.close();
    await topology.stop();
    await store.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${id}" CASCADE`).catch(() => undefined);
    await admin.close();
    const broker = new Connection(AMQP_URL);
    await broker.onConnect(5_000);
    for (const q of [`${id}.saga-src-ledger.src`, `${id}.projector-tally.src`])
      await broker.queueDelete({ queue: q }).catch(() => undefined);
    await broker.exchangeDelete({ exchange: `${id}.events` }).catch(() => undefined);
    await broker.close();
  }
}

/**
 * The deployment's processes as CPU groups: each role, the handler program it started (its
 * descendants), and the PostgreSQL backends of every role's pool.
 */
async function deploymentGroups(
  processes: { role: string; pid: number }[],
  backends: (ports: Set<number>) => Promise<number[]>,
): Promise<ProcessGroup[]> {
  const groups: ProcessGroup[] = [];
  const ports = new Set<number>();
  for (const p of processes) {
    groups.push({ name: p.role, pids: [p.pid] });
    groups.push({ name: `${p.role} (handler)`, pids: descendants(p.pid) });
    for (const port of localPorts(p.pid)) ports.add(port);
  }
  groups.push({ name: "postgres backends", pids: await backends(ports) });
  return groups;
}

/** Records the total and each group's CPU ms per unit (groups under 5 µs are left out). */
function recordCpu(r: BenchReporter, what: string, per: Map<string, number>): void {
  let total = 0;
  for (const value of per.values()) total += value;
  r.record({
    name: `distributed: CPU ms ${what}, every process (roles, handlers, PG backends)`,
    value: total,
    unit: "ms",
    budget: null,
    better: "lower",
  });
  for (const [name, value] of per) {
    if (value < 0.005) continue;
    r.record({
      name: `distributed: CPU ms ${what}: ${name}`,
      value,
      unit: "ms",
      budget: null,
      better: "lower",
    });
  }
}
