// The README's runnable examples of editions, speculation, upcasting and topology, run as written
// against a standalone runtime with every example domain.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Standalone, startStandalone } from "../runtime/app/standalone";
import { loadConfig } from "../runtime/config/load";

let app: Standalone;
let data: string;

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), "tf-"));
  const config = loadConfig({ flags: { port: 0, data }, env: { ANGZARR_LOG: "error" } });
  config.handlers = { ...config.handlers, healthTimeoutMs: 60_000 };
  app = await startStandalone(config, { childOutput: "ignore", print: () => {} });
}, 90_000);

afterAll(async () => {
  await app?.stop();
  rmSync(data, { recursive: true, force: true });
});

async function example(feature: string): Promise<string> {
  const script = join(import.meta.dir, "time-features-example.ts");
  const proc = Bun.spawn(
    [process.execPath, script, feature, "--gateway", `http://127.0.0.1:${app.gatewayPort}`, "--data", data],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${feature} exited ${code}: ${stderr}${stdout}`);
  return stdout;
}

describe("README examples: the time features", () => {
  test("editions", async () => {
    const out = await example("editions");
    expect(out).toContain("examples.OrderCreated, examples.PaymentSubmitted");
    expect(out).toContain("deleted; still listed: false");
  }, 60_000);

  test("speculation", async () => {
    const out = await example("speculation");
    expect(out).toContain("saga-order-inventory would send: examples.ReserveStock");
    expect(out).toContain("the payment would record: examples.PaymentSubmitted");
  }, 60_000);

  test("upcasting", async () => {
    const out = await example("upcasting");
    expect(out).toContain("read back as type.googleapis.com/examples.StockInitialized");
  }, 60_000);

  test("topology", async () => {
    const out = await example("topology");
    expect(out).toMatch(/saga\s+saga-order-inventory/);
    expect(out).toContain("order → inventory  via saga-order-inventory");
  }, 60_000);
});
