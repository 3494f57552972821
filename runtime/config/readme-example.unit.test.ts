// The configuration example in the README is real: it parses and resolves as documented.
import { afterEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
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
    retry: { attempts: 10, initialMs: 50, maxMs: 5_000 },
  });
  const byName = new Map(config.components.map((c) => [c.name, c]));
  expect(byName.get("projector-order-summary")?.synchronous).toBe(true);
  expect(byName.get("pmg-order-fulfillment")?.stateDomain).toBe("order-fulfillment");
  expect(byName.get("billing")?.transport).toBe("grpc");
  expect(byName.get("shipping")?.launch).toEqual({ type: "external", url: "http://127.0.0.1:50051" });
  expect(byName.get("order")?.program).toBe("agg-order");
});
