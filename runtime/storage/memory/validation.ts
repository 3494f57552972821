// Input checks shared by the in-memory stores. Every check throws InvalidInputError and runs
// before anything is written, so a rejected call never leaves a partial write behind.
import { Editions, Uuid } from "@angzarr/proto";
import { InvalidInputError, MAX_SEQUENCE } from "../errors";
import type { AggregateRef, Divergence } from "../types";

const MAX_POSITION = 2n ** 63n - 1n;

export function checkRoot(root: Uint8Array): void {
  if (!(root instanceof Uint8Array) || root.length !== 16) {
    throw new InvalidInputError(
      `Root must be 16 bytes, got ${root instanceof Uint8Array ? root.length : typeof root}`,
    );
  }
}

/** A uint32 sequence number: an integer in 0..MAX_SEQUENCE. */
export function checkSequence(value: number, what = "sequence"): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEQUENCE) {
    throw new InvalidInputError(`Invalid ${what}: ${value} (expected an integer in 0..${MAX_SEQUENCE})`);
  }
}

export function checkDivergence(divergence: Divergence | undefined): void {
  if (divergence?.kind === "sequence") checkSequence(divergence.sequence, "divergence sequence");
}

/** Checks the ref and returns it with a normalised edition name. */
export function checkRef(ref: AggregateRef): AggregateRef {
  checkRoot(ref.root);
  checkDivergence(ref.divergence);
  return { ...ref, edition: Editions.normalize(ref.edition) };
}

/** A global position or checkpoint: 0..2^63-1. */
export function checkPosition(value: bigint, what = "position"): void {
  if (typeof value !== "bigint" || value < 0n || value > MAX_POSITION) {
    throw new InvalidInputError(`Invalid ${what}: ${String(value)}`);
  }
}

/** Stable map key of one aggregate on one timeline. */
export function aggregateKey(domain: string, edition: string, root: Uint8Array): string {
  return `${domain}\u0000${edition}\u0000${Uuid.toText(root)}`;
}
