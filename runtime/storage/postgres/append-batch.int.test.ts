// PostgreSQL group commit of main-timeline appends (append-batch.ts, append_main_batch): appends
// waiting together share one statement, and each keeps its own outcome under the faults that
// can hit a shared statement: a sequence conflict or a recorded causation inside the batch, a
// COMMIT that fails (a deferred constraint trigger raising at commit), a COMMIT that fails once,
// and the connection dropped while the statement runs. Real PostgreSQL, a fresh schema per test.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { CausationRecordedError, SequenceConflictError, StorageError } from "../errors";
import type { AggregateRef } from "../types";
import { PostgresEventStore } from "./events";
import { PostgresStorage } from "./index";

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
  batches: number[];
  retried: number[];
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
  const store = new PostgresEventStore(pool, {
    maxInFlight: 1,
    onBatch: (size) => batches.push(size),
    onRetried: (size) => retried.push(size),
  });
  return { schema, app, store, batches, retried };
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
    await admin.unsafe(`
      CREATE FUNCTION ${h.schema}.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NEW.correlation_id = 'poison' THEN RAISE EXCEPTION 'poisoned commit'; END IF;
        RETURN NULL;
      END $fn$;
      CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON ${h.schema}.events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${h.schema}.refuse_poison();`);
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
    await admin.unsafe(`
      CREATE SEQUENCE ${h.schema}.commit_faults;
      CREATE FUNCTION ${h.schema}.fail_once() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF nextval('${h.schema}.commit_faults') = 1 THEN RAISE EXCEPTION 'commit failed once'; END IF;
        RETURN NULL;
      END $fn$;
      CREATE CONSTRAINT TRIGGER fail_once AFTER INSERT ON ${h.schema}.events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${h.schema}.fail_once();`);
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
    await admin.unsafe(`
      CREATE FUNCTION ${h.schema}.stall() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NEW.correlation_id = 'stall' THEN PERFORM pg_sleep(30); END IF;
        RETURN NEW;
      END $fn$;
      CREATE TRIGGER stall BEFORE INSERT ON ${h.schema}.events
        FOR EACH ROW EXECUTE FUNCTION ${h.schema}.stall();`);
    const refs = Array.from({ length: 6 }, () => aggregate());
    const pending = Promise.allSettled(appendsTogether(h.store, refs, (i) => (i === 0 ? "stall" : `c${i}`)));
    let killed = 0;
    for (let tries = 0; tries < 500 && killed === 0; tries++) {
      const [row] = (await admin`
        SELECT count(pg_terminate_backend(pid))::int4 AS n FROM pg_stat_activity
        WHERE application_name = ${h.app} AND wait_event = 'PgSleep'`) as { n: number }[];
      killed = row?.n ?? 0;
      if (killed === 0) await Bun.sleep(10);
    }
    expect(killed).toBe(1);
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
