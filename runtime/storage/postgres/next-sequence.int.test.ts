// An append's next-sequence read costs the same whatever the aggregate's history (migration 13):
// on a table not analyzed yet (a new deployment's, until autovacuum reaches it: the bench's fresh
// schema), max(sequence) was planned over every row of the aggregate (the planner expecting one).
// Measured as the primary-key entries one append reads (the transaction's own statistics), at a
// short and at a long history: a count, not a timing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { PostgresStorage } from "./index";

const URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const schema = `angzarr_t_next_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
let storage: PostgresStorage;
let admin: SQL;

beforeAll(async () => {
  // One session: the functions' statements are planned and cached per session.
  admin = new SQL({ url: URL, max: 1 });
  storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 2 });
});

afterAll(async () => {
  await storage.close();
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
});

const page = (n: number) =>
  EventPages.numbered(
    n,
    create(AnySchema, { typeUrl: "type.googleapis.com/t.E", value: Uint8Array.of(n % 256) }),
  );

/**
 * Entries of the events table's primary key that one more page appended to `root` by `call`
 * (append_main or append_main_batch) read, from the transaction's own statistics.
 */
async function keysReadByAppend(root: Uint8Array, next: number, call: "append_main" | "append_main_batch") {
  const statement =
    call === "append_main"
      ? `SELECT * FROM ${schema}.append_main('k', 'd', $1::bytea, $2::int8, 1000000::int8, ARRAY['t']::text[],
           ARRAY['\\x00'::bytea], ARRAY[0]::int8[], ARRAY[0]::int4[], 'c', NULL::text, NULL::bytea,
           NULL::text, NULL::text, NULL::text, NULL::bytea, NULL::int8, NULL::text)`
      : `SELECT * FROM ${schema}.append_main_batch(ARRAY['k']::text[], ARRAY['d']::text[], ARRAY[$1::bytea],
           ARRAY[$2::int8], 1000000::int8, ARRAY[1]::int4[], ARRAY['t']::text[], ARRAY['\\x00'::bytea],
           ARRAY[0]::int8[], ARRAY[0]::int4[], ARRAY['c']::text[], ARRAY[NULL]::text[], ARRAY[NULL]::bytea[],
           ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY[NULL]::bytea[],
           ARRAY[NULL]::int8[], ARRAY[NULL]::text[])`;
  return await admin.begin(async (tx) => {
    const [outcome] = (await tx.unsafe(statement, [root, next])) as { r_outcome: string }[];
    expect(outcome?.r_outcome).toBe("written");
    const [row] = (await tx.unsafe(
      `SELECT pg_stat_get_xact_tuples_returned('${schema}.events_pkey'::regclass) AS read`,
    )) as { read: bigint | number }[];
    return Number(row?.read ?? 0);
  });
}

test("an append reads as many key entries at 400 pages of history as at 20", async () => {
  const ref = (root: Uint8Array) => ({ domain: "d", edition: "", root });
  const roots = Array.from({ length: 16 }, () => crypto.getRandomValues(new Uint8Array(16)));
  const short = crypto.getRandomValues(new Uint8Array(16));
  const warm = crypto.getRandomValues(new Uint8Array(16));
  // As commands write: one page per aggregate per append, 16 aggregates side by side; the table
  // not analyzed (autovacuum kept away for the test).
  await admin.unsafe(`ALTER TABLE ${schema}.events SET (autovacuum_enabled = false)`);
  for (let n = 0; n < 400; n++) {
    await Promise.all(
      roots.map((root) => storage.events.append(ref(root), [page(n)], { correlationId: "c" })),
    );
    if (n < 20) await storage.events.append(ref(short), [page(n)], { correlationId: "c" });
  }
  const long = roots[0] as Uint8Array;
  for (const call of ["append_main", "append_main_batch"] as const) {
    // The session's first calls plan each statement for their values; from the sixth on,
    // plpgsql's plan cache may keep one generic plan: that one is measured.
    for (let n = 0; n < 8; n++) await keysReadByAppend(warm, call === "append_main" ? n : n + 8, call);
    const atShort = await keysReadByAppend(short, call === "append_main" ? 20 : 21, call);
    const atLong = await keysReadByAppend(long, call === "append_main" ? 400 : 401, call);
    // With max(): every entry of the aggregate's range at the long history.
    expect(atLong).toBeLessThan(atShort + 10);
  }
  expect(await storage.events.nextSequence(ref(long))).toBe(402);
});
