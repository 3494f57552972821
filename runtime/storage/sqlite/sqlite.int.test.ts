// bun:sqlite specifics the shared contract does not cover: pragmas and schema, migrations on
// reopen, lock waits across processes, positions after deletes, timestamp extremes, failures.

import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { InvalidInputError, StorageFailure } from "../errors";
import type { AggregateRef, Storage } from "../types";
import { TIMELINE_LOG_SQL } from "./events";
import { MIGRATIONS, openSqliteStorage } from "./index";

let dir: string;
let path: string;
const open: Storage[] = [];

async function connect(): Promise<Storage> {
  const storage = await openSqliteStorage(path);
  open.push(storage);
  return storage;
}

function raw(): Database {
  return new Database(path, { strict: true });
}

/** Another process holding the file's write lock for `ms` (after `write`, if given); resolves once it holds it. */
async function holdWriteLock(ms: number, write = ""): Promise<Bun.Subprocess<"ignore", "pipe", "inherit">> {
  const holder = Bun.spawn(
    [
      process.execPath,
      "-e",
      `const { Database } = require("bun:sqlite");
       const db = new Database(${JSON.stringify(path)});
       db.run("BEGIN IMMEDIATE");
       ${write === "" ? "" : `db.run(${JSON.stringify(write)});`}
       console.log("locked");
       await Bun.sleep(${ms});
       db.run("COMMIT");`,
    ],
    { stdout: "pipe" },
  );
  const { value } = await holder.stdout.getReader().read();
  expect(new TextDecoder().decode(value)).toContain("locked");
  return holder;
}

function rootOf(n: number): Uint8Array {
  const root = new Uint8Array(16);
  new DataView(root.buffer).setUint32(12, n);
  return root;
}

const main: AggregateRef = { domain: "orders", edition: "", root: rootOf(1) };
const event = (text: string) =>
  create(AnySchema, { typeUrl: "type.test/t.E", value: new TextEncoder().encode(text) });
