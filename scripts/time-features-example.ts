// Editions, speculation, upcasting and topology against a running runtime (`bun start`).
//
//   bun scripts/time-features-example.ts editions    [--gateway URL]
//   bun scripts/time-features-example.ts speculation [--gateway URL]
//   bun scripts/time-features-example.ts upcasting   [--gateway URL] [--data DIR]
//   bun scripts/time-features-example.ts topology    [--gateway URL]
//
// Each prints what it does and what the runtime answered, and exits 1 if an answer is not the
// one described in the README. `upcasting` writes a first-release record straight into the
// runtime's SQLite file (`<data>/angzarr.db`, the standalone layout): run it against a runtime
// started with the same --data.
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  AnyPayload,
  CommandBooks,
  CommandGateway,
  Covers,
  EditionService,
  EventBookSchema,
  EventPages,
  EventQuery,
  Identity,
  SpeculativeService,
  TemporalQuerySchema,
  Timestamps,
} from "@angzarr/proto";
import {
  CreateOrderSchema,
  InitializeStockSchema,
  LineItemSchema,
  StockInitializedSchema,
  StockInitializedV1Schema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { renderTopology, type TopologyMap } from "../runtime/services/topology-map";
import { openStorage } from "../runtime/storage/open";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    gateway: { type: "string", default: "http://127.0.0.1:1310" },
    data: { type: "string", default: ".data" },
  },
});
const [feature] = positionals;
const run = crypto.randomUUID().slice(0, 8);
const sessions = new Http2SessionManager(values.gateway);
const transport = createConnectTransport({
  baseUrl: values.gateway,
  httpVersion: "2",
  useBinaryFormat: true,
  sessionManager: sessions,
});
const gateway = createClient(CommandGateway, transport);
const query = createClient(EventQuery, transport);
const editions = createClient(EditionService, transport);
const speculative = createClient(SpeculativeService, transport);

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`unexpected answer: ${what}`);
}

const names = (pages: { event?: { typeUrl: string } }[]) =>
  pages.map((p) => (p.event?.typeUrl ?? "").split("/").pop() ?? "");

/** A stocked product and a 2 × 1000 order for it; returns the order's root. */
async function anOrder(): Promise<{ order: Uint8Array; sku: string }> {
  const sku = `SKU-${run}`;
  await gateway.execute(
    CommandBooks.make(
      Covers.make({ domain: "inventory", root: Identity.inventoryRoot(sku) }),
      AnyPayload.pack(InitializeStockSchema, create(InitializeStockSchema, { productId: sku, quantity: 10 })),
      0,
    ),
  );
  const order = Identity.orderRoot(`ORD-${run}`);
  const items = [
    create(LineItemSchema, { productId: sku, name: "Widget", quantity: 2, unitPriceCents: 1000 }),
  ];
  await gateway.execute(
    CommandBooks.make(
      Covers.make({ domain: "order", root: order, correlationId: `example-${run}` }),
      AnyPayload.pack(CreateOrderSchema, create(CreateOrderSchema, { customerId: "CUST-1", items })),
      0,
    ),
  );
  return { order, sku };
}

async function editionsExample(): Promise<void> {
  const { order } = await anOrder();
  const name = `what-if-${run}`;
  // An edition inheriting main's events up to and including sequence 0 of every aggregate.
  await editions.createEdition({
    name,
    description: "the order paid",
    divergencePoint: create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: 0 } }),
  });
  const pay = AnyPayload.pack(
    SubmitPaymentSchema,
    create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 2000 }),
  );
  await gateway.execute(
    CommandBooks.make(Covers.make({ domain: "order", root: order, edition: name }), pay, 1),
  );
  const inEdition = await query.getEventBook({
    cover: Covers.make({ domain: "order", root: order, edition: name }),
  });
  const onMain = await query.getEventBook({ cover: Covers.make({ domain: "order", root: order }) });
  console.log(`edition ${name}: ${names(inEdition.pages).join(", ")}`);
  console.log(`main timeline:  ${names(onMain.pages).join(", ")}`);
  const listed = (await editions.listEditions({})).editions.find((e) => e.name === name);
  console.log(`listed with event counts ${JSON.stringify(listed?.eventCounts)}`);
  await editions.deleteEdition({ name });
  console.log(
    `deleted; still listed: ${(await editions.listEditions({})).editions.some((e) => e.name === name)}`,
  );
  check(
    names(inEdition.pages).join() === "examples.OrderCreated,examples.PaymentSubmitted",
    "edition history",
  );
  check(names(onMain.pages).join() === "examples.OrderCreated", "main history");
}

