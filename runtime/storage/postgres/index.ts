// PostgreSQL storage backend: every storage port over one pooled connection set and one schema.
import type { Storage } from "../types";
import { guarded, openPool, type Sql } from "./client";
import { PostgresEventStore } from "./events";
import { migrate } from "./migrations";
import { PostgresOutboxStore } from "./outbox";
import {
  PostgresCausationStore,
  PostgresDeadLetterStore,
  PostgresEditionStore,
  PostgresPositionStore,
  PostgresSnapshotStore,
} from "./stores";
import { checkCount, checkSchemaName } from "./validate";

export type { AppendHooks } from "./events";
export { PostgresEventStore } from "./events";

export interface PostgresStorageOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Schema holding every table (created when missing). */
  schema: string;
  /** Pool size; default 10. */
  maxConnections?: number;
}

export class PostgresStorage implements Storage {
  readonly backend = "postgres" as const;
  readonly events: PostgresEventStore;
  readonly snapshots: PostgresSnapshotStore;
  readonly positions: PostgresPositionStore;
  readonly deadLetters: PostgresDeadLetterStore;
  readonly causations: PostgresCausationStore;
  readonly editions: PostgresEditionStore;
  readonly outbox: PostgresOutboxStore;
  #closed = false;

  private constructor(
    private readonly sql: Sql,
    readonly schema: string,
  ) {
    this.events = new PostgresEventStore(sql);
    this.snapshots = new PostgresSnapshotStore(sql);
    this.positions = new PostgresPositionStore(sql);
    this.deadLetters = new PostgresDeadLetterStore(sql);
    this.causations = new PostgresCausationStore(sql);
    this.editions = new PostgresEditionStore(sql);
    this.outbox = new PostgresOutboxStore(sql, this.events);
  }

  /** Connects, creates the schema if needed and applies pending migrations. */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    checkSchemaName(options.schema);
    const max = options.maxConnections ?? 10;
    checkCount(max, "maxConnections");
    const sql = openPool(options.url, options.schema, Math.max(1, max));
    try {
      await guarded(`opening schema ${options.schema}`, () => migrate(sql, options.schema));
    } catch (error) {
      await sql.close().catch(() => {});
      throw error;
    }
    return new PostgresStorage(sql, options.schema);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await guarded("close", () => this.sql.close());
  }
}

export async function openPostgresStorage(options: PostgresStorageOptions): Promise<Storage> {
  return await PostgresStorage.open(options);
}
