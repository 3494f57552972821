// Rows of the reliability suite (`bun run test:reliability`). A reliability test runs a fault
// scenario and reports what it tried and what went wrong as one row; the runner
// (scripts/reliability.ts) collects the rows into a table and fails on any loss, duplicate,
// crash or wrong code. The same tests run in `bun run test` at the quick level (fewer rounds).
import { appendFileSync } from "node:fs";

export interface ReliabilityRow {
  /** What was tried, in a few words: "kill -9 a saga program mid-flow". */
  scenario: string;
  /** How many cases (commands, rounds, requests) were tried. */
  tried: number;
  /** Acknowledged facts or commands whose effects never happened. */
  lost: number;
  /** Effects that happened more than once. */
  doubled: number;
  /** Cases parked in the dead-letter queue on purpose (not an error). */
  parked?: number;
  /** Processes that crashed when they should not have. */
  crashes?: number;
  /** Answers with another status code than the one specified. */
  wrongCodes?: number;
}

/** "quick" inside `bun run test`, "full" under `bun run test:reliability`. */
export function reliabilityLevel(): "quick" | "full" {
  return process.env.ANGZARR_RELIABILITY === "full" ? "full" : "quick";
}

/** Picks the quick or the full figure (rounds, cases, seconds) for the current level. */
export function scaled(quick: number, full: number): number {
  return reliabilityLevel() === "full" ? full : quick;
}

/** Records a row for the runner's table (a no-op outside the runner). */
export function recordRow(row: ReliabilityRow): void {
  const out = process.env.ANGZARR_RELIABILITY_OUT;
  if (!out) return;
  appendFileSync(out, `${JSON.stringify({ parked: 0, crashes: 0, wrongCodes: 0, ...row })}\n`);
}

// Seeded fixtures use the SDK's generator (mulberry32).
export { seeded } from "@angzarr/sdk";
