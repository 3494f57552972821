// `bun run bench`: runs every bench/*.bench.ts workload (or those named on the command line),
// prints a table and writes bench/results/latest.json.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Figure, machineLine, type Workload } from "./harness";

const dir = import.meta.dir;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

console.log(`machine: ${machineLine()}`);
const figures: Figure[] = [];
for (const file of files) {
  const started = performance.now();
  console.log(`\n▶ ${file}`);
  const mod = (await import(join(dir, file))) as { default: Workload };
  await mod.default({
    record(figure) {
      figures.push(figure);
      const budget =
        figure.budget === null ? "" : ` (budget ${figure.better === "lower" ? "≤" : "≥"} ${figure.budget})`;
      console.log(`  ${figure.name}: ${format(figure.value)} ${figure.unit}${budget}`);
    },
    progress(message) {
      console.log(`  … ${message}`);
    },
  });
  console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function format(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(v >= 10 ? 1 : 3);
}

function verdict(f: Figure): string {
  if (f.budget === null) return "";
  const ok = f.better === "lower" ? f.value <= f.budget : f.value >= f.budget;
  return ok ? "ok" : "MISSED";
}

console.log("\n| figure | unit | budget | measured | peer | ratio | |");
console.log("|---|---|---|---|---|---|---|");
for (const f of figures) {
  const peer = f.peer ?? null;
  const ratio =
    peer === null ? "" : `${(f.better === "lower" ? peer / f.value : f.value / peer).toFixed(1)}×`;
  console.log(
    `| ${f.name} | ${f.unit} | ${f.budget ?? ""} | ${format(f.value)} | ${peer === null ? "" : format(peer)} | ${ratio} | ${verdict(f)} |`,
  );
}
mkdirSync(join(dir, "results"), { recursive: true });
writeFileSync(
  join(dir, "results", "latest.json"),
  `${JSON.stringify({ machine: machineLine(), at: new Date().toISOString(), figures }, null, 2)}\n`,
);
