// Connection plumbing for the PostgreSQL backend: the pool, error mapping, value conversions.
import { SQL } from "bun";
import { StorageError, StorageFailure, StorageUnavailable } from "../errors";

export type Sql = SQL;

/** SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = "23505";

export function sqlState(error: unknown): string | undefined {
  return error instanceof SQL.PostgresError ? error.errno : undefined;
}

export function constraintOf(error: unknown): string | undefined {
  return error instanceof SQL.PostgresError ? error.constraint : undefined;
}

/** Storage errors pass through; anything else becomes a StorageFailure naming what failed. */
export function toStorageError(what: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const state = sqlState(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  // Class 08 (connection exception), 57P0x (server shutting down), or the driver's own
  // connection errors: the server is out of reach, not refusing the statement.
  const unreachable =
    (state !== undefined && /^(08|57P0)/.test(state)) ||
    (typeof code === "string" && /^ERR_POSTGRES_(CONNECTION|.*TIMEOUT)|^ECONNREFUSED|^ECONNRESET/.test(code));
  const Failure = unreachable ? StorageUnavailable : StorageFailure;
  return new Failure(`PostgreSQL: ${what} failed: ${detail}${state ? ` (SQLSTATE ${state})` : ""}`, {
    cause: error,
  });
}

/** Runs `fn`, mapping every failure to a typed storage error. */
export async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toStorageError(what, error);
  }
}

/** A plain Uint8Array view of a bytea value (the driver hands back Buffers). */
export function bytes(value: Uint8Array): Uint8Array {
  return value.constructor === Uint8Array
    ? value
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** int8 columns come back as bigint (the pool runs with `bigint: true`). */
export function num(value: bigint | number): number {
  return typeof value === "bigint" ? Number(value) : value;
}

export function openPool(url: string, schema: string, max: number): Sql {
  return new SQL({
    url,
    max,
    bigint: true,
    idleTimeout: 30,
    // A server that cannot be reached fails the call in seconds, not the driver's default 30 s.
    connectionTimeout: 5,
    // Every pooled connection resolves unqualified names in the backend's own schema.
    connection: { search_path: schema, application_name: "angzarr" },
  });
}
