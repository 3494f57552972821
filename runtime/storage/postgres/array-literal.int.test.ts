// The array literals of array-literal.ts against what PostgreSQL reads from `sql.array` for the
// same values: text with quotes, backslashes, commas, braces, blanks, NULL spelled out, non-ASCII
// and empty; bytea empty, binary and nulls; integers of both kinds and int8's extremes. Real
// PostgreSQL (no schema needed).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { seeded } from "@angzarr/sdk";
import { SQL } from "bun";
import { byteaArray, integerArray, textArray } from "./array-literal";

const URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
let sql: SQL;

beforeAll(() => {
  sql = new SQL({ url: URL, max: 1, bigint: true });
});

afterAll(async () => {
  await sql.close();
});

const TEXTS = [
  "plain",
  "",
  "NULL",
  "null",
  'a "quoted" word',
  "back\\slash\\",
  "\\x00",
  "a,b",
  "{braces}",
  "  blanks  ",
  "tab\there",
  "line\nbreak",
  "ünïcødé ✓ 𝄞",
  "type.googleapis.com/bench.counter.Incremented",
  "counter\u001f\u001f0123456789abcdef",
  null,
];

describe("array literals read by PostgreSQL as sql.array's", () => {
  test("text[]", async () => {
    const [row] =
      await sql`SELECT ${textArray(TEXTS)}::text[] AS ours, ${sql.array(TEXTS, "TEXT")}::text[] AS theirs`;
    expect(row.ours).toEqual(TEXTS);
    expect(row.ours).toEqual(row.theirs);
    const [empty] = await sql`SELECT ${textArray([])}::text[] AS ours`;
    expect(empty.ours).toEqual([]);
  });

  test("bytea[], seeded", async () => {
    const rand = seeded(7);
    const values = Array.from({ length: 40 }, (_, i) =>
      i % 9 === 0
        ? null
        : Uint8Array.from({ length: i % 7 === 0 ? 0 : 1 + Math.floor(rand() * 64) }, () =>
            Math.floor(rand() * 256),
          ),
    );
    // A view into a larger buffer writes only its own bytes.
    const big = Uint8Array.from({ length: 32 }, (_, i) => i);
    values.push(big.subarray(5, 9));
    const [row] =
      await sql`SELECT ${byteaArray(values)}::bytea[] AS ours, ${sql.array(values, "BYTEA")}::bytea[] AS theirs`;
    const plain = (list: (Uint8Array | null)[]) => list.map((v) => (v === null ? null : [...v]));
    expect(plain(row.ours)).toEqual(plain(values));
    expect(plain(row.ours)).toEqual(plain(row.theirs));
  });

  test("int4[] and int8[]", async () => {
    const int4 = [0, 1, -1, 2147483647, -2147483648, null];
    const int8 = [0n, 9223372036854775807n, -9223372036854775808n, 1765000000n, 42, null];
    const [row] = await sql`SELECT ${integerArray(int4)}::int4[] AS a, ${integerArray(int8)}::int8[] AS b,
      ${sql.array(int8, "INT8")}::int8[] AS theirs`;
    expect(row.a).toEqual(int4);
    expect(row.b).toEqual(int8.map((v) => (v === null ? null : BigInt(v))));
    expect(row.b).toEqual(row.theirs);
    expect(() => integerArray([1.5])).toThrow(RangeError);
  });
});
