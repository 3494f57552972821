// `bun run test:reliability`: every `*.reliability.test.ts` at the full level (more rounds,
// more cases), then one table of rows: tried, lost, doubled, parked, crashes, wrong codes.
// The table replaces the README's block between the reliability markers. Fails when a test
// fails or any row reports a loss, a duplicate, a crash or a wrong code.
//
//   bun scripts/reliability.ts            full level, README table regenerated
//   bun scripts/reliability.ts --quick    quick level (what `bun run test` runs), README untouched
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReliabilityRow } from "../runtime/testing/reliability";

const root = join(import.meta.dir, "..");
const quick = process.argv.includes("--quick");
const out = join(tmpdir(), `angzarr-reliability-${process.pid}.jsonl`);
rmSync(out, { force: true });

const proc = Bun.spawn([process.execPath, "test", ".reliability.test.ts"], {
  cwd: root,
  env: {
    ...process.env,
    ANGZARR_RELIABILITY: quick ? "quick" : "full",
    ANGZARR_RELIABILITY_OUT: out,
    FORCE_COLOR: "0",
  },
  stdout: "inherit",
  stderr: "inherit",
});
const code = await proc.exited;

const rows: Required<ReliabilityRow>[] = existsSync(out)
  ? readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Required<ReliabilityRow>)
  : [];
rmSync(out, { force: true });

const header = ["scenario", "tried", "lost", "doubled", "parked", "crashes", "wrong codes"];
const lines = [
  `| ${header.join(" | ")} |`,
  `|${header.map((_h, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.tried} | ${r.lost} | ${r.doubled} | ${r.parked} | ${r.crashes} | ${r.wrongCodes} |`,
  ),
];
const table = lines.join("\n");
console.log(`\n${table}\n`);

const bad = rows.filter((r) => r.lost + r.doubled + r.crashes + r.wrongCodes > 0);
if (!quick && code === 0 && bad.length === 0) {
  const readme = join(root, "README.md");
  const text = readFileSync(readme, "utf8");
  const start = "<!-- reliability:start -->";
  const end = "<!-- reliability:end -->";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) {
    const stamp = `Measured by \`bun run test:reliability\` on ${new Date().toISOString().slice(0, 10)}.`;
    writeFileSync(readme, `${text.slice(0, a + start.length)}\n${stamp}\n\n${table}\n${text.slice(b)}`);
    console.log("README reliability table updated");
  }
}
for (const r of bad)
  console.error(
    `reliability: ${r.scenario}: ${r.lost} lost, ${r.doubled} doubled, ${r.crashes} crashes, ${r.wrongCodes} wrong codes`,
  );
const failed = code !== 0 || bad.length > 0;
console.log(`${rows.length} rows, ${bad.length} with faults; ${failed ? "FAILED" : "passed"}`);
process.exit(failed ? 1 : 0);
