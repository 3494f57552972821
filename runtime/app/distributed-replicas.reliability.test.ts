// Two replicas of one consumer in the distributed deployment, under load, with real OS processes,
// PostgreSQL (a fresh schema), RabbitMQ (a fresh prefix) and synthetic handlers: the saga
// `saga-src-ledger` (one ledger command per src event) and the projector `projector-tally` (a row
// per src root in one SQLite file both replicas are given, as a shared volume would be). Replicas
// share the consumer's queue and checkpoint; the broker lets one of them consume at a time, the
// other stands by. Clients keep sending while the replicas are killed one after the other (#1,
// restarted, then #2), so whichever was active is killed at least once and the other must take
// over: every acknowledged command's effect happens exactly once, in the aggregate's order, and
// after each kill the survivor alone finishes the work.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnyPayload } from "@angzarr/proto";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { startWorld, type World } from "../testing/distributed-run";
import { echoCommand, fixture, newRoot, removeDir, tempDir } from "../testing/processes";
import { recordRow, scaled } from "../testing/reliability";

const PG_URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
/** Clients sending at once; each owns its roots and sends each root's commands in order. */
const CLIENTS = 8;
const ROOTS_PER_CLIENT = scaled(2, 6);
const COMMANDS_PER_ROOT = 6;
const TOTAL = CLIENTS * ROOTS_PER_CLIENT * COMMANDS_PER_ROOT;

let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  dir = tempDir("az-repl-");
});

afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  removeDir(dir);
});

/** src and ledger aggregates plus two replicas of `role` (a saga or the tally projector). */
async function start(kind: "saga" | "projector", readModel: string): Promise<World> {
  const id = `repl_${kind}_${Math.random().toString(36).slice(2, 7)}`;
  const file = join(dir, `${id}.yaml`);
  const agg = (domain: string) =>
    `  - { name: ${domain}, kind: aggregate, command: [bun, "${fixture("echo-agg")}", --domain, ${domain}] }`;
  const component =
    kind === "saga"
      ? `  - { name: saga-src-ledger, kind: saga, command: [bun, "${fixture("reactive-agent")}", --role, saga] }`
      : `  - { name: projector-tally, kind: projector, command: [bun, "${fixture("reactive-agent")}", --role, projector], env: { PROJECTOR_DB: "${readModel}" } }`;
  writeFileSync(
    file,
    [
      `storage: { backend: postgres, schema: ${id} }`,
      "handlers: { healthTimeoutMs: 30000, restart: { initialMs: 50, maxMs: 500 } }",
      "reactive: { pollMs: 200, retry: { attempts: 200, initialMs: 50, maxMs: 500 } }",
      "components:",
      agg("src"),
      ...(kind === "saga" ? [agg("ledger")] : []),
      component,
    ].join("\n"),
  );
  const role = kind === "saga" ? "saga saga-src-ledger" : "projector projector-tally";
  const consumer = kind === "saga" ? "saga-src-ledger" : "projector-tally";
  const world = await startWorld({
    id,
    data: join(dir, id),
    config: file,
    urls: { pg: PG_URL, amqp: AMQP_URL, testPg: PG_URL, testAmqp: AMQP_URL },
    queues: [`${id}.${consumer}.src`],
    replicas: { [role]: 2 },
  });
  cleanups.push(() => world.stop());
  return world;
}

interface RootLoad {
  root: Uint8Array;
  /** Values of the acknowledged commands, in the order sent. */
  values: string[];
}

/**
 * CLIENTS clients at once, each sending `count` commands to each of its roots in order (continuing
 * the roots' sequences); `onSent(n)` after every acknowledged command (n so far).
 */
async function load(
  world: World,
  roots: RootLoad[],
  count: number,
  tag: string,
  onSent: (n: number) => void,
) {
  let sent = 0;
  const client = async (mine: RootLoad[]) => {
    for (let round = 0; round < count; round++) {
      for (const r of mine) {
        const value = `${tag}${round}:${r.values.length}`;
        await world.gateway.execute(echoCommand("src", r.root, value, r.values.length));
        r.values.push(value);
        onSent(++sent);
      }
    }
  };
  await Promise.all(
    Array.from({ length: CLIENTS }, (_, c) => client(roots.filter((_, i) => i % CLIENTS === c))),
  );
}

function roots(): RootLoad[] {
  return Array.from({ length: CLIENTS * ROOTS_PER_CLIENT }, () => ({ root: newRoot(), values: [] }));
}

/** Kills a replica (SIGKILL) and waits until it is gone. */
async function kill(world: World, role: string): Promise<void> {
  const p = world.topology.processes.find((x) => x.role === role);
  if (!p) throw new Error(`no process ${role}`);
  p.proc.kill("SIGKILL");
  await p.proc.exited;
}

/** Polls `measure` until it reports nothing missing, or the deadline passes; returns the last report. */
async function settle<T extends { missing: number }>(
  measure: () => Promise<T>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await measure();
    if (report.missing === 0 || Date.now() > deadline) return report;
    await Bun.sleep(250);
  }
}

/**
 * Runs the load in three parts: replica #1 is killed in the middle of the second part, the
 * survivor alone must finish it; #1 is started again, #2 is killed in the middle of the third
 * part, and #1 alone must finish. `check` counts what is missing, lost, doubled and out of order.
 */
