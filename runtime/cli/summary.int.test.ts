// `angzarr standalone` on a terminal (a pseudo-terminal from util-linux `script`): a short human
// summary and log lines in words; with `--log json` JSON lines and no summary. Ctrl-C stops it.
import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir, waitFor } from "../testing/processes";
import { standaloneCommand, syntheticConfig } from "../testing/running-runtime";

let dir: string | undefined;
afterEach(() => {
  if (dir) removeDir(dir);
  dir = undefined;
});

async function onTerminal(extra: string[], until: (out: string) => boolean) {
  dir = tempDir("az-tty-");
  const config = join(dir, "angzarr.yaml");
  writeFileSync(config, syntheticConfig());
  // `script` runs the line with $SHELL -c, /bin/sh when SHELL is unset (a bare environment such as
  // CI's). Pinned to /bin/sh here so every environment runs the same thing; `exec` makes the
  // runtime itself the terminal's foreground process: a shell left waiting in between would take
  // the Ctrl-C too, and dash dies of it (exit 130) whatever the runtime does.
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const line = `exec ${standaloneCommand(config, dir, extra).map(quote).join(" ")}`;
  const proc = Bun.spawn(["script", "-qefc", line, "/dev/null"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, SHELL: "/bin/sh", ANGZARR_LOG: "info", ANGZARR_LOG_FORMAT: "" },
  });
  let out = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  await waitFor("the runtime on the terminal", () => until(out), 60_000);
  proc.stdin.write("\x03"); // Ctrl-C
  await proc.stdin.flush();
  const code = await proc.exited;
  return { code, out: out.replace(/\r/g, "") };
}

test("a terminal gets the summary and words", async () => {
  const { code, out } = await onTerminal([], (o) => o.includes("Ctrl-C stops it."));
  expect(code).toBe(0);
  expect(out).toContain("angzarr is running");
  expect(out).toMatch(/ {2}gateway {3}127\.0\.0\.1:\d+ /);
  expect(out).toMatch(/ {2}admin {5}http:\/\/127\.0\.0\.1:\d+ .*metrics http:\/\/127\.0\.0\.1:\d+\/metrics/);
  expect(out).toContain(`  data      ${dir}   (storage: sqlite)`);
  expect(out).toMatch(/ {2}programs {2}agg-src healthy, agg-ledger healthy, saga-src-ledger healthy/);
  expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}runtime\.ready /m);
  expect(out).not.toContain('{"ts":');
}, 90_000);

test("--log json on a terminal: JSON lines, no summary", async () => {
  const { code, out } = await onTerminal(["--log", "json"], (o) => o.includes('"event":"runtime.ready"'));
  expect(code).toBe(0);
  expect(out).not.toContain("angzarr is running");
  const ready = out.split("\n").find((l) => l.includes('"event":"runtime.ready"'));
  expect(JSON.parse(ready ?? "{}").level).toBe("info");
}, 90_000);
