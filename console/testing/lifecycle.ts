// One order's whole lifecycle through a running runtime's gateway, the data the console's pages
// are checked (and screenshotted) against:
//   stock a product, register a customer, create an order, pay, confirm (the sagas reserve stock,
//   create the shipment and credit points; the process manager tracks prerequisites), pick and
//   pack (the process manager ships, the saga commits the reservation);
//   a what-if edition of the order that diverges after the payment and cancels it instead;
//   an order for a product nobody stocked (its reservation is refused and compensated).
//
//   bun console/testing/lifecycle.ts [--gateway http://127.0.0.1:1310]
import { parseArgs } from "node:util";
import {
  AnyPayload,
  CommandBookSchema,
  CommandGateway,
  CommandPageSchema,
  Covers,
  EditionService,
  type EventBook,
  EventQuery,
  Identity,
  SyncMode,
  TemporalQuerySchema,
  TypeUrl,
  Uuid,
} from "@angzarr/proto";
import {
  CancelOrderSchema,
  ConfirmPaymentSchema,
  CreateCustomerSchema,
  CreateOrderSchema,
  InitializeStockSchema,
  LineItemSchema,
  MarkPackedSchema,
  MarkPickedSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

export interface Lifecycle {
  run: string;
  correlationId: string;
  orderNumber: string;
  orderRoot: Uint8Array;
  inventoryRoot: Uint8Array;
  customerRoot: Uint8Array;
  /** The what-if edition: order diverges at this sequence and is cancelled there. */
  edition: string;
  divergence: number;
  /** Correlation id of the order whose reservation was refused. */
  refusedCorrelationId: string;
}

export async function runLifecycle(
  transport: Transport,
  options: { timeoutMs?: number } = {},
): Promise<Lifecycle> {
  const gateway = createClient(CommandGateway, transport);
  const query = createClient(EventQuery, transport);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const run = Uuid.toText(Uuid.randomBytes()).slice(0, 6);
  const sku = `SKU-${run}`;
  const email = `buyer-${run}@example.com`;
  const orderNumber = `ORD-${run}`;
  const correlationId = `order-${run}`;
  const inventoryRoot = Identity.inventoryRoot(sku);
  const customerRoot = Identity.customerRoot(email);
  const orderRoot = Identity.orderRoot(orderNumber);

  const history = (domain: string, root: Uint8Array, edition = "") =>
    query.getEventBook({ cover: Covers.make({ domain, root, ...(edition ? { edition } : {}) }) });
  const names = (book: EventBook) =>
    book.pages.map((p) => TypeUrl.fullName(p.event?.typeUrl ?? "").replace("examples.", ""));

  async function send<D extends DescMessage>(
    domain: string,
    root: Uint8Array,
    schema: D,
    message: MessageInitShape<D>,
    corr: string,
    edition?: { name: string; divergences: { domain: string; sequence: number }[] },
  ) {
    for (let attempt = 0; ; attempt++) {
      const next = edition
        ? (edition.divergences[0]?.sequence ?? 0)
        : (await history(domain, root)).pages.length;
      const cover = Covers.make({ domain, root, correlationId: corr });
      if (edition)
        cover.edition = {
          $typeName: "angzarr.Edition",
          name: edition.name,
          divergences: edition.divergences.map((d) => ({ $typeName: "angzarr.DomainDivergence", ...d })),
        };
      const book = create(CommandBookSchema, {
        cover,
        pages: [
          create(CommandPageSchema, {
            sequence: next,
            command: AnyPayload.pack(schema, create(schema, message)),
          }),
        ],
      });
      try {
        return await gateway.executeSync({ command: book, syncMode: SyncMode.SIMPLE });
      } catch (err) {
        if (!(err instanceof ConnectError) || err.code !== Code.Aborted || attempt > 5) throw err;
      }
    }
  }

  async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await Bun.sleep(50);
    }
  }

  const setup = `setup-${run}`;
  await send(
    "inventory",
    inventoryRoot,
    InitializeStockSchema,
    { productId: sku, quantity: 100, lowStockThreshold: 10 },
    setup,
  );
  await send("customer", customerRoot, CreateCustomerSchema, { name: "Ada Buyer", email }, setup);
  const item = create(LineItemSchema, { productId: sku, name: "Widget", quantity: 2, unitPriceCents: 2500 });
  await send(
    "order",
    orderRoot,
    CreateOrderSchema,
    { customerId: email, customerRoot, items: [item] },
    correlationId,
  );
  await send(
    "order",
    orderRoot,
    SubmitPaymentSchema,
    { paymentMethod: "card", amountCents: 5000 },
    correlationId,
  );
  await send("order", orderRoot, ConfirmPaymentSchema, { paymentReference: `pay-${run}` }, correlationId);
  await eventually("shipment created", async () =>
    names(await history("fulfillment", orderRoot)).includes("ShipmentCreated"),
  );
  await send("fulfillment", orderRoot, MarkPickedSchema, { pickerId: "picker-1" }, correlationId);
  await send("fulfillment", orderRoot, MarkPackedSchema, { packerId: "packer-1" }, correlationId);
  await eventually("shipped", async () => names(await history("fulfillment", orderRoot)).includes("Shipped"));
  await eventually("reservation committed", async () =>
    names(await history("inventory", inventoryRoot)).includes("ReservationCommitted"),
  );
  await eventually("points credited", async () =>
    names(await history("customer", customerRoot)).includes("LoyaltyPointsAdded"),
  );

  // What if the order had been cancelled after the payment was submitted?
  const edition = `what-if-${run}`;
  const divergence = 2;
  // An edition must be created before anything is sent into it (EditionService).
  await createClient(EditionService, transport).createEdition({
    name: edition,
    description: "the order cancelled after the payment",
    domainDivergences: {
      order: create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value: divergence - 1 } }),
    },
  });
  await send(
    "order",
    orderRoot,
    CancelOrderSchema,
    { reason: "changed my mind" },
    `${correlationId}-what-if`,
    {
      name: edition,
      divergences: [{ domain: "order", sequence: divergence }],
    },
  );

  // An order for a product nobody stocked: the reservation is refused and compensated.
  const refusedCorrelationId = `refused-${run}`;
  const unstocked = create(LineItemSchema, {
    productId: `NOSUCH-${run}`,
    name: "Ghost",
    quantity: 1,
    unitPriceCents: 100,
  });
  await send(
    "order",
    Identity.orderRoot(`${orderNumber}-X`),
    CreateOrderSchema,
    { customerId: email, customerRoot, items: [unstocked] },
    refusedCorrelationId,
  );

  return {
    run,
    correlationId,
    orderNumber,
    orderRoot,
    inventoryRoot,
    customerRoot,
    edition,
    divergence,
    refusedCorrelationId,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      gateway: { type: "string", default: "http://127.0.0.1:1310" },
      admin: { type: "string", default: "http://127.0.0.1:1311" },
    },
  });
  const transport = createConnectTransport({
    baseUrl: values.gateway,
    httpVersion: "2",
    useBinaryFormat: true,
  });
  const done = await runLifecycle(transport);
  console.log(
    `order ${done.orderNumber} (root ${Uuid.toText(done.orderRoot)}), correlation id ${done.correlationId}`,
  );
  console.log(`open ${values.admin}/console#/flow?id=${done.correlationId}`);
  process.exit(0);
}
