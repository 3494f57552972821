// End-to-end runs of the example order flow through the real standalone runtime (every example
// program as a child process, SQLite, the gateway): the bus loses messages, saga programs are
// killed mid-stream, and CASCADE waits for the chain. These use the example domains on purpose,
// like the acceptance suite; framework-level integration tests use synthetic handlers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnyPayload,
  CommandBookSchema,
  CommandGateway,
  CommandPageSchema,
  Covers,
  type EventBook,
  EventQuery,
  Identity,
  QuerySchema,
  SyncCommandBookSchema,
  SyncMode,
  TypeUrl,
  Uuid,
} from "@angzarr/proto";
import {
  ConfirmPaymentSchema,
  CreateCustomerSchema,
  CreateOrderSchema,
  InitializeStockSchema,
  LineItemSchema,
  MarkPackedSchema,
  MarkPickedSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { loadConfig } from "../config/load";
import { type Standalone, startStandalone } from "./standalone";

/** Deterministic "random" drop of ~30 % of deliveries, keyed by subscriber and book. */
function lossy(subscriber: string, book: EventBook): boolean {
  const first = book.pages[0];
  const key = `${subscriber}|${book.cover?.domain}|${Buffer.from(book.cover?.root?.value ?? []).toString("hex")}|${first?.sequence.case === "num" ? first.sequence.value : -1}`;
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  const keep = h % 10 >= 3;
  if (!keep) dropped++;
  return keep;
}
let dropped = 0;

describe("example order flow, end to end", () => {
  let dir: string;
  let app: Standalone;
  let gateway: ReturnType<typeof createClient<typeof CommandGateway>>;
  let query: ReturnType<typeof createClient<typeof EventQuery>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "angzarr-e2e-"));
    const config = loadConfig({ flags: { port: 0, data: dir }, env: {} });
    config.reactive.pollMs = 50;
    // Fourteen programs start from source at once; a busy machine needs longer than production's default.
    config.handlers = { ...config.handlers, healthTimeoutMs: 60_000 };
    app = await startStandalone(config, { childOutput: "ignore", print: () => {}, busGate: lossy });
    const transport = createConnectTransport({
      baseUrl: `http://127.0.0.1:${app.gatewayPort}`,
      httpVersion: "2",
      useBinaryFormat: true,
    });
    gateway = createClient(CommandGateway, transport);
    query = createClient(EventQuery, transport);
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function history(domain: string, root: Uint8Array): Promise<EventBook> {
    return query.getEventBook(create(QuerySchema, { cover: Covers.make({ domain, root }) }));
  }

  /** Sends a command at the aggregate's current sequence (re-reading it on ABORTED). */
  async function send<D extends DescMessage>(
    domain: string,
    root: Uint8Array,
    schema: D,
    message: MessageShape<D>,
    correlationId: string,
    syncMode = SyncMode.NONE,
  ) {
    for (let attempt = 0; ; attempt++) {
      const next = (await history(domain, root)).pages.length;
      const book = create(CommandBookSchema, {
        cover: Covers.make({ domain, root, correlationId }),
        pages: [create(CommandPageSchema, { sequence: next, command: AnyPayload.pack(schema, message) })],
      });
      try {
        return await gateway.executeSync(create(SyncCommandBookSchema, { command: book, syncMode }));
      } catch (err) {
        if (!(err instanceof ConnectError) || err.code !== Code.Aborted || attempt > 5) throw err;
      }
    }
  }

  async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await Bun.sleep(25);
    }
  }

  const names = (book: EventBook) =>
    book.pages.map((p) => TypeUrl.fullName(p.event?.typeUrl ?? "").replace("examples.", ""));

  async function placeAndPay(
    sku: string,
    customerRoot: Uint8Array,
    email: string,
    orderNumber: string,
    corr: string,
  ) {
    const orderRoot = Identity.orderRoot(orderNumber);
    await send(
      "order",
      orderRoot,
      CreateOrderSchema,
      create(CreateOrderSchema, {
        customerId: email,
        customerRoot,
        items: [
          create(LineItemSchema, { productId: sku, name: "Widget", quantity: 2, unitPriceCents: 2500 }),
        ],
      }),
      corr,
    );
    await send(
      "order",
      orderRoot,
      SubmitPaymentSchema,
      create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 5000 }),
      corr,
    );
    await send(
      "order",
      orderRoot,
      ConfirmPaymentSchema,
      create(ConfirmPaymentSchema, { paymentReference: `pay-${orderNumber}` }),
      corr,
    );
    return orderRoot;
  }

  test("with 30 % of bus deliveries lost and saga programs killed mid-stream, every effect happens exactly once", async () => {
    const run = Uuid.toText(Uuid.randomBytes()).slice(0, 8);
    const sku = `SKU-${run}`;
    const email = `buyer-${run}@example.com`;
    const inventoryRoot = Identity.inventoryRoot(sku);
    const customerRoot = Identity.customerRoot(email);
    await send(
      "inventory",
      inventoryRoot,
      InitializeStockSchema,
      create(InitializeStockSchema, { productId: sku, quantity: 100, lowStockThreshold: 10 }),
      `setup-${run}`,
    );
    await send(
      "customer",
      customerRoot,
      CreateCustomerSchema,
      create(CreateCustomerSchema, { name: "Buyer", email }),
      `setup-${run}`,
    );

    const orders: { root: Uint8Array; corr: string }[] = [];
    const killable = ["saga-order-fulfillment", "saga-order-inventory", "saga-fulfillment-inventory"];
    for (let i = 0; i < 6; i++) {
      const corr = `flow-${run}-${i}`;
      orders.push({ root: await placeAndPay(sku, customerRoot, email, `ORD-${run}-${i}`, corr), corr });
      // Kill a saga program now and then while events keep flowing.
      const victim = app.supervisor.program(killable[i % killable.length] as string);
      if (i % 2 === 1 && victim?.pid) process.kill(victim.pid, "SIGKILL");
    }
    for (const { root, corr } of orders) {
      await eventually(`shipment for ${corr}`, async () =>
        names(await history("fulfillment", root)).includes("ShipmentCreated"),
      );
      await send(
        "fulfillment",
        root,
        MarkPickedSchema,
        create(MarkPickedSchema, { pickerId: "picker" }),
        corr,
      );
      await send(
        "fulfillment",
        root,
        MarkPackedSchema,
        create(MarkPackedSchema, { packerId: "packer" }),
        corr,
      );
    }
    for (const { root, corr } of orders) {
      await eventually(`shipped ${corr}`, async () =>
        names(await history("fulfillment", root)).includes("Shipped"),
      );
    }
    await eventually("every reservation committed", async () => {
      const inv = await history("inventory", inventoryRoot);
      return names(inv).filter((n) => n === "ReservationCommitted").length === orders.length;
    });
    await app.reactive.settle();

    expect(dropped).toBeGreaterThan(0);
    // Inventory: exactly one reservation and one commit per order.
    const inv = await history("inventory", inventoryRoot);
    expect(names(inv).filter((n) => n === "StockReserved")).toHaveLength(orders.length);
    expect(names(inv).filter((n) => n === "ReservationCommitted")).toHaveLength(orders.length);
    const stock = await history("inventory", inventoryRoot);
    const state = stock.pages.length;
    expect(state).toBeGreaterThan(0);
    // Fulfillment: created, picked, packed, shipped, once each.
    for (const { root } of orders) {
      expect(names(await history("fulfillment", root))).toEqual([
        "ShipmentCreated",
        "ItemsPicked",
        "ItemsPacked",
        "Shipped",
      ]);
    }
    // PM: dispatched exactly once per workflow.
    for (const { corr } of orders) {
      const pm = await history("order-fulfillment", Identity.processManagerRoot(corr));
      expect(names(pm).filter((n) => n === "DispatchIssued")).toHaveLength(1);
    }
    // Customer: 50 points per order, credited once each.
    const customer = await history("customer", customerRoot);
    expect(names(customer).filter((n) => n === "LoyaltyPointsAdded")).toHaveLength(orders.length);
    // Read models: the synchronous/async projectors agree with the facts.
    const { Database } = await import("bun:sqlite");
    const db = new Database(join(dir, "read-models", "projector-inventory-stock.db"), { readonly: true });
    const row = db
      .query("SELECT on_hand, reserved, available FROM inventory_stock WHERE product_root = ?")
      .get(Uuid.toText(inventoryRoot)) as { on_hand: number; reserved: number; available: number } | null;
    db.close();
    expect(row).toEqual({
      on_hand: 100 - 2 * orders.length,
      reserved: 0,
      available: 100 - 2 * orders.length,
    });
  }, 90_000);

  test("CASCADE answers after the whole chain: stock reserved, shipment and points exist when confirm returns", async () => {
    const run = Uuid.toText(Uuid.randomBytes()).slice(0, 8);
    const sku = `SKU-C-${run}`;
    const email = `cascade-${run}@example.com`;
    const corr = `cascade-${run}`;
    const inventoryRoot = Identity.inventoryRoot(sku);
    const customerRoot = Identity.customerRoot(email);
    await send(
      "inventory",
      inventoryRoot,
      InitializeStockSchema,
      create(InitializeStockSchema, { productId: sku, quantity: 10, lowStockThreshold: 0 }),
      corr,
    );
    await send(
      "customer",
      customerRoot,
      CreateCustomerSchema,
      create(CreateCustomerSchema, { name: "C", email }),
      corr,
    );
    const orderRoot = Identity.orderRoot(`ORD-C-${run}`);
    await send(
      "order",
      orderRoot,
      CreateOrderSchema,
      create(CreateOrderSchema, {
        customerId: email,
        customerRoot,
        items: [create(LineItemSchema, { productId: sku, name: "W", quantity: 1, unitPriceCents: 1000 })],
      }),
      corr,
      SyncMode.CASCADE,
    );
    expect(names(await history("inventory", inventoryRoot))).toContain("StockReserved");
    await send(
      "order",
      orderRoot,
      SubmitPaymentSchema,
      create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 1000 }),
      corr,
      SyncMode.CASCADE,
    );
    const res = await send(
      "order",
      orderRoot,
      ConfirmPaymentSchema,
      create(ConfirmPaymentSchema, { paymentReference: "p" }),
      corr,
      SyncMode.CASCADE,
    );
    expect(names(await history("fulfillment", orderRoot))).toEqual(["ShipmentCreated"]);
    expect(names(await history("customer", customerRoot))).toContain("LoyaltyPointsAdded");
    expect(res.projections.map((p) => p.projector)).toContain("projector-order-summary");
  }, 30_000);

  test("a rejection deep in a CASCADE chain is reported to the caller", async () => {
    const run = Uuid.toText(Uuid.randomBytes()).slice(0, 8);
    const corr = `reject-${run}`;
    // No inventory for this product: the reservation the saga sends is refused.
    const orderRoot = Identity.orderRoot(`ORD-R-${run}`);
    const err = (await send(
      "order",
      orderRoot,
      CreateOrderSchema,
      create(CreateOrderSchema, {
        customerId: "nobody",
        items: [
          create(LineItemSchema, { productId: `MISSING-${run}`, name: "W", quantity: 1, unitPriceCents: 1 }),
        ],
      }),
      corr,
      SyncMode.CASCADE,
    ).catch((e) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toStartWith(
      "Cascade failed after the command was persisted (order events 0..0): ",
    );
    expect(err.rawMessage).toContain("saga-order-inventory");
    expect(err.rawMessage.toLowerCase()).toContain("not initialized");
    // The order itself was persisted; the compensation left a system record.
    expect(names(await history("order", orderRoot))).toEqual(["OrderCreated"]);
    const failures = await history("angzarr.saga-failures", orderRoot);
    expect(failures.pages).toHaveLength(1);
  }, 30_000);
});
