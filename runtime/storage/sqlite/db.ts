// One bun:sqlite connection: pragmas, migrations, a statement cache and the error policy.
// Writes run in BEGIN IMMEDIATE transactions, so they are serialised with every other
// connection and process on the same file; SQLITE_BUSY is waited out (busy_timeout) and retried.

import { Database, SQLiteError, type SQLQueryBindings, type Statement } from "bun:sqlite";
import { chmodSync, existsSync } from "node:fs";
import { log } from "../../observability/log";
import { StorageError, StorageFailure } from "../errors";
import { HistoryCache } from "./history-cache";
import { MIGRATIONS } from "./migrations";

/** How long one statement waits for another writer's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;
/**
 * Page cache of the connection, KiB: SQLite's default size. The write path alone would fill any
 * size with pages it does not read again (an index keyed by random-looking correlation ids is
 * written all over): 32 MiB cost ~34 MB of resident memory under the command load, and a small
 * cache no CPU per append (bench/sqlite-cache-rss.ts); the OS keeps the file's pages anyway.
 */
export const CACHE_KIB = 2 * 1024;
/**
 * Page cache while long histories are read (a 100k-event aggregate's pages ≈ 15 MiB): read again,
 * they come from the cache instead of the OS.
 */
export const LONG_READ_CACHE_KIB = 32 * 1024;
/**
 * A read of this many rows or more is a long read (≈ 600 KiB of pages: the aggregate pipeline
 * reads a long history in windows of 8,192 pages, each window a read of its own).
 */
export const LONG_READ_ROWS = 4_096;
/** The larger cache is given back this long after the last long read. */
const LONG_READ_KEEP_MS = 60_000;
/** Whole-transaction retries after SQLITE_BUSY outlasted the busy timeout. */
const BUSY_RETRIES = 3;

type Params = SQLQueryBindings[];
export type Stmt = Statement<unknown, Params>;

function isBusy(err: unknown): boolean {
  return err instanceof SQLiteError && (err.code ?? "").startsWith("SQLITE_BUSY");
}

/** Typed errors pass through; anything else becomes a StorageFailure naming the operation. */
interface GroupedWrite {
  what: string;
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Puts the file in WAL mode. The switch needs the file to itself, and SQLite answers BUSY at once,
 * without the busy handler, while another connection holds the write lock of a file still in
 * rollback-journal mode (another process creating the same new file, say); so the switch is
 * retried here, for as long as the busy timeout would have waited.
 */
function switchToWal(raw: Database): void {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      raw.run("PRAGMA journal_mode = WAL");
      return;
    } catch (err) {
      const busy = err instanceof SQLiteError && err.code === "SQLITE_BUSY";
      if (!busy || performance.now() >= deadline) throw err;
      Bun.sleepSync(pause);
    }
  }
}

export function failure(what: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const detail = err instanceof SQLiteError ? `${err.code ?? "SQLITE_ERROR"}: ${err.message}` : String(err);
  const out = new StorageFailure(`sqlite: ${what} failed: ${detail}`);
  out.cause = err;
  return out;
}

