// Opens a Storage from configuration. Backends load lazily, so a memory-only process never
// loads the SQLite or PostgreSQL code.
import { createMemoryStorage } from "./memory";
import type { Storage } from "./types";

export type StorageConfig =
  | { backend: "memory" }
  | {
      backend: "sqlite";
      path: string;
      /** When a commit counts as done (default "normal"): see SqliteDurability. */
      durability?: SqliteDurability;
    }
  | {
      backend: "postgres";
      url: string;
      schema?: string;
      /** Pool size of this Storage (the backend's default when absent). */
      maxConnections?: number;
    };

/**
 * SQLite commits in WAL mode. `normal` (synchronous = NORMAL): a commit is in the OS's hands when
 * it returns; a crash of the process loses nothing, an OS crash or power loss may lose the last
 * commits (never corrupting the file). `full` (synchronous = FULL): the WAL is flushed to disk on
 * every commit, so acknowledged writes survive power loss too, at one disk flush per commit
 * (shared by the writes of one group commit).
 */
export type SqliteDurability = "normal" | "full";

/** Schema used when a PostgreSQL config names none. */
export const DEFAULT_POSTGRES_SCHEMA = "angzarr";

export async function openStorage(config: StorageConfig): Promise<Storage> {
  switch (config.backend) {
    case "memory":
      return createMemoryStorage();
    case "sqlite": {
      const { openSqliteStorage } = await import("./sqlite");
      return openSqliteStorage(config.path, config.durability ? { durability: config.durability } : {});
    }
    case "postgres": {
      const { openPostgresStorage } = await import("./postgres");
      return openPostgresStorage({
        url: config.url,
        schema: config.schema ?? DEFAULT_POSTGRES_SCHEMA,
        ...(config.maxConnections === undefined ? {} : { maxConnections: config.maxConnections }),
      });
    }
  }
}
