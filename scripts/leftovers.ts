// What killed or interrupted test runs leave on the shared services: PostgreSQL schemas and
// RabbitMQ queues and exchanges named the way our tests, features and benchmarks name them. Only
// names of those exact shapes are touched; anything else (`angzarr`, `public`, `amq.*`, other
// projects) is never listed. A queue with consumers belongs to a run still going: it, its exchange
// and its schema are left.
//
//   bun scripts/leftovers.ts                     list what would be removed (dry run)
//   bun scripts/leftovers.ts --apply             remove it
//   bun scripts/leftovers.ts --pg URL --amqp URL (default ANGZARR_PG_URL / ANGZARR_AMQP_URL)
import { SQL } from "bun";
import { Connection } from "rabbitmq-client";
import { listExchanges, listQueues } from "../runtime/testing/broker";

/**
 * Schemas of one test each (never a bus prefix). The random part is what the test appends:
 * 12 hex digits of a UUID.
 */
const SCHEMA_ONLY: RegExp[] = [
  /^angzarr_contract_[0-9a-f]{12}_\d+$/, // runtime/storage/contract.int.test.ts
  /^angzarr_t_[a-z]+_[0-9a-f]{12}$/, // runtime/storage/postgres/catch-up.int.test.ts
  /^angzarr_migrate_[0-9a-f]{12}$/, // runtime/storage/checkpoint-migration.int.test.ts
  /^angzarr_bench_[0-9a-f]{12}$/, // bench/storage-postgres.bench.ts, bench/outbox-postgres.bench.ts
];

/**
 * Distributed runs: a schema and a bus prefix (exchange `<prefix>.events`, queues `<prefix>.*`).
 * Their random part is `Math.random().toString(36).slice(2, 8)` (6) or `.slice(2, 7)` (5).
 */
const RUNS: RegExp[] = [
  // runtime/app/roles.int.test.ts, distributed-operations.int.test.ts, features/distributed.ts,
  // scripts/client-example-distributed.e2e.test.ts: schema `<name>_<id>`, prefix `<name>-<id>`.
  /^(roles|trace|acc|cli)[_-][0-9a-z]{6}$/,
  // runtime/app/distributed.reliability.test.ts: schema and prefix `<scenario>_<id>`.
  /^(killsaga|killagg|broker|pgdown)_[0-9a-z]{5}$/,
  // runtime/app/distributed-replicas.reliability.test.ts
  /^repl_(saga|projector)_[0-9a-z]{5}$/,
  // bench/distributed.bench.ts
  /^bench_[0-9a-z]{5}$/,
  // runtime/testing/broker.int.test.ts (bus objects only)
  /^brokertest-[0-9a-f]{8}$/,
];

/** The bus contract (runtime/bus/contract.int.test.ts): exchange `test.bus.<8 hex>`, queues `test.<8 hex>.*`. */
const CONTRACT_EXCHANGE = /^test\.bus\.([0-9a-f]{8})$/;
const CONTRACT_QUEUE = /^test\.([0-9a-f]{8})\../;

/** One key per test run, shared by its schema, queues and exchange (`roles-x` and `roles_x` alike). */
const runKey = (name: string) => name.replaceAll("-", "_");

/** The run a schema belongs to, or undefined when it is not a test schema. */
export function schemaRun(name: string): string | undefined {
  if (SCHEMA_ONLY.some((re) => re.test(name))) return name;
  return RUNS.some((re) => re.test(name)) ? runKey(name) : undefined;
}

/** The run a queue belongs to, or undefined when it is not a test queue. */
export function queueRun(name: string): string | undefined {
  const contract = CONTRACT_QUEUE.exec(name);
  if (contract) return `test.${contract[1]}`;
  const dot = name.indexOf(".");
  if (dot <= 0 || dot === name.length - 1) return undefined;
  const prefix = name.slice(0, dot);
  return RUNS.some((re) => re.test(prefix)) ? runKey(prefix) : undefined;
}