export class SqliteDb {
  readonly raw: Database;
  private readonly statements = new Map<string, Stmt>();
  private closed = false;
  private readonly begin: Stmt;
  private readonly beginRead: Stmt;
  private readonly commit: Stmt;
  private readonly rollback: Stmt;
  /** Writes waiting for the next group commit (see writeGrouped). */
  private pending: GroupedWrite[] = [];
  private flushScheduled = false;
  private lastGroupSize = 0;
  /**
   * Group commits so far: `shared` groups of several writes committed in one transaction, and
   * `split` groups rolled back as a whole (an unexpected error, a failed COMMIT) whose writes
   * were then retried each in its own transaction.
   */
  readonly groups = { shared: 0, split: 0 };
  private readonly dataVersionStmt: Stmt;
  /** Loads of hot aggregates, shared by the stores on this connection (history-cache.ts). */
  readonly histories = new HistoryCache();
  /** When the page cache goes back to CACHE_KIB (performance.now()); undefined while it is there. */
  private largeCacheUntil: number | undefined;
  private largeCacheTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly path: string,
    /** synchronous = NORMAL or FULL (see SqliteDurability). */
    readonly durability: "normal" | "full" = "normal",
    /** How long the larger page cache outlives the last long read (tests shorten it). */
    private readonly longReadKeepMs = LONG_READ_KEEP_MS,
  ) {
    try {
      this.raw = new Database(path, { create: true, strict: true });
      if (path !== ":memory:" && path !== "") chmodSync(path, 0o600);
    } catch (err) {
      throw failure(`opening ${path}`, err);
    }
    try {
      this.raw.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      switchToWal(this.raw);
      for (const side of [`${path}-wal`, `${path}-shm`]) if (existsSync(side)) chmodSync(side, 0o600);
      this.raw.run(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
      this.raw.run(`PRAGMA cache_size = -${CACHE_KIB}`);
      this.begin = this.prepare("BEGIN IMMEDIATE");
      this.beginRead = this.prepare("BEGIN DEFERRED");
      this.commit = this.prepare("COMMIT");
      this.rollback = this.prepare("ROLLBACK");
      this.dataVersionStmt = this.prepare("PRAGMA data_version");
      this.migrate();
    } catch (err) {
      this.raw.close();
      throw failure(`opening ${path}`, err);
    }
  }

  /** A prepared statement, compiled once per connection. */
  prepare(sql: string): Stmt {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.raw.prepare<unknown, Params>(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Changes whenever another connection (this process or another) commits to the file. */
  dataVersion(): number {
    return this.dataVersionStmt.values()[0]?.[0] as number;
  }

  /** The page cache's size now, KiB. */
  cacheKib(): number {
    return -(this.prepare("PRAGMA cache_size").values()[0]?.[0] as number);
  }

  /**
   * A read of `rows` rows just ran. A long one gives the page cache room for long histories
   * (LONG_READ_CACHE_KIB), so reading them again finds their pages in memory; the room is given
   * back (SQLite frees the pages over CACHE_KIB) once no long read came for longReadKeepMs.
   */
  readRows(rows: number): void {
    if (rows < LONG_READ_ROWS || this.closed) return;
    const until = performance.now() + this.longReadKeepMs;
    if (this.largeCacheUntil === undefined) this.raw.run(`PRAGMA cache_size = -${LONG_READ_CACHE_KIB}`);
    this.largeCacheUntil = until;
    if (this.largeCacheTimer === undefined) this.scheduleCacheShrink(this.longReadKeepMs);
  }

  private scheduleCacheShrink(ms: number): void {
    this.largeCacheTimer = setTimeout(() => {
      this.largeCacheTimer = undefined;
      const until = this.largeCacheUntil;
      if (until === undefined || this.closed) return;
      const left = until - performance.now();
      if (left > 0) return this.scheduleCacheShrink(left);
      this.largeCacheUntil = undefined;
      this.raw.run(`PRAGMA cache_size = -${CACHE_KIB}`);
    }, ms);
    this.largeCacheTimer.unref();
  }

  /** Runs `fn` (plain reads, or one autocommit statement), mapping errors. */
  read<T>(what: string, fn: () => T): T {
    this.ensureOpen(what);
    try {
      return fn();
    } catch (err) {
      throw failure(what, err);
    }
  }

  /** Runs several reads against one snapshot of the database. */
  snapshot<T>(what: string, fn: () => T): T {
    this.ensureOpen(what);
    if (this.raw.inTransaction) return this.read(what, fn);
    try {
      this.beginRead.run();
    } catch (err) {
      throw failure(what, err);
    }
    try {
      return fn();
    } catch (err) {
      throw failure(what, err);
    } finally {
      this.endQuietly(this.commit);
    }
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE: all of it commits or none of it does. `fn` must be
   * synchronous and safe to run again (it is retried from scratch after SQLITE_BUSY).
   */
  write<T>(what: string, fn: () => T): T {
    this.ensureOpen(what);
    for (let attempt = 0; ; attempt++) {
      try {
        this.begin.run();
      } catch (err) {
        if (isBusy(err) && attempt < BUSY_RETRIES) continue;
        throw failure(`${what} (waiting for the write lock)`, err);
      }
      try {
        const result = fn();
        this.commit.run();
        return result;
      } catch (err) {
        this.endQuietly(this.rollback);
        if (isBusy(err) && attempt < BUSY_RETRIES) continue;
        throw failure(what, err);
      }
    }
  }

  /**
   * Like `write`, but commits together with the other writes queued in the same turn of the event
   * loop: one BEGIN IMMEDIATE … COMMIT for all of them, which takes the commit off each command's
   * path under load (a lone write waits one turn at most). `fn` must throw its typed refusals
   * (StorageError: a sequence conflict, a recorded causation) before it writes anything, so a
   * refused write leaves nothing behind in the shared transaction. Any other error rolls the
   * group back and every write is retried on its own.
   */
  writeGrouped<T>(what: string, fn: () => T): Promise<T> {
    this.ensureOpen(what);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ what, fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Under concurrency (the last group held several writes) wait a little longer so more
        // writes share the commit; a lone writer is flushed on the next turn.
        if (this.lastGroupSize > 1) setTimeout(() => this.flush(), 0);
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.lastGroupSize = batch.length;
    if (batch.length === 0) return;
    if (this.closed) {
      for (const w of batch) w.reject(new StorageFailure(`sqlite: ${w.what} failed: storage is closed`));
      return;
    }
    if (batch.length > 1) {
      let outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
      try {
        this.write(`group of ${batch.length} writes`, () => {
          outcomes = [];
          for (const w of batch) {
            try {
              outcomes.push({ ok: true, value: w.fn() });
            } catch (err) {
              if (!(err instanceof StorageError)) throw err; // unexpected: maybe half written
              outcomes.push({ ok: false, error: err });
            }
          }
        });
        this.groups.shared++;
        batch.forEach((w, i) => {
          const outcome = outcomes[i];
          if (outcome?.ok) w.resolve(outcome.value);
          else w.reject(outcome?.error);
        });
        return;
      } catch (err) {
        // Rolled back as a whole, nothing of it acknowledged: give every write its own
        // transaction, so the one that failed it fails alone.
        this.groups.split++;
        log.warn("sqlite.group_commit.split", {
          component: "storage",
          writes: batch.length,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    for (const w of batch) {
      try {
        w.resolve(this.write(w.what, w.fn));
      } catch (err) {
        w.reject(err);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    // Writes still waiting for their group commit are committed, not dropped.
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    clearTimeout(this.largeCacheTimer);
    for (const stmt of this.statements.values()) stmt.finalize();
    this.statements.clear();
    this.raw.close();
  }

  private ensureOpen(what: string): void {
    if (this.closed) throw new StorageFailure(`sqlite: ${what} failed: storage is closed`);
  }

  private endQuietly(stmt: Stmt): void {
    if (!this.raw.inTransaction) return;
    try {
      stmt.run();
    } catch {
      // The transaction is gone already; the original error is what matters.
    }
  }

  /** Applies the migrations this file lacks, under the write lock so concurrent openers agree. */
  private migrate(): void {
    this.raw.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version       INTEGER PRIMARY KEY,
        name          TEXT    NOT NULL,
        applied_at_ms INTEGER NOT NULL
      )`,
    );
    const latest = MIGRATIONS.at(-1)?.version ?? 0;
    const appliedNow = () => {
      const rows = this.raw.prepare("SELECT version FROM schema_migrations").values() as [number][];
      const applied = new Set(rows.map((r) => r[0]));
      const newest = Math.max(0, ...applied);
      if (newest > latest) {
        throw new StorageFailure(
          `sqlite: schema version ${newest} of ${this.path} is newer than this runtime (${latest})`,
        );
      }
      return applied;
    };
    const before = appliedNow();
    if (MIGRATIONS.every((m) => before.has(m.version))) return;
    this.write("applying schema migrations", () => {
      const applied = appliedNow();
      const record = this.raw.prepare(
        "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?1, ?2, ?3)",
      );
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        this.raw.run(m.sql);
        record.run(m.version, m.name, Date.now());
      }
      record.finalize();
    });
  }
}
