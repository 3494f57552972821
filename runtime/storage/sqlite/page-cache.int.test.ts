// The connection's page cache is sized by demand: SQLite's small default for the write path and
// short reads; a long read of an aggregate's history raises it so reading that history again
// finds its pages in memory; it goes back to the small size once long reads stop. The pages read
// stay the same throughout.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { DEFAULT_HISTORY_WINDOWS } from "../../coordinator/aggregate-pipeline";
import type { AggregateRef } from "../types";
import { CACHE_KIB, LONG_READ_CACHE_KIB, LONG_READ_ROWS, SqliteDb } from "./db";
import { SqliteEventStore } from "./events";

let dir: string;
let db: SqliteDb;
let events: SqliteEventStore;

/** Long enough that the test's reads happen before it runs out, short enough to wait for. */
const KEEP_MS = 300;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "angzarr-page-cache-"));
  db = new SqliteDb(join(dir, "store.db"), "normal", KEEP_MS);
  events = new SqliteEventStore(db);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ref = (n: number): AggregateRef => ({ domain: "cache", edition: "", root: new Uint8Array(16).fill(n) });
const event = (n: number) =>
  create(AnySchema, { typeUrl: "type.test/t.E", value: new TextEncoder().encode(`e${n}`) });

async function fill(target: AggregateRef, count: number): Promise<void> {
  for (let at = 0; at < count; at += 1_000) {
    const pages = Array.from({ length: Math.min(1_000, count - at) }, (_, i) =>
      EventPages.forced(event(at + i)),
    );
    await events.append(target, pages, { correlationId: `fill-${at}` });
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await Bun.sleep(20);
}

test("writes and short reads keep the small cache; a long read raises it, and it comes back down", async () => {
  const long = ref(1);
  const short = ref(2);
  await fill(long, LONG_READ_ROWS);
  await fill(short, 10);
  expect(db.cacheKib()).toBe(CACHE_KIB);

  expect((await events.getEncodedFrom(short, 0)).count).toBe(10);
  expect((await events.getFrom(short, 0)).length).toBe(10);
  expect(db.cacheKib()).toBe(CACHE_KIB);

  const encoded = await events.getEncodedFrom(long, 0);
  expect(encoded.count).toBe(LONG_READ_ROWS);
  expect(db.cacheKib()).toBe(LONG_READ_CACHE_KIB);

  await until(() => db.cacheKib() === CACHE_KIB);
  // The same pages, read again after the cache shrank, and the long read raises it again.
  expect(Buffer.from((await events.getEncodedFrom(long, 0)).bytes).equals(Buffer.from(encoded.bytes))).toBe(
    true,
  );
  expect(db.cacheKib()).toBe(LONG_READ_CACHE_KIB);
});

test("each long read keeps the larger cache for another while", async () => {
  const long = ref(3);
  await fill(long, LONG_READ_ROWS);
  await events.getFrom(long, 0);
  expect(db.cacheKib()).toBe(LONG_READ_CACHE_KIB);
  // Long reads more often than the keep period: the cache stays up until they stop.
  for (let i = 0; i < 4; i++) {
    await Bun.sleep(KEEP_MS / 3);
    expect((await events.getFrom(long, 0)).length).toBe(LONG_READ_ROWS);
    expect(db.cacheKib()).toBe(LONG_READ_CACHE_KIB);
  }
  await until(() => db.cacheKib() === CACHE_KIB);
});

test("a long history read in windows raises the cache too, window by window", async () => {
  const long = ref(4);
  const { above, window } = DEFAULT_HISTORY_WINDOWS;
  await fill(long, above + window);
  expect(db.cacheKib()).toBe(CACHE_KIB);
  const history = await events.getEncodedHistory(long, DEFAULT_HISTORY_WINDOWS);
  expect(history.pages.count).toBe(window);
  expect(history.rest).toEqual({ from: window, to: above + window - 1 });
  expect(db.cacheKib()).toBe(LONG_READ_CACHE_KIB);
  await until(() => db.cacheKib() === CACHE_KIB);
  expect((await events.getEncodedRange(long, window, 2 * window - 1)).count).toBe(window);
  expect(db.cacheKib()).toBe(LONG_READ_CACHE_KIB);
});
