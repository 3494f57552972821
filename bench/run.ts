// `bun run bench`: runs every bench/*.bench.ts workload (or those whose file names contain one of
// the words on the command line), prints the machine, a progress line per step, the table of
// figures (with the peer's figure and the ratio where a peer ran), and writes
// bench/results/latest.json. Peer workloads (peer-*.bench.ts) run last: they attach their figures
// to ours. After the workloads, the floor-relative ratios of the throughput issue are derived
// from figures of the same run (FLOOR_RATIOS) and recorded as figures of their own.
// `--breakdown`: instead, the per-stage breakdown of one command and of one saga hop
// (bench/breakdown.ts).
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Figure, FLOOR_RATIOS, floorRatios, machineLine, ratioOf, type Workload } from "./harness";
import {
  checkedFigure,
  checkedValue,
  exitCodeOf,
  failureOf,
  resultsDocument,
  type WorkloadFailure,
} from "./results";

const dir = import.meta.dir;
const args = process.argv.slice(2);
if (args.includes("--breakdown")) {
  const { breakdown } = await import("./breakdown");
  await breakdown();
  process.exit(0);
}
const wanted = args.filter((a) => !a.startsWith("--"));
const isPeer = (f: string) => f.startsWith("peer-");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort((a, b) => Number(isPeer(a)) - Number(isPeer(b)) || a.localeCompare(b));

const machine = machineLine();
const runStarted = performance.now();
console.log(`machine: ${machine}`);
const figures: Figure[] = [];
const failures: WorkloadFailure[] = [];
for (const file of files) {
  const started = performance.now();
  console.log(`\n▶ ${file}`);
  // A workload that throws (or records a figure that is not a number) is recorded as failed and
  // the run goes on; the figures it recorded before failing stay.
  try {
    const mod = (await import(join(dir, file))) as { default: Workload };
    await mod.default({
      record(figure) {
        figures.push(checkedFigure(figure));
        const budget =
          figure.budget === null ? "" : ` (budget ${figure.better === "lower" ? "≤" : "≥"} ${figure.budget})`;
        console.log(`  ${figure.name}: ${format(figure.value)} ${figure.unit}${budget}`);
      },
      progress(message) {
        console.log(`  … ${message}`);
      },
      attachPeer(name, peer, peerBudget) {
        const ours = figures.find((f) => f.name === name);
        if (ours === undefined) {
          console.log(`  (no figure "${name}" in this run: run its workload too for the ratio)`);
          return false;
        }
        ours.peer = checkedValue(`peer of "${name}"`, peer);
        ours.peerBudget = peerBudget;
        console.log(`  ${name}: ours/peer ${(ratioOf(ours) ?? 0).toFixed(2)}× (asked ≥ ${peerBudget}×)`);
        return true;
      },
    });
    console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (thrown) {
    const failure = failureOf(file, thrown);
    failures.push(failure);
    console.log(`  ✗ FAILED after ${((performance.now() - started) / 1000).toFixed(1)} s: ${failure.error}`);
    if (thrown instanceof Error && thrown.stack) console.error(thrown.stack);
  }
}

const derived = floorRatios(figures);
if (derived.length > 0) console.log("\nratios to the floor measured in this run:");
for (const f of derived) {
  figures.push(f);
  console.log(`  ${f.name}: ${format(f.value)}× (budget ${f.better === "lower" ? "≤" : "≥"} ${f.budget}×)`);
}
const missing = FLOOR_RATIOS.filter((r) => !derived.some((f) => f.name === r.name));
if (derived.length > 0 && missing.length > 0) {
  console.log(`  (not derived: ${missing.map((r) => r.name).join("; ")}: run their workloads too)`);
}

function format(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(v >= 10 ? 1 : 3);
}

function verdict(f: Figure): string {
  const misses: string[] = [];
  if (f.budget !== null && !(f.better === "lower" ? f.value <= f.budget : f.value >= f.budget)) {
    misses.push("MISSED");
  }
  const ratio = ratioOf(f);
  if (ratio !== null && f.peerBudget && ratio < f.peerBudget) misses.push(`ratio < ${f.peerBudget}×`);
  if (misses.length > 0) return misses.join(", ");
  return f.budget !== null || (ratio !== null && f.peerBudget) ? "ok" : "";
}

console.log(`\nmachine: ${machine}`);
console.log("| figure | unit | budget | measured | peer | ratio | |");
console.log("|---|---|---|---|---|---|---|");
for (const f of figures) {
  const peer = f.peer ?? null;
  const ratio = ratioOf(f);
  const budget = f.budget === null ? "" : `${f.better === "lower" ? "≤" : "≥"} ${f.budget}`;
  console.log(
    `| ${f.name} | ${f.unit} | ${budget} | ${format(f.value)} | ${peer === null ? "" : format(peer)} | ${
      ratio === null ? "" : `${ratio.toFixed(2)}×${f.peerBudget ? ` (≥ ${f.peerBudget}×)` : ""}`
    } | ${verdict(f)} |`,
  );
}
for (const f of failures) console.log(`| ${f.workload} | | | FAILED: ${f.error} | | | FAILED |`);
console.log(`\nbench finished in ${((performance.now() - runStarted) / 1000).toFixed(0)} s`);
const doc = resultsDocument(machine, new Date(), figures, failures);
mkdirSync(join(dir, "results"), { recursive: true });
writeFileSync(join(dir, "results", "latest.json"), `${JSON.stringify(doc, null, 2)}\n`);
if (failures.length > 0) {
  console.log(`\n${failures.length} workload(s) FAILED: ${failures.map((f) => f.workload).join(", ")}`);
}
process.exitCode = exitCodeOf(doc);
