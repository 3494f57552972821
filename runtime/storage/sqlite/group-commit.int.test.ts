// The SQLite group commit (SqliteDb.writeGrouped): appends queued in one event-loop turn share
// one transaction, and each keeps the semantics it has alone. Faults are injected with SQLite
// itself: a sequence conflict and a recorded causation inside a group; a COMMIT refused by a
// deferred foreign key that a trigger violates (for one aggregate's inserts, or for all of
// them); kill -9 of a process while its writers' appends share commits.
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventPage } from "@angzarr/proto";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { seeded } from "../../testing/reliability";
import { CausationRecordedError, SequenceConflictError, StorageFailure } from "../errors";
import type { AggregateRef } from "../types";
import { SqliteDb } from "./db";
import { SqliteEventStore } from "./events";
import { writerRoot } from "./group-commit-worker";

let dir: string;
let path: string;
const dbs: SqliteDb[] = [];

function connect(): { db: SqliteDb; events: SqliteEventStore } {
  const db = new SqliteDb(path);
  dbs.push(db);
  return { db, events: new SqliteEventStore(db) };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "angzarr-group-commit-"));
  path = join(dir, "store.db");
});

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const refOf = (domain: string, n: number): AggregateRef => ({ domain, edition: "", root: writerRoot(n) });
const event = (text: string) =>
  create(AnySchema, { typeUrl: "type.test/t.E", value: new TextEncoder().encode(text) });
const forced = (text: string) => [EventPages.forced(event(text))];
const numbered = (n: number, text: string) => [EventPages.numbered(n, event(text))];

/** What the file holds for `ref`, read on a connection of its own: [sequence, payload] rows. */
function inFile(ref: AggregateRef): [number, string][] {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .query(
        "SELECT sequence, payload FROM events WHERE domain = ?1 AND edition = '' AND root = ?2 ORDER BY sequence",
      )
      .values(ref.domain, ref.root) as [number, Uint8Array][];
    return rows.map(([n, payload]) => [n, new TextDecoder().decode(payload)]);
  } finally {
    db.close();
  }
}

/** Settles every promise; the outcome of each, in order. */
async function outcomes(promises: Promise<EventPage[]>[]): Promise<(EventPage[] | Error)[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error)));
}

/**
 * A trigger that makes the COMMIT of any transaction inserting events of `domain` (every domain
 * when absent) fail: it inserts a row whose deferred foreign key is checked at COMMIT only.
 */
function poisonCommits(db: SqliteDb, domain?: string): void {
  db.raw.run("PRAGMA foreign_keys = ON");
  db.raw.run("CREATE TABLE poison_parent (id INTEGER PRIMARY KEY)");
  db.raw.run(
    "CREATE TABLE poison (parent INTEGER REFERENCES poison_parent (id) DEFERRABLE INITIALLY DEFERRED)",
  );
  const when = domain === undefined ? "" : `WHEN NEW.domain = '${domain}'`;
  db.raw.run(
    `CREATE TRIGGER poison_commit AFTER INSERT ON events ${when} BEGIN INSERT INTO poison VALUES (1); END`,
  );
}

test("a sequence conflict and a recorded causation inside a group fail alone; their batch-mates commit together", async () => {
  const { db, events } = connect();
  const hot = refOf("d", 9);
  await events.append(hot, forced("hot-0"), { correlationId: "seed" });
  const cause = { component: "saga-x", domain: "src", edition: "", root: writerRoot(99), sequence: 3 };
  const shared = db.groups.shared;

  // Queued in one turn: one group.
  const results = await outcomes([
    events.append(refOf("d", 1), forced("a"), { correlationId: "c" }),
    events.append(hot, numbered(1, "hot-1"), { correlationId: "c" }),
    events.append(hot, numbered(1, "hot-1 again"), { correlationId: "c" }), // conflicts with the line above
    events.append(refOf("d", 2), forced("b"), { correlationId: "c", causation: cause }),
    events.append(refOf("d", 3), forced("c"), { correlationId: "c", causation: cause }), // already recorded
    events.append(refOf("d", 4), forced("d"), { correlationId: "c" }),
  ]);

  expect(db.groups.shared).toBe(shared + 1);
  expect(db.groups.split).toBe(0);
  expect(results[2]).toBeInstanceOf(SequenceConflictError);
  expect(results[4]).toBeInstanceOf(CausationRecordedError);
  for (const i of [0, 1, 3, 5]) expect(Array.isArray(results[i])).toBe(true);
  expect(inFile(hot)).toEqual([
    [0, "hot-0"],
    [1, "hot-1"],
  ]);
  expect(inFile(refOf("d", 1))).toEqual([[0, "a"]]);
  expect(inFile(refOf("d", 2))).toEqual([[0, "b"]]);
  expect(inFile(refOf("d", 3))).toEqual([]);
  expect(inFile(refOf("d", 4))).toEqual([[0, "d"]]);
  // The next append to the hot aggregate is numbered from what was stored.
  const [next] = await events.append(hot, forced("hot-2"), { correlationId: "c" });
  expect(next?.sequence.value).toBe(2);
});