async function killEachReplicaUnderLoad<T extends { missing: number }>(
  world: World,
  role: string,
  all: RootLoad[],
  check: () => Promise<T>,
): Promise<{ afterFirstKill: T; afterSecondKill: T; caughtUpMs: number[] }> {
  const part = Math.max(1, Math.floor(COMMANDS_PER_ROOT / 3));
  const perPart = part * all.length;
  await load(world, all, part, "a", () => undefined);
  let killing: Promise<number> | undefined;
  const killAt = (name: string) => kill(world, name).then(() => performance.now());
  await load(world, all, part, "b", (n) => {
    if (n === Math.floor(perPart / 2)) killing = killAt(role);
  });
  const firstKilled = (await killing) ?? performance.now();
  const afterFirstKill = await settle(check);
  const caughtUpMs = [Math.round(performance.now() - firstKilled)];
  await world.topology.restart(role);
  await load(world, all, COMMANDS_PER_ROOT - 2 * part, "c", (n) => {
    if (n === Math.floor(perPart / 2)) killing = killAt(`${role} #2`);
  });
  const secondKilled = (await killing) ?? performance.now();
  const afterSecondKill = await settle(check);
  caughtUpMs.push(Math.round(performance.now() - secondKilled));
  return { afterFirstKill, afterSecondKill, caughtUpMs };
}

describe("two replicas of a consumer under load (one active, one standing by)", () => {
  test("saga pair: every effect once, in each aggregate's order, the survivor takes over", async () => {
    const world = await start("saga", "");
    const all = roots();
    // The ledger of each root holds one `seen:<value> after <n>` per src command, in order: n
    // counts the ledger events the saga saw before, so a reordered or repeated effect shows.
    const check = async () => {
      let missing = 0;
      let lost = 0;
      let doubled = 0;
      let misordered = 0;
      for (const r of all) {
        const pages = await world.store.events.get({ domain: "ledger", edition: "", root: r.root });
        const got = pages.map((p) => AnyPayload.unpack(p.event, StringValueSchema).value);
        const want = r.values.map((v, i) => `seen:${v} after ${i}`);
        missing += Math.max(0, want.length - got.length);
        for (const v of r.values) {
          const n = got.filter((g) => g.startsWith(`seen:${v} `)).length;
          if (n === 0) lost++;
          if (n > 1) doubled++;
        }
        if (got.length === want.length && got.some((g, i) => g !== want[i])) misordered++;
      }
      return { missing, lost, doubled, misordered };
    };
    const run = await killEachReplicaUnderLoad(world, "saga saga-src-ledger", all, check);
    const acknowledged = all.reduce((n, r) => n + r.values.length, 0);
    // Figures for the README (not asserted): from each kill until the survivor had done everything.
    console.log(`saga pair: ${TOTAL} commands; caught up ${run.caughtUpMs.join(" / ")} ms after each kill`);
    recordRow({
      scenario: "distributed: saga replica pair, each killed under load",
      tried: TOTAL,
      lost: run.afterSecondKill.lost,
      doubled: run.afterSecondKill.doubled,
    });
    expect({
      acknowledged,
      afterFirstKill: run.afterFirstKill,
      afterSecondKill: run.afterSecondKill,
    }).toEqual({
      acknowledged: TOTAL,
      afterFirstKill: { missing: 0, lost: 0, doubled: 0, misordered: 0 },
      afterSecondKill: { missing: 0, lost: 0, doubled: 0, misordered: 0 },
    });
  }, 300_000);

  test("projector pair: every event projected once, in order, the survivor takes over", async () => {
    const readModel = join(dir, "tally.db");
    const world = await start("projector", readModel);
    const all = roots();
    // One row per root: how many events it took, the last value and sequence. The projector skips
    // a page at or below the row's sequence, so a reordered page would go missing from the count.
    const check = async () => {
      let missing = 0;
      let doubled = 0;
      let misordered = 0;
      const db = new Database(readModel, { readonly: true });
      try {
        const rows = new Map(
          db
            .query<{ root: string; count: number; last_value: string; last_sequence: number }, []>(
              "SELECT * FROM tally",
            )
            .all()
            .map((row) => [row.root.replaceAll("-", ""), row]),
        );
        for (const r of all) {
          const row = rows.get(Buffer.from(r.root).toString("hex"));
          const count = row?.count ?? 0;
          missing += Math.max(0, r.values.length - count);
          if (count > r.values.length) doubled++;
          if (count === r.values.length && count > 0) {
            if (row?.last_value !== r.values.at(-1) || row?.last_sequence !== count - 1) misordered++;
          }
        }
      } catch {
        missing = Number.POSITIVE_INFINITY; // the table is not there yet
      } finally {
        db.close();
      }
      return { missing, doubled, misordered };
    };
    const run = await killEachReplicaUnderLoad(world, "projector projector-tally", all, check);
    console.log(
      `projector pair: ${TOTAL} commands; caught up ${run.caughtUpMs.join(" / ")} ms after each kill`,
    );
    recordRow({
      scenario: "distributed: projector replica pair, each killed under load",
      tried: TOTAL,
      lost: run.afterSecondKill.missing,
      doubled: run.afterSecondKill.doubled,
    });
    expect({ afterFirstKill: run.afterFirstKill, afterSecondKill: run.afterSecondKill }).toEqual({
      afterFirstKill: { missing: 0, doubled: 0, misordered: 0 },
      afterSecondKill: { missing: 0, doubled: 0, misordered: 0 },
    });
  }, 300_000);
});
