// PostgreSQL group commit (runtime/storage/postgres/group-commit.ts) against one statement per
// write, in the same run, interleaved: 64 concurrent writers on distinct aggregates over a pool of
// 3 connections (a distributed role's pool), as an aggregate coordinator under 64 clients does:
// - commands' appends: one page and a snapshot per append;
// - a saga hop's outbox writes: a decision (causation + one command entry), then its settlement.
// "one by one" is the store with statements of one write each (maxItems 1, 3 in flight: every
// connection busy), i.e. the path before group commit. Figures per write: wall-clock rate, CPU µs
// of this process (the client) and of the pool's PostgreSQL backends (from /proc), and the
// writes per statement. Three rounds of each, alternating; medians.
import { EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { PostgresEventStore } from "../runtime/storage/postgres/events";
import type { GroupCommitOptions } from "../runtime/storage/postgres/group-commit";
import { PostgresStorage } from "../runtime/storage/postgres/index";
import { PostgresOutboxStore } from "../runtime/storage/postgres/outbox";
import type { AggregateRef, CausationKey } from "../runtime/storage/types";
import { cpuMsOf } from "./fixtures/proc-cpu";
import type { BenchReporter } from "./harness";

const URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const WRITERS = 64;
const PER_WRITER = 40;
const ROUNDS = 3;
const POOL = 3;

interface Round {
  perSecond: number;
  clientUs: number;
  backendUs: number;
  perStatement: number;
}

type Mode = "grouped" | "one by one";

const OPTIONS: Record<Mode, GroupCommitOptions> = {
  grouped: {},
  "one by one": { maxItems: 1, maxInFlight: POOL },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export default async function (r: BenchReporter): Promise<void> {
  const schema = `angzarr_bench_gc_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const admin = new SQL(URL);
  await (await PostgresStorage.open({ url: URL, schema, maxConnections: 1 })).close();
  const payload = new TextEncoder().encode("an event of a few dozen bytes, as a command's");
  const event = create(AnySchema, { typeUrl: "type.test/Counted", value: payload });
  const snapshot = create(AnySchema, { typeUrl: "type.test/State", value: payload });
  const results: Record<string, Record<Mode, Round[]>> = {
    append: { grouped: [], "one by one": [] },
    outbox: { grouped: [], "one by one": [] },
  };

  /** One round of one mode on a fresh pool: `work(store, outbox, writer)` per writer, in parallel. */
  const round = async (
    mode: Mode,
    writes: number,
    work: (events: PostgresEventStore, outbox: PostgresOutboxStore, writer: number) => Promise<void>,
  ): Promise<Round> => {
    const app = `az-bench-gc-${Math.random().toString(36).slice(2, 8)}`;
    const pool = new SQL({
      url: URL,
      max: POOL,
      bigint: true,
      connection: { search_path: schema, application_name: app },
    });
    let statements = 0;
    const options = { ...OPTIONS[mode], onBatch: () => statements++ };
    const events = new PostgresEventStore(pool, options);
    const outbox = new PostgresOutboxStore(pool, events, options);
    try {
      // Open every connection of the pool before timing.
      await Promise.all(Array.from({ length: POOL }, () => pool`SELECT pg_sleep(0.01)`));
      const rows = (await admin`SELECT pid FROM pg_stat_activity WHERE application_name = ${app}`) as {
        pid: number;
      }[];
      const backendMs = () => rows.reduce((sum, row) => sum + cpuMsOf(row.pid), 0);
      statements = 0;
      const cpu = process.cpuUsage();
      const backendBefore = backendMs();
      const started = performance.now();
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => work(events, outbox, w)));
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return {
        perSecond: (writes / ms) * 1000,
        clientUs: (used.user + used.system) / writes,
        backendUs: ((backendMs() - backendBefore) * 1000) / writes,
        perStatement: writes / Math.max(1, statements),
      };
    } finally {
      await pool.close();
    }
  };

  const appends = (events: PostgresEventStore, writer: number) => async () => {
    const ref: AggregateRef = { domain: "gc", edition: "", root: Uuid.randomBytes() };
    for (let i = 0; i < PER_WRITER; i++) {
      await events.append(ref, [EventPages.numbered(i, event)], {
        correlationId: `w${writer}-${i}`,
        snapshotState: snapshot,
      });
    }
  };
  const hops = (outbox: PostgresOutboxStore) => async () => {
    const root = Uuid.randomBytes();
    for (let i = 0; i < PER_WRITER; i++) {
      const cause: CausationKey = { component: "saga-bench", domain: "src", edition: "", root, sequence: i };
      const [decided] = await outbox.write([
        { causations: [cause], enqueue: [{ cause, name: "command-0", lane: "l", kind: "command", payload }] },
      ]);
      const id = decided?.kind === "written" ? decided.enqueued[0]?.id : undefined;
      if (id === undefined) throw new Error("the decision was not written");
      const [settled] = await outbox.write([{ settle: { id, status: "delivered" } }]);
      if (settled?.kind !== "written") throw new Error("the settlement was not written");
    }
  };

  try {
    r.progress(`warm-up: one round of each mode, ${WRITERS} writers × ${PER_WRITER}`);
    for (const mode of ["grouped", "one by one"] as Mode[]) {
      await round(mode, WRITERS * PER_WRITER, (events, _o, w) => appends(events, w)());
      await round(mode, WRITERS * PER_WRITER * 2, (_e, outbox) => hops(outbox)());
    }
    for (let i = 0; i < ROUNDS; i++) {
      r.progress(`round ${i + 1} of ${ROUNDS}: appends and outbox writes, grouped and one by one`);
      for (const mode of (i % 2 === 0 ? ["grouped", "one by one"] : ["one by one", "grouped"]) as Mode[]) {
        results.append?.[mode].push(
          await round(mode, WRITERS * PER_WRITER, (events, _o, w) => appends(events, w)()),
        );
        results.outbox?.[mode].push(
          await round(mode, WRITERS * PER_WRITER * 2, (_e, outbox) => hops(outbox)()),
        );
      }
    }
    for (const [what, label] of [
      ["append", "appends (1 page + snapshot)"],
      ["outbox", "outbox writes (decision, settlement)"],
    ] as const) {
      for (const mode of ["grouped", "one by one"] as Mode[]) {
        const rounds = results[what]?.[mode] ?? [];
        const name = `postgres ${label}, ${WRITERS} writers, pool of ${POOL}, ${mode}`;
        r.record({
          name,
          value: median(rounds.map((x) => x.perSecond)),
          unit: "writes/s",
          budget: null,
          better: "higher",
        });
        r.record({
          name: `${name}: CPU µs per write, client`,
          value: median(rounds.map((x) => x.clientUs)),
          unit: "µs",
          budget: null,
          better: "lower",
        });
        r.record({
          name: `${name}: CPU µs per write, PostgreSQL backends`,
          value: median(rounds.map((x) => x.backendUs)),
          unit: "µs",
          budget: null,
          better: "lower",
        });
        r.record({
          name: `${name}: writes per statement`,
          value: median(rounds.map((x) => x.perStatement)),
          unit: "writes",
          budget: null,
          better: "higher",
        });
      }
    }
  } finally {
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.close();
  }
}
