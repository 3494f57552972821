// The console in a real browser (Debian's headless Chromium driven by playwright-core) against a
// real standalone runtime with every example program: one order's lifecycle, then each page is
// checked against what the runtime's own services say, and photographed.
//
// Screenshots go to a temporary folder; `bun run console:screenshots` writes them to docs/console/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  Covers,
  EventBookSchema,
  EventQuery,
  InspectionService,
  ProjectionService,
  Uuid,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import type { Storage } from "../runtime/storage/types";
import { type Lifecycle, runLifecycle } from "./testing/lifecycle";
import { type ConsoleRuntime, startConsoleRuntime } from "./testing/runtime";

/** Launch flags for Debian's Chromium on this machine kind (no sandbox as root, no network chatter). */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Polls until the check holds (the page renders asynchronously); fails after 15 s. */
async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${check.toString()}`);
    await Bun.sleep(50);
  }
}

async function attributes(list: Locator, name: string): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (let i = 0; i < (await list.count()); i++) out.push(await list.nth(i).getAttribute(name));
  return out;
}

const shots = process.env.ANGZARR_CONSOLE_SHOTS
  ? resolve(process.env.ANGZARR_CONSOLE_SHOTS)
  : mkdtempSync(join(tmpdir(), "angzarr-console-shots-"));

describe("console in headless Chromium after an order lifecycle", () => {
  let rt: ConsoleRuntime;
  let storage: Storage;
  let transport: Transport;
  let life: Lifecycle;
  let browser: Browser;
  let page: Page;
  const orderRoot = () => Uuid.toText(life.orderRoot);

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    [rt, browser] = await Promise.all([
      startConsoleRuntime(),
      chromium.launch({
        executablePath: process.env.ANGZARR_CHROMIUM ?? "/usr/bin/chromium",
        args: CHROMIUM_FLAGS,
      }),
    ]);
    storage = rt.storage;
    transport = createConnectTransport({ baseUrl: rt.url, httpVersion: "2", useBinaryFormat: true });
    life = await runLifecycle(transport);
    // A parked case to operate on: the order's first book, as if its projector had failed on it.
    const [first] = (
      await createClient(EventQuery, transport).getEventBook({
        cover: Covers.make({ domain: "order", root: life.orderRoot }),
      })
    ).pages;
    for (const reason of ["projector failed: disk full (seeded by the console test)", "second parked case"]) {
      await storage.deadLetters.add({
        consumer: "projector-order-summary",
        domain: "order",
        edition: "",
        root: life.orderRoot,
        sequence: 0,
        correlationId: life.correlationId,
        reason,
        payloadType: EventBookSchema.typeName,
        payload: toBinary(
          EventBookSchema,
          create(EventBookSchema, {
            cover: Covers.make({ domain: "order", root: life.orderRoot, correlationId: life.correlationId }),
            pages: first ? [first] : [],
          }),
        ),
      });
    }
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: "light" });
    page.on("dialog", (dialog) => void dialog.accept());
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
  });

  let loads = 0;
  const open = async (hash: string) => {
    // A fresh load each time (a hash-only change to the same URL would keep the page's state).
    await page.goto(`${rt.url}/console?load=${++loads}#/${hash}`);
  };
  const shoot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  test("Topology: every component, its subscriptions and the observed order flows", async () => {
    const topology = await createClient(InspectionService, transport).getTopology({});
    expect(topology.nodes).toHaveLength(14); // 6 aggregates, 4 sagas, 1 process manager, 3 projectors
    const flows = topology.edges.filter((e) => e.kind === "flow").map((e) => `${e.from}->${e.to}`);
    expect(flows).toContain("aggregate:order->process_manager:pmg-order-fulfillment");
    expect(flows.some((f) => f.endsWith("->aggregate:inventory"))).toBe(true);
    expect(flows.some((f) => f.endsWith("->aggregate:fulfillment"))).toBe(true);

    await open("topology");
    await page.locator("[data-node]").first().waitFor();
    expect(await page.locator("[data-node]").count()).toBe(topology.nodes.length);
    expect(await page.locator("[data-edge]").count()).toBe(topology.edges.length);
    expect(await page.locator('[data-count="nodes"]').textContent()).toBe("14");
    const order = page.locator('[data-row="aggregate:order"] td');
    expect(Number(await order.nth(2).textContent())).toBeGreaterThanOrEqual(4);
    expect(await page.locator('[data-row="projector:projector-order-summary"] td').nth(6).textContent()).toBe(
      "0",
    );
    await shoot("topology");
    await page.emulateMedia({ colorScheme: "dark" });
    await shoot("topology-dark");
    await page.emulateMedia({ colorScheme: "light" });

    // Keyboard: focus the order node and press Enter to open its domain.
    await page.locator('[data-node="aggregate:order"]').press("Enter");
    await until(async () => page.url().includes("#/aggregates?domain=order"));
    await page.locator('[data-testid="roots"] li').first().waitFor();
  }, 60_000);

  test("Aggregates: the order's timeline decoded, snapshot marked, as-of slider", async () => {
    const book = await createClient(EventQuery, transport).getEventBook({
      cover: Covers.make({ domain: "order", root: life.orderRoot }),
    });
    const types = book.pages.map((p) => p.event?.typeUrl.split(".").pop() ?? "");
    expect(types).toEqual(["OrderCreated", "PaymentSubmitted", "OrderCompleted"]);

    await open(`aggregates?domain=order&root=${orderRoot()}`);
    const entries = page.locator('[data-testid="timeline"] li');
    await until(async () => {
      const v = await entries.count();
      return v === types.length;
    });
    expect(await attributes(entries, "data-type")).toEqual(types);
    await page.locator(".badge.snapshot").waitFor();
    expect(await page.locator('[data-testid="roots"] a', { hasText: orderRoot() }).count()).toBe(1);

    // Search narrows the roots to the one typed.
    await page.getByLabel("Search roots by id").fill(orderRoot().slice(0, 13));
    expect(await page.locator('[data-testid="roots"] li').count()).toBe(1);

    // As of the first event: one event, status fields from OrderCreated only.
    await page.locator("#asof-slider").focus();
    await page.keyboard.press("Home");
    await until(async () => {
      const v = await page.locator('[data-testid="asof-point"]').textContent();
      return (v ?? "").includes("· 1 events");
    });
    expect(await page.locator('[data-testid="state"]').textContent()).not.toContain("paymentReference");
    await page.locator('[data-testid="timeline"] li summary').first().click();
    expect(await page.locator("[data-flow-link]").first().textContent()).toBe(life.correlationId);
    await shoot("aggregates");
    await page.locator("#asof-slider").focus();
    await page.keyboard.press("End");
    await until(async () => {
      const v = await page.locator('[data-testid="asof-point"]').textContent();
      return (v ?? "").includes("· 3 events");
    });
    expect(await page.locator('[data-testid="state"]').textContent()).toContain("paymentReference");
  }, 60_000);

  test("Correlation flow: the order's whole business flow across domains, step by step", async () => {
    const books = [];
    for await (const b of createClient(EventQuery, transport).getEvents({
      cover: { correlationId: life.correlationId },
    }))
      books.push(b);
    const total = books.reduce((n, b) => n + b.pages.length, 0);
    const domains = [...new Set(books.map((b) => b.cover?.domain))].sort();
    expect(domains).toEqual(["customer", "fulfillment", "inventory", "order", "order-fulfillment"]);

    // Clicking an event's correlation id on its timeline opens the flow.
    await open(`aggregates?domain=order&root=${orderRoot()}`);
    await page.locator('[data-testid="timeline"] li summary').first().click();
    await page.locator("[data-flow-link]").first().click();
    await until(async () => page.url().includes(`#/flow?id=${life.correlationId}`));
    await page.locator('[data-testid="flow-summary"]').waitFor();
    expect(Number(await page.locator('[data-count="events"]').textContent())).toBe(total);
    expect(Number(await page.locator('[data-count="lanes"]').textContent())).toBe(books.length);
    const rows = page.locator("[data-step-row]");
    expect(await rows.count()).toBe(Number(await page.locator('[data-count="steps"]').textContent()));
    expect(await rows.first().textContent()).toContain("OrderCreated");
    const text = await page.locator('[data-testid="flow-steps"]').textContent();
    for (const step of [
      "StockReserved",
      "ShipmentCreated",
      "LoyaltyPointsAdded",
      "DispatchIssued",
      "Shipped",
    ])
      expect(text).toContain(step);
    await rows.first().getByRole("button").first().click();
    await shoot("flow");
  }, 60_000);

  test("Editions: main and the what-if edition side by side, the differing event highlighted", async () => {
    await open(`editions?edition=${life.edition}&domain=order&root=${orderRoot()}`);
    await page.locator('[data-testid="diff"]').waitFor();
    const rows = page.locator('[data-testid="diff"] tbody tr');
    expect(await rows.count()).toBe(3);
    const differs = await attributes(rows, "data-differs");
    expect(differs).toEqual(["no", "no", "yes"]); // diverged at #2: OrderCompleted vs OrderCancelled
    expect(await rows.nth(2).textContent()).toContain("OrderCancelled");
    expect(await rows.nth(2).textContent()).toContain("OrderCompleted");
    // Speculation on the edition's events: the runtime answers with a result or a clear error.
    await page.getByLabel("Component").selectOption("saga-order-inventory");
    await page.getByRole("button", { name: "Speculate" }).click();
    await page
      .locator('[data-testid="speculation-result"], .panel[aria-label="Speculation"] .error')
      .first()
      .waitFor();
    await shoot("editions");
  }, 60_000);

  test("Operations: dead letters shown, replayed and discarded; checkpoints; a rebuild with its result", async () => {
    await open("operations");
    const parked = page.locator("[data-dead-letter]");
    await until(async () => {
      const v = await parked.count();
      return v === 2;
    });
    await parked.first().getByRole("button", { name: "Show" }).click();
    expect(await page.locator("pre.json").first().textContent()).toContain("OrderCreated");
    const checkpoints = await createClient(ProjectionService, transport).listCheckpoints({});
    expect(await page.locator('[data-testid="checkpoints"] tbody tr').count()).toBe(
      checkpoints.checkpoints.length,
    );
    await shoot("operations");

    await parked.first().getByRole("button", { name: "Replay" }).click();
    await until(async () => {
      const v = await parked.count();
      return v === 1;
    });
    expect(
      (await storage.deadLetters.list({ includeReplayed: true })).filter((e) => e.replayedAt),
    ).toHaveLength(1);
    await parked.first().getByRole("button", { name: "Discard" }).click();
    await page.getByText("Nothing parked.").waitFor();
    expect(await storage.deadLetters.list({ includeReplayed: true })).toHaveLength(1);

    const row = page.locator('[data-consumer="projector-order-summary"]').first();
    await row.getByRole("button", { name: "Rebuild" }).click();
    await page.getByText(/projector-order-summary: rebuilt, \d+ events replayed/).waitFor();
    expect(await page.locator('[data-testid="component-health"] tbody tr').count()).toBe(14);
  }, 60_000);
});
