// The README's quick start as a new user runs it: the example client against a standalone runtime
// with every example domain, its command line taken from the README. The order it creates is
// stocked first, so the inventory saga reserves it (no rejection, nothing parked), then paid and
// shipped; its flags answer clearly.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnyPayload, Identity, Uuid } from "@angzarr/proto";
import { type Standalone, startStandalone } from "../runtime/app/standalone";
import { loadConfig } from "../runtime/config/load";

const repo = join(import.meta.dir, "..");
let app: Standalone;
let data: string;

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), "client-example-"));
  const config = loadConfig({ flags: { port: 0, data }, env: { ANGZARR_LOG: "error" } });
  config.handlers = { ...config.handlers, healthTimeoutMs: 60_000 };
  config.reactive.pollMs = 50;
  app = await startStandalone(config, { childOutput: "ignore", print: () => {} });
}, 90_000);

afterAll(async () => {
  await app?.stop();
  rmSync(data, { recursive: true, force: true });
});

async function client(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, join(repo, "scripts", "client-example.ts"), ...args], {
    cwd: repo,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** The README's quick-start command line of the client, pointed at this runtime's port. */
function readmeCommand(): string[] {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("bun scripts/client-example.ts"));
  if (!line) throw new Error("the README has no client-example command line");
  return line
    .replace(/#.*$/, "")
    .trim()
    .split(/\s+/)
    .slice(2)
    .map((arg) => arg.replace(/127\.0\.0\.1:1310/, `127.0.0.1:${app.gatewayPort}`));
}

const names = async (domain: string, root: Uint8Array) =>
  (await app.storage.events.get({ domain, edition: "", root })).map((p) => AnyPayload.nameOf(p.event));

describe("README quick start: the example client", () => {
  test("as written: stocks, creates the order, the saga reserves it, paid, shipped, nothing parked", async () => {
    const args = readmeCommand();
    expect(args.join(" ")).toContain(`127.0.0.1:${app.gatewayPort}`);
    const run = await client([...args, "--order", "ORD-README-1"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("created; correlation id");
    expect(run.stdout).toContain("examples.OrderCreated");
    // The lifecycle: reserved by the saga, paid, the order report updated, the shipment opened.
    expect(run.stdout).toContain("reserved by the inventory saga: 2 × SKU-001");
    expect(run.stdout).toContain("paid 4500 cents by card");
    expect(run.stdout).toContain("order report (projector-order-summary) updated: examples.Receipt");
    expect(run.stdout).toContain("examples.ShipmentCreated");
    await app.reactive.settle();
    expect(await names("inventory", Identity.inventoryRoot("SKU-001"))).toContain("examples.StockReserved");
    expect(await names("inventory", Identity.inventoryRoot("SKU-002"))).toContain("examples.StockReserved");
    expect(await app.storage.deadLetters.list({ includeReplayed: true })).toEqual([]);
    // A second order: the stock exists and is topped up.
    const second = await client(["--gateway", `127.0.0.1:${app.gatewayPort}`, "--order", "ORD-README-2"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("100 more received");
    await app.reactive.settle();
    expect(await app.storage.deadLetters.list({ includeReplayed: true })).toEqual([]);
  }, 60_000);

  test("--show ROOT --domain prints one aggregate; --help; bad flags and addresses get one clear line", async () => {
    const root = Uuid.toText(Identity.inventoryRoot("SKU-001"));
    const show = await client([
      "--gateway",
      `127.0.0.1:${app.gatewayPort}`,
      "--show",
      root,
      "--domain",
      "inventory",
    ]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("examples.StockInitialized");
    const help = await client(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--show ROOT");
    const unknown = await client(["--gatway", "x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toStartWith("client-example: unknown option --gatway\n");
    expect(unknown.stderr).not.toContain("    at ");
    const badShow = await client(["--show", "nope"]);
    expect(badShow.code).toBe(2);
    expect(badShow.stderr).toStartWith('client-example: --show expects a UUID, got "nope"');
    const badAddress = await client(["--gateway", "http://[nope"]);
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toStartWith("client-example: --gateway expects");
  }, 60_000);
});
