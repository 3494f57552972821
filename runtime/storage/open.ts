// Opens a Storage from configuration. Backends load lazily, so a memory-only process never
// loads the SQLite or PostgreSQL code.
import { createMemoryStorage } from "./memory";
import type { Storage } from "./types";

export type StorageConfig =
  | { backend: "memory" }
  | { backend: "sqlite"; path: string }
  | {
      backend: "postgres";
      url: string;
      schema?: string;
      /** Pool size of this Storage (the backend's default when absent). */
      maxConnections?: number;
    };

/** Schema used when a PostgreSQL config names none. */
export const DEFAULT_POSTGRES_SCHEMA = "angzarr";

export async function openStorage(config: StorageConfig): Promise<Storage> {
  switch (config.backend) {
    case "memory":
      return createMemoryStorage();
    case "sqlite": {
      const { openSqliteStorage } = await import("./sqlite");
      return openSqliteStorage(config.path);
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