/** The run an exchange belongs to, or undefined when it is not a test exchange. */
export function exchangeRun(name: string): string | undefined {
  const contract = CONTRACT_EXCHANGE.exec(name);
  if (contract) return `test.${contract[1]}`;
  if (!name.endsWith(".events")) return undefined;
  const prefix = name.slice(0, -".events".length);
  return RUNS.some((re) => re.test(prefix)) ? runKey(prefix) : undefined;
}

export interface Found {
  schemas: string[];
  queues: string[];
  exchanges: string[];
  /** Test objects of runs still going (a queue of the run has consumers), with why. */
  inUse: string[];
}

/** Sorts listed names into what to remove and what belongs to a live run (pure). */
export function plan(listed: { schemas: string[]; queues: Map<string, number>; exchanges: string[] }): Found {
  const live = new Set<string>();
  for (const [queue, consumers] of listed.queues) {
    const run = queueRun(queue);
    if (run !== undefined && consumers > 0) live.add(run);
  }
  const found: Found = { schemas: [], queues: [], exchanges: [], inUse: [] };
  const sort = (kind: "schemas" | "queues" | "exchanges", name: string, run: string | undefined) => {
    if (run === undefined) return;
    if (live.has(run)) found.inUse.push(`${kind.slice(0, -1)} ${name} (run ${run} has consumers)`);
    else found[kind].push(name);
  };
  for (const s of [...listed.schemas].sort()) sort("schemas", s, schemaRun(s));
  for (const q of [...listed.queues.keys()].sort()) sort("queues", q, queueRun(q));
  for (const e of [...listed.exchanges].sort()) sort("exchanges", e, exchangeRun(e));
  return found;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? (process.argv[at + 1] as string) : fallback;
}

async function main(): Promise<number> {
  const apply = process.argv.includes("--apply");
  const pgUrl = option("--pg", process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  const amqpUrl = option("--amqp", process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672");

  const sql = new SQL(pgUrl, { max: 1 });
  let failures = 0;
  try {
    const rows = (await sql`SELECT nspname FROM pg_namespace`) as { nspname: string }[];
    const found = plan({
      schemas: rows.map((r) => r.nspname),
      queues: listQueues(),
      exchanges: listExchanges(),
    });
    for (const line of found.inUse) console.log(`left, in use: ${line}`);
    const verb = apply ? "removing" : "would remove";
    for (const s of found.schemas) console.log(`${verb} schema ${s}`);
    for (const q of found.queues) console.log(`${verb} queue ${q}`);
    for (const e of found.exchanges) console.log(`${verb} exchange ${e}`);
    if (!apply) {
      console.log(
        `${found.schemas.length} schemas, ${found.queues.length} queues, ${found.exchanges.length} exchanges (dry run: --apply removes them)`,
      );
      return 0;
    }
    // A schema some session still holds a lock in is reported, not waited for.
    await sql`SET lock_timeout = '5s'`;
    for (const s of found.schemas) {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch((err: Error) => {
        failures++;
        console.error(`schema ${s}: ${err.message}`);
      });
    }
    const admin = new Connection(amqpUrl);
    try {
      await admin.onConnect(5_000);
      // ifUnused: a consumer that attached since the listing keeps its queue, bindings their exchange.
      for (const queue of found.queues) {
        await admin.queueDelete({ queue, ifUnused: true }).catch((err: Error) => {
          failures++;
          console.error(`queue ${queue}: ${err.message}`);
        });
      }
      for (const exchange of found.exchanges) {
        await admin.exchangeDelete({ exchange, ifUnused: true }).catch((err: Error) => {
          failures++;
          console.error(`exchange ${exchange}: ${err.message}`);
        });
      }
    } finally {
      await admin.close();
    }
    const removed = found.schemas.length + found.queues.length + found.exchanges.length - failures;
    console.log(`removed ${removed}, failed ${failures}`);
  } finally {
    await sql.close();
  }
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