async function speculationExample(): Promise<void> {
  const { order } = await anOrder();
  // The stock saga on the stored order (a cover without pages: the runtime reads it).
  const source = create(EventBookSchema, {
    cover: Covers.make({ domain: "order", root: order, correlationId: `example-${run}` }),
  });
  const saga = await speculative.speculateSaga({ sagaName: "saga-order-inventory", source });
  console.log(
    `saga-order-inventory would send: ${saga.commands.map((c) => names(c.pages.map((p) => ({ event: p.command }))).join()).join(", ")}`,
  );
  // A dry run of a payment against the order as it stood after its first event.
  const pay = AnyPayload.pack(
    SubmitPaymentSchema,
    create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 2000 }),
  );
  const dry = await speculative.dryRunCommand({
    command: CommandBooks.make(Covers.make({ domain: "order", root: order }), pay, 1),
    pointInTime: create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: 0 } }),
  });
  console.log(`the payment would record: ${names(dry.events?.pages ?? []).join(", ")}`);
  const stored = await query.getEventBook({ cover: Covers.make({ domain: "order", root: order }) });
  console.log(`stored for the order: ${names(stored.pages).join(", ")}`);
  check(saga.commands.length === 1, "one reservation");
  check(stored.pages.length === 1, "nothing stored by the dry run");
}

async function upcastingExample(): Promise<void> {
  const sku = `OLD-${run}`;
  const root = Identity.inventoryRoot(sku);
  // What the first release stored: StockInitializedV1 (no threshold, the time at field 3).
  const storage = await openStorage({ backend: "sqlite", path: join(values.data, "angzarr.db") });
  const v1 = create(StockInitializedV1Schema, {
    productId: sku,
    quantity: 40,
    initializedAt: Timestamps.now(),
  });
  await storage.events.append(
    { domain: "inventory", edition: "", root },
    [EventPages.forced(AnyPayload.pack(StockInitializedV1Schema, v1))],
    { correlationId: `legacy-${run}` },
  );
  await storage.close();
  const book = await query.getEventBook({ cover: Covers.make({ domain: "inventory", root }) });
  const first = book.pages[0]?.event;
  console.log(`stored as examples.StockInitializedV1, read back as ${first?.typeUrl}`);
  const current = AnyPayload.unpack(first, StockInitializedSchema);
  console.log(
    `product ${current.productId}, ${current.quantity} units, threshold ${current.lowStockThreshold}`,
  );
  check(current.quantity === 40, "upcast record");
}

async function topologyExample(): Promise<void> {
  const response = await fetch(new URL("/topology", values.gateway));
  const topology = (await response.json()) as TopologyMap;
  console.log(renderTopology(topology));
  check(
    topology.nodes.some((n) => n.id === "saga-order-inventory"),
    "the saga on the map",
  );
}

const examples: Record<string, () => Promise<void>> = {
  editions: editionsExample,
  speculation: speculationExample,
  upcasting: upcastingExample,
  topology: topologyExample,
};
const example = feature === undefined ? undefined : examples[feature];
if (!example) {
  console.error(
    `usage: bun scripts/time-features-example.ts ${Object.keys(examples).join("|")} [--gateway URL] [--data DIR]`,
  );
  process.exit(2);
}
try {
  await example();
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  sessions.abort();
}
