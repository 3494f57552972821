// What `bun run bench` writes to bench/results/latest.json, and the checks on the way: a figure
// is a finite number (a workload that records null, NaN or a string fails instead of writing
// it), a workload that throws is kept as a failure entry, and the run's exit code says whether
// any workload failed. Pure: bench/run.ts does the printing and the writing.
import type { Figure } from "./harness";

/** A workload that threw (or recorded an invalid figure): its file and the error's message. */
export interface WorkloadFailure {
  workload: string;
  error: string;
}

export interface ResultsDocument {
  machine: string;
  at: string;
  /** "failed" when at least one workload failed; its figures are then missing from `figures`. */
  status: "ok" | "failed";
  figures: Figure[];
  failures: WorkloadFailure[];
}

/** Throws when `value` is not a finite number (null, undefined, NaN, ±Infinity, a string). */
export function checkedValue(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(
      `${what}: not a finite number (${value === undefined ? "undefined" : JSON.stringify(value)})`,
    );
  }
  return value;
}

/** The figure as recorded, or an error naming it when its value (or its peer value) is not a number. */
export function checkedFigure(figure: Figure): Figure {
  checkedValue(`figure "${figure.name}"`, figure.value);
  if (figure.peer !== undefined && figure.peer !== null)
    checkedValue(`peer of "${figure.name}"`, figure.peer);
  return figure;
}

/** The failure entry for `workload` from whatever it threw. */
export function failureOf(workload: string, thrown: unknown): WorkloadFailure {
  const error =
    thrown instanceof Error
      ? thrown.message || thrown.name
      : typeof thrown === "string"
        ? thrown
        : String(thrown);
  return { workload, error };
}

export function resultsDocument(
  machine: string,
  at: Date,
  figures: Figure[],
  failures: WorkloadFailure[],
): ResultsDocument {
  return {
    machine,
    at: at.toISOString(),
    status: failures.length > 0 ? "failed" : "ok",
    figures: figures.map(checkedFigure),
    failures,
  };
}

/** The run's exit code: 1 when any workload failed, after the results are written. */
export function exitCodeOf(doc: ResultsDocument): number {
  return doc.status === "failed" ? 1 : 0;
}
