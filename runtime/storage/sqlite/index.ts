// The bun:sqlite storage backend: every storage port over one connection to one database file.
import type { SqliteDurability } from "../open";
import type { Storage } from "../types";
import { SqliteCausationStore } from "./causations";
import { SqliteDb } from "./db";
import { SqliteDeadLetterStore } from "./dead-letters";
import { SqliteEditionStore } from "./editions";
import { SqliteEventStore } from "./events";
import { SqliteOutboxStore } from "./outbox";
import { SqlitePositionStore } from "./positions";
import { SqliteSnapshotStore } from "./snapshots";

export { MIGRATIONS } from "./migrations";

/**
 * Opens (creating and migrating as needed) a sqlite database; `":memory:"` for a private one.
 * Several connections and processes may share a file: writes are serialised by sqlite's lock.
 */
export async function openSqliteStorage(
  path: string,
  options: { durability?: SqliteDurability } = {},
): Promise<Storage> {
  const db = new SqliteDb(path, options.durability ?? "normal");
  const events = new SqliteEventStore(db);
  return {
    backend: "sqlite",
    events,
    snapshots: new SqliteSnapshotStore(db),
    positions: new SqlitePositionStore(db),
    deadLetters: new SqliteDeadLetterStore(db),
    causations: new SqliteCausationStore(db),
    editions: new SqliteEditionStore(db),
    outbox: new SqliteOutboxStore(db, events),
    async close() {
      db.close();
    },
  };
}
