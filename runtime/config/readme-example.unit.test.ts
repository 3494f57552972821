// The configuration example in the README is real: it parses and resolves as documented.
import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../testing/processes";
import { loadConfig } from "./load";

let dir: string | undefined;
afterEach(() => {
  if (dir) removeDir(dir);
});

test("the README's YAML configuration loads", () => {
  const readme = readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8");
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(yaml).toBeDefined();
  dir = tempDir("readme-config-");
  const file = join(dir, "angzarr.yaml");
  writeFileSync(file, yaml as string);
  const config = loadConfig({ file, env: {}, root: dir });
  expect(config.port).toBe(1310);
  expect(config.reactive).toEqual({
    pollMs: 250,
    onFailure: "dead-letter",
    outboxChunk: 256,
    retry: { attempts: 10, initialMs: 50, maxMs: 5_000 },
  });
  const byName = new Map(config.components.map((c) => [c.name, c]));
  expect(byName.get("projector-order-summary")?.synchronous).toBe(true);
  expect(byName.get("order")?.program).toBe("agg-order");
  // Runs as written from the checkout: every program it names exists there (no build needed),
  // and the saga's target domain is in it.
  const repo = join(import.meta.dir, "..", "..");
  for (const c of config.components) {
    expect(c.launch.type).toBe("spawn");
    const argv = c.launch.type === "spawn" ? c.launch.argv : [];
    expect(argv[0]).not.toContain("dist/");
    expect(existsSync(join(repo, argv[1] ?? "missing"))).toBe(true);
  }
  expect(byName.get("inventory")?.kind).toBe("aggregate");
  expect(config.admin).toEqual({ port: 1311, host: "127.0.0.1" });
  expect(config.connections).toEqual({ idleTimeoutMs: 60_000, maxPerClient: 512 });
});

test("saved as angzarr.yaml in the checkout, it is none of git's (nor lint's) business", () => {
  const repo = join(import.meta.dir, "..", "..");
  const check = Bun.spawnSync(["git", "check-ignore", "-q", "angzarr.yaml"], { cwd: repo });
  expect(check.exitCode).toBe(0);
});
