// The README's two commands do all the set-up: the test command installs (root) or names in one
// line what its suites need; CI installs nothing of its own beyond Bun.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePrereqs, TOOLS } from "./prereqs";

const repo = join(import.meta.dir, "..");

test("CI installs no Debian package itself: every need is in scripts/prereqs.ts", () => {
  const ci = readFileSync(join(repo, ".ci", "run"), "utf8");
  expect(ci).not.toMatch(/apt(-get)?\s+install/);
  const packages = TOOLS.flatMap((t) => t.apt);
  // What the Python interop and foreign-handler tests import, and the stock protoc they run.
  for (const needed of ["protobuf-compiler", "python3-grpcio", "python3-protobuf"]) {
    expect(packages).toContain(needed);
  }
});

test("a missing tool that cannot be installed stops the run with one line naming the packages", async () => {
  const problems = await ensurePrereqs({
    checkOnly: true,
    say: () => {},
    tools: [{ name: "frobnicator", why: "a test", present: () => false, apt: ["frob", "frob-data"] }],
    services: [],
  });
  expect(problems).toEqual(["missing frobnicator: install with `sudo apt-get install frob frob-data`"]);
});

test("this machine has every tool the suites need", () => {
  expect(TOOLS.filter((t) => !t.present()).map((t) => t.name)).toEqual([]);
});
