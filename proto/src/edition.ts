// Editions (timelines). Absent, "" and "angzarr" all mean the main timeline; we store "".
import type { Edition } from "../gen/angzarr/types_pb";

/** The stored spelling of the main timeline. */
export const MAIN = "";
/** The spelling the reference stamps on covers it builds; equal to MAIN everywhere. */
export const REFERENCE_MAIN = "angzarr";

/** One stored value for every spelling of the main timeline; other names unchanged. */
export function normalize(name: string | undefined): string {
  return name === undefined || name === REFERENCE_MAIN ? MAIN : name;
}

export function isMain(name: string | undefined): boolean {
  return normalize(name) === MAIN;
}

/** Normalised name of an Edition message (absent = main). */
export function nameOf(edition: Edition | undefined): string {
  return normalize(edition?.name);
}

/** The explicit divergence point for `domain`, if the edition declares one. */
export function divergenceFor(edition: Edition | undefined, domain: string): number | undefined {
  return edition?.divergences.find((d) => d.domain === domain)?.sequence;
}
