// The console from a compiled CLI: the executable is copied away from the checkout (it holds no
// sources and no node_modules, as in an image), started as a standalone runtime with no domain
// programs, and its admin listener must still serve the whole console page.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const root = join(import.meta.dir, "..");
const scratch = mkdtempSync(join(tmpdir(), "angzarr-console-compiled-"));
let runtime: Subprocess<"ignore", "pipe", "pipe"> | undefined;
let adminPort = 0;

/** Reads the runtime's JSON log lines (stderr) until `runtime.ready` names the admin port. */
async function readyAdminPort(proc: Subprocess<"ignore", "pipe", "pipe">): Promise<number> {
  const decoder = new TextDecoder();
  let seen = "";
  for await (const chunk of proc.stderr) {
    seen += decoder.decode(chunk, { stream: true });
    const port = /"event":"runtime\.ready".*?"adminPort":(\d+)/.exec(seen)?.[1];
    if (port) return Number(port);
  }
  throw new Error(`runtime exited before it was ready:\n${seen}\n${await new Response(proc.stdout).text()}`);
}

beforeAll(async () => {
  const build = Bun.spawnSync(
    [process.execPath, join(root, "scripts", "build.ts"), "angzarr", "--outdir", join(scratch, "bin")],
    { cwd: root, stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  const config = join(scratch, "angzarr.yaml");
  writeFileSync(config, "storage:\n  backend: memory\ncomponents: []\n");
  runtime = Bun.spawn(
    [
      join(scratch, "bin", "angzarr"),
      "standalone",
      "--config",
      config,
      "--port",
      "0",
      "--data",
      join(scratch, "data"),
    ],
    {
      cwd: scratch,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ANGZARR_LOG: "info", ANGZARR_LOG_FORMAT: "json" },
    },
  );
  adminPort = await readyAdminPort(runtime);
}, 120_000);

afterAll(async () => {
  runtime?.kill("SIGTERM");
  await runtime?.exited;
  rmSync(scratch, { recursive: true, force: true });
});

test("a compiled CLI far from the checkout serves the console page, self-contained", async () => {
  const response = await fetch(`http://127.0.0.1:${adminPort}/console`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toStartWith("text/html");
  const page = await response.text();
  // Everything inline: no script or stylesheet is fetched from anywhere.
  expect(page).not.toMatch(/<script[^>]*\ssrc=/i);
  expect(page).not.toMatch(/<link[^>]*rel="?stylesheet/i);
  expect(page).toContain("<script");
  // The same page as the sources bundle to (the title proves it is the console's).
  const title = /<title>([^<]*)<\/title>/.exec(
    readFileSync(join(import.meta.dir, "index.html"), "utf8"),
  )?.[1];
  expect(title).toBeDefined();
  expect(page).toContain(`<title>${title}</title>`);
});

test("paths under /console other than the page are not found", async () => {
  const response = await fetch(`http://127.0.0.1:${adminPort}/console/nothing-here.js`);
  expect(response.status).toBe(404);
});
