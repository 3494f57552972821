// Regenerates the TypeScript for every .proto under proto/ with buf + protoc-gen-es.
// `--check` generates into a scratch folder and fails when the committed code differs.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = join(import.meta.dir, "..");
const protoDir = join(root, "proto");
const bin = join(root, "node_modules", ".bin");
const check = process.argv.includes("--check");

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out.sort();
}

function runBuf(outputBase: string): void {
  const args = [join(bin, "buf"), "generate"];
  if (outputBase !== protoDir) args.push("--output", outputBase);
  const proc = Bun.spawnSync(args, {
    cwd: protoDir,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
    stdout: "inherit",
    stderr: "inherit",
  });
  if (proc.exitCode !== 0) {
    console.error("buf generate failed");
    process.exit(1);
  }
}

if (!check) {
  runBuf(protoDir);
  console.log(`generated ${listFiles(join(protoDir, "gen")).length} files in proto/gen`);
  process.exit(0);
}

const scratch = mkdtempSync(join(tmpdir(), "angzarr-gen-"));
try {
  runBuf(scratch);
  const fresh = new Map(listFiles(join(scratch, "gen")).map((f) => [relative(join(scratch, "gen"), f), f]));
  const committedDir = join(protoDir, "gen");
  const committed = new Map(listFiles(committedDir).map((f) => [relative(committedDir, f), f]));
  const problems: string[] = [];
  for (const [name, path] of fresh) {
    const mine = committed.get(name);
    if (!mine) problems.push(`missing: proto/gen/${name}`);
    else if (!readFileSync(mine).equals(readFileSync(path))) problems.push(`stale: proto/gen/${name}`);
  }
  for (const name of committed.keys()) if (!fresh.has(name)) problems.push(`extra: proto/gen/${name}`);
  if (problems.length > 0) {
    console.error(`generated code is out of date (run \`bun run generate\`):\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`generated code is current (${fresh.size} files)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
