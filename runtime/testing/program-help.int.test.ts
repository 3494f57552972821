// Every domain program answers --help (usage, exit 0, no stack trace) without serving anything;
// `<program> health --help` is the health subcommand's own help.
import { expect, test } from "bun:test";
import { fixture } from "./processes";

async function run(args: string[]) {
  const proc = Bun.spawn([process.execPath, fixture("echo-agg"), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    env: { ...process.env, ANGZARR_SOCKET: "" },
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

test("<program> --help prints its usage and exits 0", async () => {
  const help = await run(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stderr).toBe("");
  expect(help.stdout).toStartWith("usage: echo-agg.ts [--socket PATH]\n");
  expect(help.stdout).toContain(" health [--socket PATH]");
  const health = await run(["health", "--help"]);
  expect(health.code).toBe(0);
  expect(health.stdout).not.toContain("An angzarr domain program");
});
