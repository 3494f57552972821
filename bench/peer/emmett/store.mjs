// The Emmett event store the peer scripts use, on one SQLite connection per process opened with
// angzarr's own settings (runtime/storage/sqlite/db.ts, default durability): WAL, synchronous =
// NORMAL, busy_timeout = 5000 ms. Left to itself, Emmett's store opens a connection per operation,
// fires `PRAGMA journal_mode = WAL` on it without waiting and sets no busy timeout: its next
// transaction then fails now and then with "SQLITE_BUSY: cannot commit transaction - SQL
// statements in progress" (or "cannot change into wal mode from within a transaction"), and a
// second process writing the file fails with SQLITE_BUSY instead of waiting. It also kept SQLite's
// default synchronous = FULL (an fsync per commit), which angzarr does not do by default: not a
// fair comparison. Each run gets a fresh file (mkdtemp) from the caller.
import { getSQLiteEventStore, sqliteConnection } from "@event-driven-io/emmett-sqlite";

export const BUSY_TIMEOUT_MS = 5_000;

/** Opens `fileName` with angzarr's pragmas; resolves once they are in force. */
export async function openConnection(fileName) {
  const connection = sqliteConnection({ fileName });
  await connection.command(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  await connection.command("PRAGMA synchronous = NORMAL");
  const mode = await connection.querySingle("PRAGMA journal_mode = WAL");
  if (mode?.journal_mode !== "wal") throw new Error(`journal_mode is ${JSON.stringify(mode)}, not wal`);
  return connection;
}

/** Emmett's store on `fileName` through `connection` (kept open: the caller closes it). */
export function storeOn(fileName, connection) {
  return getSQLiteEventStore({
    fileName,
    schema: { autoMigration: "CreateOrUpdate" },
    connectionOptions: { connection, singleton: true },
  });
}
