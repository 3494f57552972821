// SQLite plumbing shared by projectors (example-domains §5): open the read-model file, create
// the tables, apply one book per transaction, and run speculative books in a transaction that is
// always rolled back, so a speculative run executes exactly the real code path and writes nothing.
import { Database } from "bun:sqlite";
import { Covers, type EventBook, type EventPage, Timestamps } from "@angzarr/proto";
import type { Timestamp } from "@bufbuild/protobuf/wkt";

/**
 * Opens (creating if needed) the projector's database and runs `schema` (idempotent DDL, e.g.
 * `CREATE TABLE IF NOT EXISTS ...`). File databases use WAL so readers never block the writer.
 */
export function openProjectionDb(path: string, schema: string): Database {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA busy_timeout = 5000");
  if (path !== ":memory:" && path !== "") db.run("PRAGMA journal_mode = WAL");
  db.run(schema);
  return db;
}

/**
 * Runs `apply` in one transaction: committed for a real run, rolled back when `speculative`.
 * Either way it returns what `apply` returned; on error nothing is kept.
 */
export function inBookTransaction<T>(db: Database, speculative: boolean, apply: () => T): T {
  db.run("BEGIN IMMEDIATE");
  try {
    const out = apply();
    db.run(speculative ? "ROLLBACK" : "COMMIT");
    return out;
  } catch (err) {
    if (db.inTransaction) db.run("ROLLBACK");
    throw err;
  }
}

/** True when the book is on the main timeline (projectors ignore edition events). */
export function isMainTimeline(book: EventBook): boolean {
  return Covers.edition(book.cover) === "";
}

/** RFC 3339 text of the first timestamp present: the event's own, then the page's; else now. */
export function eventTime(page: EventPage, eventAt?: Timestamp): string {
  const ts = eventAt ?? page.createdAt;
  return ts ? Timestamps.toRfc3339(ts) : new Date().toISOString();
}
