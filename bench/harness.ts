// The benchmark harness shared by every workload file: figures, budgets, progress lines.
import { cpus } from "node:os";

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The design.md budget, or null where none applies. */
  budget: number | null;
  better: "lower" | "higher";
  /** Optional peer figure measured in the same run (e.g. Emmett). */
  peer?: number | null;
  /** With a peer: the least ratio ours/peer (oriented so that higher is better) the design asks for. */
  peerBudget?: number | null;
}

export interface BenchReporter {
  record(figure: Figure): void;
  progress(message: string): void;
  /**
   * Sets the peer's value (and the ratio the design asks for) on one of our figures recorded
   * earlier in this run; reports false when no figure of that name was recorded.
   */
  attachPeer(name: string, peer: number, peerBudget: number): boolean;
}

/** ours/peer, oriented so that > 1 means ours is better. */
export function ratioOf(f: Figure): number | null {
  if (f.peer === undefined || f.peer === null) return null;
  return f.better === "lower" ? f.peer / f.value : f.value / f.peer;
}

/**
 * The throughput issue's budgets relative to a floor measured in the same run (the machines'
 * speed varies up to 2× between runs): `of` / `to`, each a figure name.
 */
export const FLOOR_RATIOS: {
  name: string;
  of: string;
  to: string;
  budget: number;
  better: "lower" | "higher";
}[] = [
  {
    name: "rebuild 100k / bare sqlite read of them",
    of: "end-to-end rebuild 100k events (no snapshot)",
    to: "bare sqlite read of the same 100k events",
    budget: 1.3,
    better: "lower",
  },
  {
    name: "gateway commands/s / bare Bun.serve answers/s",
    of: "commands through the gateway (64 clients)",
    to: "bare Bun.serve answers (64 clients)",
    budget: 0.4,
    better: "higher",
  },
  {
    name: "saga hop events/s / gateway commands/s",
    of: "saga hop (OrderCreated → StockReserved)",
    to: "commands through the gateway (64 clients)",
    budget: 0.5,
    better: "higher",
  },
  {
    name: "projector events/s / sqlite append in batches of 100",
    of: "projector catch-up (inventory → read model)",
    to: "sqlite append, batches of 100 (1000 aggregates)",
    budget: 0.2,
    better: "higher",
  },
];

/** The FLOOR_RATIOS whose two figures were both measured, as figures (unit "×"). */
export function floorRatios(figures: Figure[]): Figure[] {
  const out: Figure[] = [];
  for (const ratio of FLOOR_RATIOS) {
    const of = figures.find((f) => f.name === ratio.of);
    const to = figures.find((f) => f.name === ratio.to);
    if (of === undefined || to === undefined || to.value === 0) continue;
    out.push({
      name: ratio.name,
      value: of.value / to.value,
      unit: "×",
      budget: ratio.budget,
      better: ratio.better,
    });
  }
  return out;
}

/** A workload module: `export default async function (r: BenchReporter) { ... }`. */
export type Workload = (r: BenchReporter) => Promise<void>;

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return `${cpu.trim()}, ${cpus().length} cores, Bun ${Bun.version}, ${process.platform}/${process.arch}`;
}

/** Median of several timed runs of `fn`, in milliseconds. */
export async function medianMs(runs: number, fn: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** p-th percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

// Seeded fixtures use the SDK's generator (mulberry32).
export { seeded } from "@angzarr/sdk";
