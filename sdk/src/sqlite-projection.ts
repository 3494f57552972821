// SQLite plumbing shared by projectors (example-domains §5): open the read-model file, create
// the tables, apply one book per transaction, and run speculative books in a transaction that is
// always rolled back, so a speculative run executes exactly the real code path and writes nothing.
import { Database } from "bun:sqlite";
import { Covers, type EventBook, type EventPage, Timestamps } from "@angzarr/proto";
import type { Timestamp } from "@bufbuild/protobuf/wkt";

/**
 * When a read model's commit counts as done, as the runtime's SQLite store has it: `normal`
 * survives a crash of the process (the program's or the runtime's: kill -9), `full` also an OS
 * crash or power loss, at the cost of a disk flush per commit (about 100 µs of CPU and a few ms of
 * waiting on these machines, once per book). A read model promising more than the store it follows
 * gains nothing, and one promising less than a store that flushes loses books the store's
 * checkpoint has passed.
 */
export type ProjectionDurability = "normal" | "full";

/**
 * The durability a projector program was started with: PROJECTOR_DB_DURABILITY (the standalone
 * runtime passes its SQLite store's setting), else `full`.
 */
export function projectionDurability(
  env: Record<string, string | undefined> = process.env,
): ProjectionDurability {
  const said = env.PROJECTOR_DB_DURABILITY;
  if (said === undefined || said === "" || said === "full") return "full";
  if (said === "normal") return "normal";
  throw new Error(
    `PROJECTOR_DB_DURABILITY is "${said}": say "normal" or "full" (or leave it unset for full)`,
  );
}

/**
 * Opens (creating if needed) the projector's database and runs `schema` (idempotent DDL, e.g.
 * `CREATE TABLE IF NOT EXISTS ...`). File databases use WAL so readers never block the writer,
 * synced per `durability`.
 */
export function openProjectionDb(
  path: string,
  schema: string,
  durability: ProjectionDurability = projectionDurability(),
): Database {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA busy_timeout = 5000");
  if (path !== ":memory:" && path !== "") {
    db.run("PRAGMA journal_mode = WAL");
    db.run(`PRAGMA synchronous = ${durability === "normal" ? "NORMAL" : "FULL"}`);
  }
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
