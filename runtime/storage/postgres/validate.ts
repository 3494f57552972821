// Input checks shared by the PostgreSQL stores. Everything is checked before any SQL runs, so bad
// input never reaches the database and never leaves a partial write behind.
import { Editions } from "@angzarr/proto";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { InvalidInputError, MAX_SEQUENCE } from "../errors";
import type { AggregateRef, Divergence } from "../types";

const INT8_MAX = 0x7fff_ffff_ffff_ffffn;
/** Seconds range of google.protobuf.Timestamp (0001-01-01 .. 9999-12-31). */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

export function checkRoot(root: Uint8Array, what = "root"): void {
  if (!(root instanceof Uint8Array) || root.length !== 16) {
    const got = root instanceof Uint8Array ? `${root.length} bytes` : typeof root;
    throw new InvalidInputError(`${what} must be 16 bytes, got ${got}`);
  }
}

export function checkText(value: string, what: string): void {
  if (typeof value !== "string") throw new InvalidInputError(`${what} must be a string`);
  if (value.includes("\u0000")) throw new InvalidInputError(`${what} must not contain NUL characters`);
}

/** An integer in 0..0xFFFFFFFF (sequence numbers). */
export function checkSequence(value: number, what = "sequence"): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_SEQUENCE) {
    throw new InvalidInputError(`${what} must be an integer in 0..${MAX_SEQUENCE}, got ${String(value)}`);
  }
}

/** A non-negative integer that fits a JS number exactly (limits, counts). */
export function checkCount(value: number, what: string): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
}

/** A non-negative int8 (global positions, checkpoints). */
export function checkPosition(value: bigint, what = "position"): void {
  if (typeof value !== "bigint" || value < 0n || value > INT8_MAX) {
    throw new InvalidInputError(`${what} must be a bigint in 0..${INT8_MAX}, got ${String(value)}`);
  }
}

export function checkTimestamp(ts: Timestamp, what = "timestamp"): void {
  if (
    typeof ts?.seconds !== "bigint" ||
    ts.seconds < MIN_SECONDS ||
    ts.seconds > MAX_SECONDS ||
    !Number.isInteger(ts.nanos) ||
    ts.nanos < 0 ||
    ts.nanos > 999_999_999
  ) {
    throw new InvalidInputError(`${what} is not a valid timestamp`);
  }
}

export function checkDivergence(divergence: Divergence | undefined): void {
  if (divergence === undefined) return;
  if (divergence.kind === "sequence") checkSequence(divergence.sequence, "divergence sequence");
  else if (divergence.kind === "time") checkTimestamp(divergence.time, "divergence time");
  else throw new InvalidInputError("divergence must be of kind 'sequence' or 'time'");
}

/** Checks the ref and returns it with its edition normalised ("angzarr" is the main timeline). */
export function checkRef(ref: AggregateRef): AggregateRef {
  checkText(ref?.domain, "domain");
  checkRoot(ref.root);
  checkDivergence(ref.divergence);
  return { ...ref, edition: checkEdition(ref.edition) };
}

/** Checks an edition name and returns its normalised spelling. */
export function checkEdition(edition: string, what = "edition"): string {
  checkText(edition, what);
  return Editions.normalize(edition);
}

/** Schema names are interpolated into DDL and search_path, so only plain identifiers pass. */
export function checkSchemaName(schema: string): void {
  if (typeof schema !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new InvalidInputError(
      `schema must be a lowercase SQL identifier (a-z, 0-9, _; at most 63 characters), got ${JSON.stringify(schema)}`,
    );
  }
  if (schema.startsWith("pg_")) throw new InvalidInputError(`schema ${schema} is reserved by PostgreSQL`);
}