const forced = (...texts: string[]) => texts.map((t) => EventPages.forced(event(t)));
const nums = (pages: { sequence: { value?: unknown } }[]) => pages.map((p) => p.sequence.value);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "angzarr-sqlite-"));
  path = join(dir, "store.db");
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sqlite schema", () => {
  test("a new file is in WAL mode with every migration recorded and events WITHOUT ROWID", async () => {
    await connect();
    const db = raw();
    try {
      expect(db.prepare("PRAGMA journal_mode").values()).toEqual([["wal"]]);
      const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").values();
      expect(versions).toEqual(MIGRATIONS.map((m) => [m.version]));
      const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").values()[0]?.[0];
      expect(String(sql)).toContain("WITHOUT ROWID");
    } finally {
      db.close();
    }
  });

  test("durability: normal flushes the WAL at checkpoints, full on every commit", async () => {
    const synchronous = (s: Storage) => {
      const db = (s as unknown as { events: { db: { raw: Database } } }).events.db.raw;
      return db.prepare("PRAGMA synchronous").values()[0]?.[0];
    };
    const normal = await openSqliteStorage(path);
    const full = await openSqliteStorage(join(dir, "full.db"), { durability: "full" });
    open.push(normal, full);
    expect(synchronous(normal)).toBe(1); // NORMAL
    expect(synchronous(full)).toBe(2); // FULL
    await full.events.append(main, forced("kept"), { correlationId: "c" });
    expect(nums(await full.events.get(main))).toEqual([0]);
  });

  test("a timeline's catch-up read is a range of one index, not a walk past other domains' events", async () => {
    // A consumer of a quiet domain keeps its checkpoint at that domain's last event; its every
    // poll reads the timeline after it. Walking the global position index from there visited
    // every event appended since in the other domains (the whole log tail, at every poll).
    const storage = await connect();
    await storage.events.append({ ...main, domain: "quiet" }, forced("q"), { correlationId: "c" });
    for (let i = 0; i < 50; i++) {
      await storage.events.append({ ...main, domain: "busy", root: rootOf(i) }, forced("b"), {
        correlationId: "c",
      });
    }
    const db = raw();
    try {
      db.run("ANALYZE");
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${TIMELINE_LOG_SQL}`)
        .all(1, "quiet", "", 500)
        .map((row) => (row as { detail: string }).detail);
      expect(plan).toEqual([
        "SEARCH events USING INDEX events_timeline_position (domain=? AND edition=? AND position>?)",
      ]);
    } finally {
      db.close();
    }
    const after = (await storage.events.readAll(0n, 10, { domain: "quiet", edition: "" }))[0]?.position ?? 0n;
    expect(await storage.events.readAll(after, 10, { domain: "quiet", edition: "" })).toEqual([]);
    expect(await storage.events.readAll(0n, 100, { domain: "busy", edition: "" })).toHaveLength(50);
  });

  test("migrations are versioned in order and unique", () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });

  test("reopening applies nothing twice and keeps every event", async () => {
    const first = await connect();
    await first.events.append(main, forced("a", "b"), { correlationId: "c" });
    await first.close();
    const second = await connect();
    await second.close();
    const third = await connect();
    expect(nums(await third.events.get(main))).toEqual([0, 1]);
    const db = raw();
    try {
      expect(db.prepare("SELECT count(*) FROM schema_migrations").values()).toEqual([[MIGRATIONS.length]]);
    } finally {
      db.close();
    }
  });

  test("a file migrated by a newer runtime is refused with a StorageFailure", async () => {
    const s = await connect();
    await s.close();
    const db = raw();
    db.run("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (999, 'future', 0)");
    db.close();
    await expect(openSqliteStorage(path)).rejects.toBeInstanceOf(StorageFailure);
  });

  test("processes opening a new file at once all migrate it and write", async () => {
    const index = join(import.meta.dir, "index.ts");
    const script = `const { openSqliteStorage } = await import(${JSON.stringify(index)});
      const { EventPages } = await import("@angzarr/proto");
      const s = await openSqliteStorage(${JSON.stringify(path)});
      const root = new Uint8Array(16); root[15] = Number(process.argv.at(-1));
      await s.events.append({ domain: "d", edition: "", root }, [EventPages.forced(undefined)], { correlationId: "c" });
      await s.close();`;
    const procs = Array.from({ length: 6 }, (_, i) =>
      Bun.spawn([process.execPath, "-e", script, String(i)], { cwd: import.meta.dir, stderr: "pipe" }),
    );
    for (const p of procs) {
      const code = await p.exited;
      if (code !== 0) throw new Error(await new Response(p.stderr).text());
    }
    const storage = await connect();
    expect(await storage.events.headPosition()).toBe(6n);
    expect(await storage.events.listRoots("d", "")).toHaveLength(6);
  });

  test("opening a file while another process holds its write lock waits, then switches it to WAL", async () => {
    // The switch to WAL needs the file to itself. SQLite answers BUSY at once, without the busy
    // handler, when another connection holds the write lock of a file still in rollback-journal
    // mode (what a process racing to create the same new file holds), so the open must wait itself.
    const db = raw();
    db.run("CREATE TABLE scratch (x)");
    db.close();
    const holder = await holdWriteLock(300, "INSERT INTO scratch VALUES (1)");
    const storage = await connect();
    await storage.events.append(main, forced("a"), { correlationId: "c" });
    expect(await holder.exited).toBe(0);
    const check = raw();
    try {
      expect(check.prepare("PRAGMA journal_mode").values()).toEqual([["wal"]]);
      expect(check.prepare("SELECT count(*) FROM scratch").values()).toEqual([[1]]);
    } finally {
      check.close();
    }
  });
});

describe("sqlite writes", () => {
  test("an append waits for another process's write lock, then commits", async () => {
    const storage = await connect();
    const holder = await holdWriteLock(400);
    const started = performance.now();
    const stored = await storage.events.append(main, forced("a"), { correlationId: "c" });
    expect(performance.now() - started).toBeGreaterThan(100);
    expect(nums(stored)).toEqual([0]);
    expect(await holder.exited).toBe(0);
  });

  test("positions are never handed out twice, also after deleting an edition's newest events", async () => {
    const storage = await connect();
    await storage.events.append(main, forced("a"), { correlationId: "c" });
    const edition = { ...main, edition: "what-if" };
    await storage.events.append(edition, forced("b", "c"), { correlationId: "c" });
    expect(await storage.events.headPosition()).toBe(3n);
    expect(await storage.events.deleteEdition("orders", "what-if")).toBe(2);
    expect(await storage.events.headPosition()).toBe(3n);
    await storage.events.append(main, forced("d"), { correlationId: "c" });
    const log = await storage.events.readAll(0n, 10);
    expect(log.map((e) => e.position)).toEqual([1n, 4n]);
    await storage.close();
    const again = await connect();
    await again.events.append(main, forced("e"), { correlationId: "c" });
    expect(await again.events.headPosition()).toBe(5n);
  });

  test("timestamps at the ends of the Timestamp range round-trip exactly", async () => {
    const storage = await connect();
    const min = create(TimestampSchema, { seconds: -62_135_596_800n, nanos: 0 });
    const max = create(TimestampSchema, { seconds: 253_402_300_799n, nanos: 999_999_999 });
    await storage.events.append(
      main,
      [EventPages.forced(event("a"), min), EventPages.forced(event("b"), max)],
      {
        correlationId: "c",
      },
    );
    const pages = await storage.events.get(main);
    expect(pages.map((p) => p.createdAt)).toEqual([min, max]);
    expect(nums(await storage.events.getUntil(main, min))).toEqual([0]);
  });

  test("an out-of-range timestamp is an InvalidInputError and writes nothing", async () => {
    const storage = await connect();
    const bad = create(TimestampSchema, { seconds: 1n, nanos: 1_000_000_000 });
    await expect(
      storage.events.append(main, [EventPages.forced(event("a")), EventPages.forced(event("b"), bad)], {
        correlationId: "c",
      }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(await storage.events.headPosition()).toBe(0n);
  });

  test("a page without an event round-trips without one", async () => {
    const storage = await connect();
    const bare = EventPages.forced(event("x"));
    bare.event = undefined;
    await storage.events.append(main, [bare], { correlationId: "c" });
    const [page] = await storage.events.get(main);
    expect(page?.event).toBeUndefined();
    expect(page?.createdAt).toBeDefined();
  });

  test("an edition holding pages below its sequence divergence shows each sequence once", async () => {
    const storage = await connect();
    await storage.events.append(main, forced("m0", "m1", "m2", "m3"), { correlationId: "c" });
    const edition: AggregateRef = { ...main, edition: "e" };
    await storage.events.append({ ...edition, divergence: { kind: "sequence", sequence: 2 } }, forced("e2"), {
      correlationId: "c",
    });
    const pages = await storage.events.get({ ...edition, divergence: { kind: "sequence", sequence: 3 } });
    expect(nums(pages)).toEqual([0, 1, 2]);
    expect(
      await storage.events.nextSequence({ ...edition, divergence: { kind: "sequence", sequence: 3 } }),
    ).toBe(3);
  });

  test("a large consumer position round-trips exactly", async () => {
    const storage = await connect();
    const big = 2n ** 63n - 1n;
    await storage.positions.put("p", "orders", "", big);
    expect(await storage.positions.get("p", "orders", "")).toBe(big);
    await expect(storage.positions.put("p", "orders", "", big + 1n)).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});

describe("sqlite failures", () => {
  test("a closed store fails with a StorageFailure naming the operation", async () => {
    const storage = await connect();
    await storage.close();
    const err = await storage.events.get(main).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFailure);
    expect(String(err)).toContain("closed");
  });

  test("an unexpected SQLite error becomes a StorageFailure saying what failed", async () => {
    const storage = await connect();
    const db = raw();
    db.run("DROP TABLE snapshots");
    db.close();
    const err = await storage.snapshots.get(main).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFailure);
    expect(String(err)).toContain("read snapshot");
  });
});

test("closing commits the appends still waiting for their group commit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-close-"));
  try {
    const path = join(dir, "events.db");
    const first = await openSqliteStorage(path);
    const ref = { domain: "d", edition: "", root: new Uint8Array(16).fill(7) };
    const event = create(AnySchema, { typeUrl: "type.test/x", value: new Uint8Array([1]) });
    const pending = first.events.append(ref, [EventPages.forced(event)], { correlationId: "c" });
    await first.close();
    expect(await pending).toHaveLength(1);
    const second = await openSqliteStorage(path);
    expect(await second.events.get(ref)).toHaveLength(1);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
