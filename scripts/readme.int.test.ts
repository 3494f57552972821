// README snippets that need no running runtime, run as written in a plain bash (no globstar).
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const repo = join(import.meta.dir, "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");

test("the stock protoc command compiles every .proto file, in a default bash", () => {
  const line = readme.split("\n").find((l) => l.trim().startsWith("protoc -I proto"));
  expect(line).toBeDefined();
  const dir = mkdtempSync(join(tmpdir(), "readme-protoc-"));
  try {
    const out = join(dir, "set.binpb");
    const command = (line as string)
      .trim()
      .replace("--descriptor_set_out=/dev/null", `--descriptor_set_out=${out}`);
    const run = Bun.spawnSync(["bash", "-c", command], { cwd: repo, stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    expect(run.exitCode).toBe(0);
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(out));
    const all = Bun.spawnSync(
      ["bash", "-c", "find proto -name '*.proto' -not -path '*/node_modules/*' | wc -l"],
      {
        cwd: repo,
      },
    );
    expect(set.file.length).toBe(Number(all.stdout.toString().trim()));
    expect(set.file.map((f) => f.name)).toContain("angzarr/ext/dead_letter.proto");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
