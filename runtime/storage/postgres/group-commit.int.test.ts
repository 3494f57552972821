// PostgreSQL group commit (group-commit.ts): main-timeline appends (append_main_batch) and
// one-statement outbox writes (outbox_write_batch) waiting together share one statement, and each
// keeps its own outcome under the faults that can hit a shared statement: a sequence conflict, a
// recorded causation or a settled entry inside the batch, a COMMIT that fails (a deferred
// constraint trigger raising at commit), a COMMIT that fails once, and the connection dropped
// while the statement runs. Real PostgreSQL, a fresh schema per test.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type EventPage, EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { CausationRecordedError, SequenceConflictError, StorageError } from "../errors";
import type { AggregateRef, CausationKey, OutboxWrite, OutboxWriteResult } from "../types";
import { PostgresEventStore } from "./events";
import { PostgresStorage } from "./index";
import { PostgresOutboxStore } from "./outbox";

const URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const schemas: string[] = [];
const pools: SQL[] = [];
let admin: SQL;

beforeAll(() => {
  admin = new SQL(URL);
});

afterAll(async () => {
  for (const pool of pools) await pool.close().catch(() => undefined);
  for (const schema of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
});

interface Harness {
  schema: string;
  app: string;
  store: PostgresEventStore;
  outbox: PostgresOutboxStore;
  batches: number[];
  retried: number[];
  /** Main-timeline aggregates per getMany statement. */
  reads: number[];
}

/** A migrated schema and an event store over its own pool, one statement in flight at a time. */
async function harness(label: string): Promise<Harness> {
  const schema = `angzarr_t_gc_${label}_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  schemas.push(schema);
  const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 1 });
  await storage.close();
  const app = `az-gc-${schema.slice(-10)}`;
  const pool = new SQL({
    url: URL,
    max: 3,
    bigint: true,
    connectionTimeout: 5,
    connection: { search_path: schema, application_name: app },
  });
  pools.push(pool);
  const batches: number[] = [];
  const retried: number[] = [];
  const grouping = {
    maxInFlight: 1,
    onBatch: (size: number) => batches.push(size),
    onRetried: (size: number) => retried.push(size),
  };
  const reads: number[] = [];
  const store = new PostgresEventStore(pool, grouping, {
    maxInFlight: 1,
    onBatch: (size: number) => reads.push(size),
  });
  const outbox = new PostgresOutboxStore(pool, store, grouping);
  return { schema, app, store, outbox, batches, retried, reads };
}

function page(name: string, sequence?: number) {
  const event = create(AnySchema, { typeUrl: `type.test/${name}`, value: new TextEncoder().encode(name) });
  return sequence === undefined ? EventPages.forced(event) : EventPages.numbered(sequence, event);
}

function aggregate(): AggregateRef {
  return { domain: "gc", edition: "", root: Uuid.randomBytes() };
}

/** Starts `n` appends of two pages each in one turn (they wait together), one aggregate each. */
function appendsTogether(
  store: PostgresEventStore,
  refs: AggregateRef[],
  correlation: (i: number) => string,
) {
  return refs.map((ref, i) =>
    store.append(ref, [page(`a${i}`), page(`b${i}`)], { correlationId: correlation(i) }),
  );
}

/** Every stored row of the schema: (root hex, sequence, position). */
async function rows(schema: string) {
  return (await admin.unsafe(
    `SELECT encode(root, 'hex') AS root, sequence::int4 AS sequence, position::int8 AS position, correlation_id
     FROM ${schema}.events ORDER BY position`,
  )) as { root: string; sequence: number; position: bigint; correlation_id: string }[];
}

const hex = (ref: AggregateRef) => Buffer.from(ref.root).toString("hex");

/** A deferred constraint trigger on `table`: raises at COMMIT when `when` holds for a new row. */
async function failAtCommit(schema: string, table: string, when: string): Promise<void> {
  await admin.unsafe(`
    CREATE FUNCTION ${schema}.fail_${table}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF ${when} THEN RAISE EXCEPTION 'commit refused'; END IF;
      RETURN NULL;
    END $fn$;
    CREATE CONSTRAINT TRIGGER fail_${table} AFTER INSERT ON ${schema}.${table}
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${schema}.fail_${table}();`);
}

/** A trigger on `table` that sleeps inside the insert of a row for which `when` holds. */
async function stallInsert(schema: string, table: string, when: string): Promise<void> {
  await admin.unsafe(`
    CREATE FUNCTION ${schema}.stall_${table}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF ${when} THEN PERFORM pg_sleep(30); END IF;
      RETURN NEW;
    END $fn$;
    CREATE TRIGGER stall_${table} BEFORE INSERT ON ${schema}.${table}
      FOR EACH ROW EXECUTE FUNCTION ${schema}.stall_${table}();`);
}

/** Terminates the harness's backend once it sleeps in a stalled insert; how many were ended. */
async function dropStalledConnection(app: string): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const [row] = (await admin`
      SELECT count(pg_terminate_backend(pid))::int4 AS n FROM pg_stat_activity
      WHERE application_name = ${app} AND wait_event = 'PgSleep'`) as { n: number }[];
    if ((row?.n ?? 0) > 0) return row?.n ?? 0;
    await Bun.sleep(10);
  }
  return 0;
}

describe("group commit of main-timeline appends on PostgreSQL", () => {
  test("appends waiting together go as one statement; each gets its own numbers and positions", async () => {
    const h = await harness("share");
    const refs = Array.from({ length: 12 }, () => aggregate());
    const first = await Promise.all(appendsTogether(h.store, refs, (i) => `c${i}`));
    const second = await Promise.all(appendsTogether(h.store, refs, (i) => `d${i}`));
    expect(h.batches).toEqual([12, 12]);
    for (const stored of first) expect(stored.map((p) => EventPages.sequence(p))).toEqual([0, 1]);
    for (const stored of second) expect(stored.map((p) => EventPages.sequence(p))).toEqual([2, 3]);
    const all = await rows(h.schema);
    expect(all.length).toBe(48);
    expect(new Set(all.map((r) => r.position)).size).toBe(48);
    for (const ref of refs) {
      const mine = all.filter((r) => r.root === hex(ref));
      expect(mine.map((r) => r.sequence)).toEqual([0, 1, 2, 3]);
      const [c0, c1, c2, c3] = mine.map((r) => r.correlation_id);
      expect(c0 === c1 && c2 === c3 && c0 !== c2).toBe(true);
    }
    // One aggregate's pages are consecutive positions: the statement numbers the whole batch at once.
    const read = await h.store.readAll(0n, 1000);
    expect(read.map((e) => e.position)).toEqual(all.map((r) => BigInt(r.position)));
  });

  test("a second append of an aggregate waits for the next statement, numbered after the first", async () => {
    const h = await harness("same");
    const ref = aggregate();
    const other = aggregate();
    const [a, b, c] = await Promise.all([
      h.store.append(ref, [page("one")], { correlationId: "x" }),
      h.store.append(ref, [page("two")], { correlationId: "y" }),
      h.store.append(other, [page("three")], { correlationId: "z" }),
    ]);
    expect(h.batches).toEqual([2, 1]);
    expect(a?.map((p) => EventPages.sequence(p))).toEqual([0]);
    expect(b?.map((p) => EventPages.sequence(p))).toEqual([1]);
    expect(c?.map((p) => EventPages.sequence(p))).toEqual([0]);
  });

  test("a sequence conflict inside a batch fails that append alone", async () => {
    const h = await harness("conflict");
    const refs = Array.from({ length: 6 }, () => aggregate());
    const clash = aggregate();
    await h.store.append(clash, [page("first")], { correlationId: "seed" });
    h.batches.length = 0;
    const ok = appendsTogether(h.store, refs, (i) => `c${i}`);
    // Asks for sequence 0 where 0 is taken.
    const refused = h.store.append(clash, [page("late", 0)], { correlationId: "clash" });
    const results = await Promise.allSettled([...ok, refused]);
    expect(h.batches).toEqual([7]);
    expect(h.retried).toEqual([]);
    expect(results.slice(0, 6).every((r) => r.status === "fulfilled")).toBe(true);
    const last = results[6];
    expect(last?.status).toBe("rejected");
    expect(last?.status === "rejected" && last.reason).toBeInstanceOf(SequenceConflictError);
    const all = await rows(h.schema);
    expect(all.length).toBe(13);
    expect(all.filter((r) => r.correlation_id === "clash")).toEqual([]);
  });

  test("a causation recorded already, or claimed twice inside one batch, is refused for that append alone", async () => {
    const h = await harness("cause");
    const source = { component: "saga-x", domain: "src", edition: "", root: Uuid.randomBytes(), sequence: 3 };
    const [a, b, c] = await Promise.allSettled([
      h.store.append(aggregate(), [page("one")], { correlationId: "a", causation: source }),
      h.store.append(aggregate(), [page("two")], { correlationId: "b", causation: source }),
      h.store.append(aggregate(), [page("three")], { correlationId: "c" }),
    ]);
    expect(h.batches).toEqual([3]);
    const outcomes = [a, b].map((r) => r?.status);
    expect(outcomes.sort()).toEqual(["fulfilled", "rejected"]);
    const loser = [a, b].find((r) => r?.status === "rejected");
    expect(loser?.status === "rejected" && loser.reason).toBeInstanceOf(CausationRecordedError);
    expect(c?.status).toBe("fulfilled");
    const all = await rows(h.schema);
    expect(all.map((r) => r.correlation_id).sort()).toEqual(
      [a?.status === "fulfilled" ? "a" : "b", "c"].sort(),
    );
  });

  test("a COMMIT that fails fails the batch with nothing stored; only the append at fault fails in the end", async () => {
    const h = await harness("commit");
    // A deferred constraint trigger runs at COMMIT: the statement's implicit transaction fails there.
    await failAtCommit(h.schema, "events", "NEW.correlation_id = 'poison'");
    const refs = Array.from({ length: 8 }, () => aggregate());
    const results = await Promise.allSettled(
      appendsTogether(h.store, refs, (i) => (i === 3 ? "poison" : `c${i}`)),
    );
    expect(h.batches[0]).toBe(8);
    expect(h.retried).toEqual([8]);
    for (const [i, r] of results.entries()) expect(r.status).toBe(i === 3 ? "rejected" : "fulfilled");
    const failed = results[3];
    expect(failed?.status === "rejected" && failed.reason).toBeInstanceOf(StorageError);
    const all = await rows(h.schema);
    // Seven appends of two pages, each exactly once; the poisoned one not at all.
    expect(all.length).toBe(14);
    for (const [i, ref] of refs.entries()) {
      expect(all.filter((r) => r.root === hex(ref)).map((r) => r.sequence)).toEqual(i === 3 ? [] : [0, 1]);
    }
  });

  test("a COMMIT that fails once: every append of the batch lands exactly once", async () => {
    const h = await harness("once");
    await admin.unsafe(`CREATE SEQUENCE ${h.schema}.commit_faults`);
    await failAtCommit(h.schema, "events", `nextval('${h.schema}.commit_faults') = 1`);
    const refs = Array.from({ length: 8 }, () => aggregate());
    const stored = await Promise.all(appendsTogether(h.store, refs, (i) => `c${i}`));
    expect(h.retried).toEqual([8]);
    for (const pages of stored) expect(pages.map((p) => EventPages.sequence(p))).toEqual([0, 1]);
    const all = await rows(h.schema);
    expect(all.length).toBe(16);
    for (const ref of refs)
      expect(all.filter((r) => r.root === hex(ref)).map((r) => r.sequence)).toEqual([0, 1]);
  });

  test("the connection dropped during the statement fails every append of it, none stored; the next append works", async () => {
    const h = await harness("drop");
    // The batch's statement sleeps inside its insert; the test terminates its backend meanwhile.
    await stallInsert(h.schema, "events", "NEW.correlation_id = 'stall'");
    const refs = Array.from({ length: 6 }, () => aggregate());
    const pending = Promise.allSettled(appendsTogether(h.store, refs, (i) => (i === 0 ? "stall" : `c${i}`)));
    expect(await dropStalledConnection(h.app)).toBe(1);
    const results = await pending;
    expect(h.batches[0]).toBe(6);
    expect(h.retried).toEqual([]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect(r.status === "rejected" && r.reason).toBeInstanceOf(StorageError);
    }
    expect(await rows(h.schema)).toEqual([]);
    const again = await h.store.append(refs[1] as AggregateRef, [page("after")], { correlationId: "after" });
    expect(again.map((p) => EventPages.sequence(p))).toEqual([0]);
  });
});

/** A saga's decision: its causation and one command entry under it. */
function decision(cause: CausationKey, name = "command-0"): OutboxWrite {
  return {
    causations: [cause],
    enqueue: [{ cause, name, lane: "lane", kind: "command", payload: new TextEncoder().encode(name) }],
  };
}

function cause(sequence = 0): CausationKey {
  return { component: "saga-gc", domain: "src", edition: "", root: Uuid.randomBytes(), sequence };
}

async function outboxRows(schema: string) {
  return (await admin.unsafe(`SELECT id::int8 AS id, name, status FROM ${schema}.outbox ORDER BY id`)) as {
    id: bigint;
    name: string;
    status: string;
  }[];
}

async function causationCount(schema: string): Promise<number> {
  const [row] = (await admin.unsafe(`SELECT count(*)::int4 AS n FROM ${schema}.causations`)) as {
    n: number;
  }[];
  return row?.n ?? 0;
}

const written = (r: OutboxWriteResult | undefined) => (r?.kind === "written" ? r : undefined);

describe("grouped history reads on PostgreSQL", () => {
  const names = (pages: EventPage[]) => pages.map((p) => new TextDecoder().decode(p.event?.value));

  test("getMany calls waiting together are read by one statement; each gets its own aggregates' pages", async () => {
    const h = await harness("reads");
    const refs = Array.from({ length: 4 }, () => aggregate());
    const empty = aggregate();
    for (const [i, ref] of refs.entries()) {
      for (let n = 0; n <= i; n++) await h.store.append(ref, [page(`r${i}p${n}`, n)], { correlationId: "c" });
    }
    const [a, b, c, d] = refs as [AggregateRef, AggregateRef, AggregateRef, AggregateRef];
    const answers = await Promise.all([
      h.store.getMany([a]),
      h.store.getMany([b, empty, c]),
      h.store.getMany([d]),
      h.store.getMany([a]),
    ]);
    expect(h.reads).toEqual([6]);
    expect(answers.map((pages) => pages.map(names))).toEqual([
      [["r0p0"]],
      [["r1p0", "r1p1"], [], ["r2p0", "r2p1", "r2p2"]],
      [["r3p0", "r3p1", "r3p2", "r3p3"]],
      [["r0p0"]],
    ]);
    // The same aggregate asked for twice: pages of its own each time.
    expect(answers[0]?.[0]).not.toBe(answers[3]?.[0]);
  });

  test("a getMany that begins while a statement is in flight sees every page stored before it began", async () => {
    const h = await harness("reads_later");
    const first = aggregate();
    const later = aggregate();
    await h.store.append(first, [page("f0", 0)], { correlationId: "c" });
    const inFlight = h.store.getMany([first]);
    await h.store.append(later, [page("l0", 0)], { correlationId: "c" });
    const [before, after] = await Promise.all([inFlight, h.store.getMany([later])]);
    expect(before?.map(names)).toEqual([["f0"]]);
    expect(after?.map(names)).toEqual([["l0"]]);
  });
});

describe("group commit of outbox writes on PostgreSQL", () => {
  test("decisions and settlements waiting together go as one statement, each with its own entries", async () => {
    const h = await harness("obshare");
    const causes = Array.from({ length: 10 }, (_, i) => cause(i));
    const results = await Promise.all(causes.map((c) => h.outbox.write([decision(c)])));
    expect(h.batches).toEqual([10]);
    const ids = results.map(([r]) => written(r)?.enqueued[0]?.id);
    expect(ids.every((id) => typeof id === "number")).toBe(true);
    expect(new Set(ids).size).toBe(10);
    for (const [i, [r]] of results.entries()) expect(written(r)?.enqueued[0]?.cause.sequence).toBe(i);
    // Settle them all at once, in reverse: they still share one statement.
    const settled = await Promise.all(
      [...ids].reverse().map((id) => h.outbox.write([{ settle: { id: id as number, status: "delivered" } }])),
    );
    expect(h.batches).toEqual([10, 10]);
    for (const [r] of settled) expect(r?.kind).toBe("written");
    expect((await outboxRows(h.schema)).map((r) => r.status)).toEqual(Array(10).fill("delivered"));
    expect(await causationCount(h.schema)).toBe(10);
  });

  test("a causation recorded already, or an entry settled twice, inside a batch is a duplicate for that write alone", async () => {
    const h = await harness("obdup");
    const old = cause(0);
    const [seeded] = await h.outbox.write([decision(old)]);
    const id = written(seeded)?.enqueued[0]?.id as number;
    h.batches.length = 0;
    const fresh = Array.from({ length: 4 }, (_, i) => cause(i + 1));
    const results = await Promise.all([
      ...fresh.map((c) => h.outbox.write([decision(c)])),
      h.outbox.write([decision(old, "command-again")]),
      h.outbox.write([{ settle: { id, status: "delivered" } }]),
      h.outbox.write([{ settle: { id, status: "rejected" } }]),
    ]);
    expect(h.batches).toEqual([7]);
    expect(h.retried).toEqual([]);
    const kinds = results.map(([r]) => r?.kind);
    expect(kinds.slice(0, 4)).toEqual(Array(4).fill("written"));
    expect(kinds[4]).toBe("duplicate");
    // Exactly one of the two settlements of the one entry took effect.
    expect([kinds[5], kinds[6]].sort()).toEqual(["duplicate", "written"]);
    const rows = await outboxRows(h.schema);
    expect(rows.map((r) => r.name).sort()).toEqual(Array(5).fill("command-0"));
    expect(rows.find((r) => Number(r.id) === id)?.status).toBe(
      kinds[5] === "written" ? "delivered" : "rejected",
    );
    expect(await causationCount(h.schema)).toBe(5);
  });

  test("a COMMIT that fails: only the write at fault fails, the others are stored exactly once", async () => {
    const h = await harness("obcommit");
    await failAtCommit(h.schema, "outbox", "NEW.name = 'poison'");
    const causes = Array.from({ length: 6 }, (_, i) => cause(i));
    const results = await Promise.allSettled(
      causes.map((c, i) => h.outbox.write([decision(c, i === 2 ? "poison" : "command-0")])),
    );
    expect(h.batches[0]).toBe(6);
    expect(h.retried).toEqual([6]);
    for (const [i, r] of results.entries()) expect(r.status).toBe(i === 2 ? "rejected" : "fulfilled");
    const failed = results[2];
    expect(failed?.status === "rejected" && failed.reason).toBeInstanceOf(StorageError);
    expect((await outboxRows(h.schema)).map((r) => r.name)).toEqual(Array(5).fill("command-0"));
    // The failed write's causation went with it: its reaction may run again.
    expect(await causationCount(h.schema)).toBe(5);
  });

  test("the connection dropped during the statement fails every write of it, none stored", async () => {
    const h = await harness("obdrop");
    await stallInsert(h.schema, "outbox", "NEW.name = 'stall'");
    const causes = Array.from({ length: 5 }, (_, i) => cause(i));
    const pending = Promise.allSettled(
      causes.map((c, i) => h.outbox.write([decision(c, i === 4 ? "stall" : "command-0")])),
    );
    expect(await dropStalledConnection(h.app)).toBe(1);
    const results = await pending;
    expect(h.batches[0]).toBe(5);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect(r.status === "rejected" && r.reason).toBeInstanceOf(StorageError);
    }
    expect(await outboxRows(h.schema)).toEqual([]);
    expect(await causationCount(h.schema)).toBe(0);
    const [again] = await h.outbox.write([decision(causes[0] as CausationKey)]);
    expect(again?.kind).toBe("written");
  });
});
