// Input checks shared by the sqlite stores: anything malformed becomes an InvalidInputError
// before a statement runs, so bad input never reaches the database or half-writes a batch.
import { Editions } from "@angzarr/proto";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { InvalidInputError, MAX_SEQUENCE } from "../errors";
import type { AggregateRef, Divergence } from "../types";

/** Earliest and latest instants a google.protobuf.Timestamp may hold (0001-01-01 .. 9999-12-31). */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;
const MAX_INT64 = 0x7fff_ffff_ffff_ffffn;

export function text(value: unknown, what: string): string {
  if (typeof value !== "string") throw new InvalidInputError(`${what} must be a string`);
  return value;
}

export function root(value: unknown, what = "root"): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== 16) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new InvalidInputError(`${what} must be 16 bytes, got ${got}`);
  }
  return value;
}

/** A sequence number: an integer in 0..0xFFFFFFFF. */
export function sequence(value: unknown, what = "sequence"): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_SEQUENCE) {
    throw new InvalidInputError(`${what} must be an integer in 0..${MAX_SEQUENCE}, got ${String(value)}`);
  }
  return value;
}

/** A count or limit: a non-negative safe integer. */
export function count(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** A global or consumer position: a bigint in 0..2^63-1. */
export function position(value: unknown, what = "position"): bigint {
  if (typeof value !== "bigint" || value < 0n || value > MAX_INT64) {
    throw new InvalidInputError(`${what} must be a bigint in 0..2^63-1, got ${String(value)}`);
  }
  return value;
}

export function timestamp(value: Timestamp | undefined, what: string): Timestamp {
  if (
    value === undefined ||
    value === null ||
    typeof value.seconds !== "bigint" ||
    value.seconds < MIN_SECONDS ||
    value.seconds > MAX_SECONDS ||
    !Number.isInteger(value.nanos) ||
    value.nanos < 0 ||
    value.nanos > 999_999_999
  ) {
    throw new InvalidInputError(`${what} is not a valid timestamp`);
  }
  return value;
}

export function any(value: Any | undefined, what: string): Any {
  if (
    value === undefined ||
    value === null ||
    typeof value.typeUrl !== "string" ||
    !(value.value instanceof Uint8Array)
  ) {
    throw new InvalidInputError(`${what} must be a google.protobuf.Any`);
  }
  return value;
}

export function divergence(value: Divergence | undefined): Divergence | undefined {
  if (value === undefined) return undefined;
  if (value.kind === "sequence") sequence(value.sequence, "divergence sequence");
  else if (value.kind === "time") timestamp(value.time, "divergence time");
  else throw new InvalidInputError("divergence must be by sequence or by time");
  return value;
}

/** An edition name, normalised: every spelling of the main timeline becomes "". */
export function edition(value: unknown, what = "edition"): string {
  return Editions.normalize(text(value, what));
}

/** Checks a reference; returns it with the edition name normalised. */
export function ref(value: AggregateRef): AggregateRef {
  object(value, "aggregate reference");
  text(value.domain, "domain");
  const name = edition(value.edition);
  root(value.root);
  divergence(value.divergence);
  return name === value.edition ? value : { ...value, edition: name };
}

export function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidInputError(`${what} must be bytes`);
  return value;
}

/** Guards an argument object before its fields are read. */
export function object<T>(value: T, what: string): NonNullable<T> {
  if (value === null || typeof value !== "object") throw new InvalidInputError(`${what} missing`);
  return value as NonNullable<T>;
}