test("a COMMIT that fails rolls the whole group back; each write is retried alone and only the poisoned one fails", async () => {
  const { db, events } = connect();
  poisonCommits(db, "poisoned");
  const results = await outcomes([
    events.append(refOf("d", 1), forced("a"), { correlationId: "c" }),
    events.append(refOf("poisoned", 1), forced("p"), { correlationId: "c" }),
    events.append(refOf("d", 2), forced("b"), { correlationId: "c" }),
  ]);

  expect(db.groups.split).toBe(1);
  expect(results[1]).toBeInstanceOf(StorageFailure);
  expect(String(results[1])).toContain("FOREIGN KEY");
  expect(inFile(refOf("poisoned", 1))).toEqual([]);
  // The others were each committed once, in a transaction of their own.
  expect(inFile(refOf("d", 1))).toEqual([[0, "a"]]);
  expect(inFile(refOf("d", 2))).toEqual([[0, "b"]]);
  expect(db.raw.inTransaction).toBe(false);
  const positions = new Database(path, { readonly: true });
  const [count, distinct] = positions
    .query("SELECT count(*), count(DISTINCT position) FROM events")
    .values()[0] as [number, number];
  positions.close();
  expect(distinct).toBe(count);
});

test("a COMMIT failing for every write acknowledges none, and loads and numbering stay those of the file", async () => {
  const { db, events } = connect();
  const a = refOf("d", 1);
  const b = refOf("d", 2);
  await events.append(a, forced("a0"), { correlationId: "seed" });
  await events.append(a, forced("a1"), { correlationId: "seed" });
  await events.getEncodedHistory?.(a); // cached load of a
  poisonCommits(db);

  const results = await outcomes([
    events.append(a, forced("a2"), { correlationId: "c" }),
    events.append(b, forced("b0"), { correlationId: "c" }),
    events.append(a, forced("a3"), { correlationId: "c" }),
  ]);
  for (const r of results) expect(r).toBeInstanceOf(StorageFailure);
  expect(db.groups.split).toBe(1);
  expect(inFile(a)).toEqual([
    [0, "a0"],
    [1, "a1"],
  ]);
  expect(inFile(b)).toEqual([]);

  db.raw.run("DROP TRIGGER poison_commit");
  expect((await events.get(a)).map((p) => p.sequence.value)).toEqual([0, 1]);
  const [next] = await events.append(a, forced("a2"), { correlationId: "c" });
  expect(next?.sequence.value).toBe(2);
  expect(inFile(a).map(([, text]) => text)).toEqual(["a0", "a1", "a2"]);
});

test("kill -9 while appends share group commits loses no acknowledged append and doubles none", async () => {
  const random = seeded(17);
  const writers = 16;
  for (let round = 0; round < 3; round++) {
    const child = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "group-commit-worker.ts"),
        path,
        String(writers),
        `r${round}-`,
      ],
      { stdout: "pipe", stderr: "inherit", stdin: "ignore" },
    );
    const acked = new Map<string, number>(); // payload → sequence
    let groups = 0;
    const killAfter = 200 + Math.floor(random() * 800);
    const reader = child.stdout.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (acked.size < killAfter) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the writer process exited by itself");
      text += decoder.decode(value, { stream: true });
      const lines = text.split("\n");
      text = lines.pop() ?? "";
      for (const line of lines) {
        const [kind, first, second, third] = line.split(" ");
        if (kind === "ack") acked.set(third as string, Number(second));
        else if (kind === "groups") groups = Number(first);
      }
    }
    child.kill(9);
    await child.exited;
    expect(groups).toBeGreaterThan(0); // appends did share commits

    const stored = new Map<string, number>();
    for (let w = 0; w < writers; w++) {
      const rows = inFile({ domain: "kill", edition: "", root: writerRoot(w) });
      rows.forEach(([n, payload], i) => {
        expect(n).toBe(i); // contiguous: nothing lost in the middle
        expect(stored.has(payload)).toBe(false); // nothing doubled
        stored.set(payload, n);
      });
    }
    for (const [payload, sequence] of acked) expect(stored.get(payload)).toBe(sequence);
  }
}, 60_000);
