// Upgrading a database written before consumers kept one checkpoint per timeline (the old key
// was (consumer, domain, '*') for every timeline of the domain): each timeline resumes where the
// old cursor was, nothing is replayed from position 0. SQLite and PostgreSQL.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SQL } from "bun";
import { MemoryBus } from "../bus/memory/memory-bus";
import { CheckpointedConsumer } from "../coordinator/consumer";
import { removeDir, tempDir } from "../testing/processes";
import { visibleLog } from "./contract/fixtures";
import { openStorage } from "./open";
import { MIGRATIONS as PG_MIGRATIONS } from "./postgres/migrations";
import { MIGRATIONS as SQLITE_MIGRATIONS } from "./sqlite/migrations";
import type { Storage } from "./types";

/** Six events of domain "src": positions 1–4 on the main timeline, 5–6 in edition "what-if". */
const EVENTS = [
  { edition: "", root: 1, sequence: 0, position: 1 },
  { edition: "", root: 1, sequence: 1, position: 2 },
  { edition: "what-if", root: 1, sequence: 2, position: 3 },
  { edition: "", root: 2, sequence: 0, position: 4 },
  { edition: "", root: 2, sequence: 1, position: 5 },
  { edition: "what-if", root: 1, sequence: 3, position: 6 },
];
/** The old checkpoint had passed positions 1–3 (both timelines). */
const OLD_CHECKPOINT = 3;

function root(n: number): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[15] = n;
  return bytes;
}

/** Runs the consumer of one timeline once; returns the positions it was handed. */
async function consume(storage: Storage, edition: string): Promise<number[]> {
  const seen: number[] = [];
  const bus = new MemoryBus();
  const consumer = new CheckpointedConsumer({
    name: "saga-old",
    filter: { domain: "src" },
    edition,
    events: storage.events,
    positions: storage.positions,
    deadLetters: storage.deadLetters,
    bus,
    subscribe: false,
    process: async (book) => {
      for (const page of book.pages) seen.push(Number(page.sequence.value));
    },
  });
  await consumer.start();
  await consumer.stop();
  await bus.close();
  return seen;
}

async function expectResumed(storage: Storage): Promise<void> {
  // Every row readable first (PostgreSQL: once the transactions older than the insert have
  // finished, anywhere on a shared server), so that one catch-up run sees them all.
  expect(await visibleLog(storage, 0n, EVENTS.length)).toHaveLength(EVENTS.length);
  expect(await storage.positions.get("saga-old", "src", "")).toBe(BigInt(OLD_CHECKPOINT));
  expect(await storage.positions.get("saga-old", "src", "what-if")).toBe(BigInt(OLD_CHECKPOINT));
  expect(await storage.positions.get("saga-old", "src", "*")).toBeUndefined();
  // Unfiltered consumers keep their one cursor.
  expect(await storage.positions.get("projector-all", "", "*")).toBe(2n);
  // Main: root 2's events (positions 4, 5); the edition: position 6. Nothing before the old cursor.
  expect(await consume(storage, "")).toEqual([0, 1]);
  expect(await consume(storage, "what-if")).toEqual([3]);
}

describe("checkpoint key migration", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeDir(dir);
    dir = undefined;
  });

  test("SQLite: a database with domain-wide checkpoints resumes each timeline where it was", async () => {
    dir = tempDir("az-migrate-");
    const path = join(dir, "old.db");
    // The schema as it was before the change (migrations 1–8), written by hand.
    const db = new Database(path, { create: true, strict: true });
    db.run("PRAGMA journal_mode = WAL");
    db.run(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)",
    );
    for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= 8)) {
      db.run(m.sql);
      db.run("INSERT INTO schema_migrations VALUES (?1, ?2, 0)", [m.version, m.name]);
    }
    for (const e of EVENTS) {
      db.run(
        `INSERT INTO events (domain, edition, root, sequence, created_s, created_n, type_url, payload, correlation_id, position)
         VALUES ('src', ?1, ?2, ?3, 1, 0, 'type.test/E', x'', 'c', ?4)`,
        [e.edition, root(e.root), e.sequence, e.position],
      );
    }
    db.run("INSERT INTO positions VALUES ('saga-old', 'src', '*', ?1)", [OLD_CHECKPOINT]);
    db.run("INSERT INTO positions VALUES ('projector-all', '', '*', 2)");
    db.close();

    const storage = await openStorage({ backend: "sqlite", path });
    try {
      await expectResumed(storage);
    } finally {
      await storage.close();
    }
  });

  test("PostgreSQL: a schema with domain-wide checkpoints resumes each timeline where it was", async () => {
    const url = process.env.ANGZARR_PG_URL || "postgres://postgres@127.0.0.1:5432/postgres";
    const schema = `angzarr_migrate_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const sql = new SQL({ url, max: 1 });
    try {
      // The schema as it was before the change (migration 1), written by hand.
      await sql.unsafe(`CREATE SCHEMA ${schema}`);
      await sql.unsafe(
        `CREATE TABLE ${schema}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const first = PG_MIGRATIONS[0];
      if (!first) throw new Error("no migrations");
      await sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL search_path TO ${schema};\n${first.sql(schema)}`);
        await tx.unsafe(
          `INSERT INTO ${schema}.schema_migrations (version, name) VALUES (1, '${first.name}')`,
        );
        for (const e of EVENTS) {
          await tx.unsafe(
            `INSERT INTO ${schema}.events (domain, edition, root, sequence, type_url, payload, created_seconds,
               created_nanos, correlation_id, position)
             VALUES ('src', $1, $2, $3, 'type.test/E', '\\x'::bytea, 1, 0, 'c', $4)`,
            [e.edition, root(e.root), e.sequence, e.position],
          );
        }
        await tx.unsafe(
          `INSERT INTO ${schema}.positions (consumer, domain, edition, position)
           VALUES ('saga-old', 'src', '*', ${OLD_CHECKPOINT}), ('projector-all', '', '*', 2)`,
        );
      });
      const storage = await openStorage({ backend: "postgres", url, schema });
      try {
        await expectResumed(storage);
      } finally {
        await storage.close();
      }
    } finally {
      await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await sql.close();
    }
  });
});
