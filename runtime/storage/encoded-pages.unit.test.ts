// Stored rows to EventBook `pages` bytes: exactly what protobuf-es writes for the same pages,
// on seeded rows (runs of shared timestamps and type URLs as appends store them, and edge values).
import { describe, expect, test } from "bun:test";
import { EventBookSchema, EventPageSchema } from "@angzarr/proto";
import { seeded } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { concatEncoded, encodePageRows, type StoredPageRow } from "./encoded-pages";

const utf8 = new TextEncoder();

/** What protobuf-es writes for the rows' pages (an EventBook holding only them). */
function expected(rows: readonly StoredPageRow[]): Uint8Array {
  const pages = rows.map(([num, seconds, nanos, type, payload]) =>
    create(EventPageSchema, {
      sequence: { case: "num", value: num },
      createdAt: create(TimestampSchema, { seconds: BigInt(seconds), nanos }),
      ...(type === null
        ? {}
        : {
            event: create(AnySchema, {
              typeUrl: typeof type === "string" ? type : new TextDecoder().decode(type),
              value: payload ?? new Uint8Array(0),
            }),
          }),
    }),
  );
  return toBinary(EventBookSchema, create(EventBookSchema, { pages }));
}

const TYPES = [
  "type.googleapis.com/google.protobuf.UInt32Value",
  "type.test/examples.OrderCreated",
  "",
  `type.test/${"long".repeat(40)}`,
  "type.test/ünïcode.É",
];
const EDGES = [
  0,
  1,
  127,
  128,
  16_383,
  16_384,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 40,
  -1,
  -(2 ** 31),
];

function seededRows(seed: number, count: number): StoredPageRow[] {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
  const rows: StoredPageRow[] = [];
  let seconds = 1_700_000_000;
  let nanos = 5;
  let type: string | Uint8Array | null = pick(TYPES);
  for (let i = 0; i < count; i++) {
    // New created_at and type now and then: runs of equal values, as one append's pages have.
    if (random() < 0.1) {
      seconds = random() < 0.3 ? pick(EDGES) : 1_700_000_000 + Math.floor(random() * 1e6);
      nanos = random() < 0.3 ? pick([0, 1, 999_999_999, -1]) : Math.floor(random() * 1e9);
    }
    if (random() < 0.1) {
      const text = random() < 0.1 ? null : pick(TYPES);
      type = text === null ? null : random() < 0.5 ? utf8.encode(text) : text;
    }
    const size = random() < 0.1 ? 0 : Math.floor(random() * (random() < 0.05 ? 400 : 20));
    const payload = random() < 0.05 ? null : new Uint8Array(size).map(() => Math.floor(random() * 256));
    const num = random() < 0.05 ? pick(EDGES.filter((e) => e >= 0 && e < 2 ** 32)) : i;
    rows.push([num, seconds, nanos, type, payload]);
  }
  return rows;
}

describe("encodePageRows", () => {
  test("seeded rows encode as protobuf-es encodes their pages", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rows = seededRows(seed, 1 + seed * 25);
      const encoded = encodePageRows(rows);
      expect(encoded.bytes).toEqual(expected(rows));
      expect(encoded.count).toBe(rows.length);
      expect(encoded.lastSequence).toBe(rows.at(-1)?.[0] as number);
    }
  });

  test("rows read from a later column, and runs joined, are the same bytes", () => {
    const rows = seededRows(99, 500);
    const shifted = rows.map((row) => ["domain", "edition", ...row]);
    expect(encodePageRows(shifted, 2).bytes).toEqual(expected(rows));
    const joined = concatEncoded(encodePageRows(rows.slice(0, 200)), encodePageRows(rows.slice(200)));
    expect(joined.bytes).toEqual(expected(rows));
    expect(joined.count).toBe(500);
  });

  test("no rows: no bytes", () => {
    expect(encodePageRows([])).toEqual({ bytes: new Uint8Array(0), count: 0, lastSequence: undefined });
  });
});
