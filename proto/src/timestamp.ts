// google.protobuf.Timestamp conversions kept in one place (UTC, millisecond and nanosecond forms).
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";

export function fromMillis(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 });
}

export function now(): Timestamp {
  return fromMillis(Date.now());
}

/** Nanoseconds since the epoch as a bigint (exact). */
export function toNanos(ts: Timestamp): bigint {
  return ts.seconds * 1_000_000_000n + BigInt(ts.nanos);
}

export function fromNanos(ns: bigint): Timestamp {
  let seconds = ns / 1_000_000_000n;
  let nanos = ns % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  return create(TimestampSchema, { seconds, nanos: Number(nanos) });
}

/** RFC 3339 text in UTC. */
export function toRfc3339(ts: Timestamp): string {
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000)).toISOString();
}
