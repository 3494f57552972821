// A minimal gateway client: stocks the products and takes an order through its lifecycle; or
// shows one aggregate's events.
//
//   bun scripts/client-example.ts [--gateway 127.0.0.1:1310] [--order ORD-123]
//   bun scripts/client-example.ts --show ROOT [--domain inventory]
//
// It speaks Connect over HTTP/2 in the binary format. Steps of the default run:
//   1. each product's stock (inventory domain, root Identity.inventoryRoot(sku)) is initialised,
//      or topped up when it already exists, so the inventory saga can reserve the order's items;
//   2. root = Identity.orderRoot(order number): the order's UUIDv5 (example-domains §1.2);
//   3. CommandGateway.Execute with an `examples.CreateOrder` packed in an Any, at sequence 0
//      (a new aggregate); the gateway assigns a correlation id when the cover has none;
//   4. EventQuery.GetEventBook for the same cover, printing each stored event;
//   5. waits until the inventory saga reserved the items (StockReserved for this order on each
//      product), pays (SubmitPayment) and confirms the payment (ConfirmPayment, ExecuteSync in
//      SIMPLE mode: the reply carries what the order-summary projector recorded, the receipt), then waits until
//      the fulfillment saga opened the shipment (ShipmentCreated under the order's root).
// Without an inventory domain in the runtime (only the order aggregate, say) it stops after 4.
// A second run with the same --order fails with ABORTED (`Sequence mismatch ...`): the order
// already exists; the error carries where the aggregate stands as a detail.
import { parseArgs } from "node:util";
import {
  AnyPayload,
  CommandBooks,
  CommandGateway,
  type Cover,
  Covers,
  type EventBook,
  EventBookSchema,
  EventBooks,
  EventPages,
  EventQuery,
  Identity,
  SyncCommandBookSchema,
  SyncMode,
  Uuid,
} from "@angzarr/proto";
import {
  ConfirmPaymentSchema,
  CreateOrderSchema,
  file_examples_cart,
  file_examples_customer,
  file_examples_fulfillment,
  file_examples_inventory,
  file_examples_order,
  file_examples_order_fulfillment,
  file_examples_product,
  file_examples_projections,
  InitializeStockSchema,
  LineItemSchema,
  ReceiveStockSchema,
  ShipmentCreatedSchema,
  StockReservedSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import {
  create,
  createRegistry,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toJson,
} from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";

export const USAGE = `usage: bun scripts/client-example.ts [options]

Stocks the two example products, creates an order and prints its events, then takes it through
its lifecycle: reserved by the inventory saga, paid and confirmed (printing the order-summary
projector's row), shipment opened by the fulfillment saga. With --show, prints the events of one
aggregate instead.

  --gateway ADDR   the runtime's gateway: http://host:port or host:port (default 127.0.0.1:1310)
  --order NUMBER   order number (default: a new random ORD-XXXXXXXX)
  --show ROOT      print the events of aggregate ROOT (a UUID) of --domain; creates nothing
  --domain NAME    domain of --show (default order)
  -h, --help       show this help
`;

interface Options {
  gateway: string;
  order: string;
  show?: string;
  domain: string;
}

class UsageError extends Error {}

/** The options, or "help"; throws UsageError with one line for anything wrong. */
export function parseOptions(args: string[]): Options | "help" {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : message.split("\n")[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
  const gateway = gatewayUrl(values.gateway ?? "127.0.0.1:1310");
  if (values.show !== undefined && !/^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$/i.test(values.show)) {
    throw new UsageError(`--show expects a UUID, got ${JSON.stringify(values.show)}`);
  }
  return {
    gateway,
    order: values.order ?? `ORD-${crypto.randomUUID().slice(0, 8).toUpperCase()}`,
    domain: values.domain ?? "order",
    ...(values.show !== undefined ? { show: values.show } : {}),
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      gateway: { type: "string" },
      order: { type: "string" },
      show: { type: "string" },
      domain: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** `host:port` or a URL → a URL; throws UsageError naming the value when it is neither. */
export function gatewayUrl(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--gateway expects http://host:port or host:port, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--gateway expects an http:// or https:// address, got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

const registry = createRegistry(
  file_examples_cart,
  file_examples_customer,
  file_examples_fulfillment,
  file_examples_inventory,
  file_examples_order,
  file_examples_order_fulfillment,
  file_examples_product,
  file_examples_projections,
);

function describeEvent(event: Any | undefined): string {
  const desc = registry.getMessage(AnyPayload.nameOf(event));
  return desc && event
    ? JSON.stringify(toJson(desc, fromBinary(desc, event.value), { registry }))
    : "(type not in the example registry)";
}

const PRODUCTS = [
  { productId: "SKU-001", name: "Widget", quantity: 2, unitPriceCents: 1000 },
  { productId: "SKU-002", name: "Gadget", quantity: 1, unitPriceCents: 2500 },
];

async function run(options: Options): Promise<number> {
  const sessions = new Http2SessionManager(options.gateway);
  const transport = createConnectTransport({
    baseUrl: options.gateway,
    httpVersion: "2",
    useBinaryFormat: true,
    sessionManager: sessions,
  });
  const gateway = createClient(CommandGateway, transport);
  const query = createClient(EventQuery, transport);

  /** Waits (up to 30 s) until `found` answers something for the aggregate's events. */
  const waitFor = async <T>(what: string, cover: Cover, found: (book: EventBook) => T | undefined) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const hit = found(await query.getEventBook({ cover }));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new ConnectError(`${what}: not within 30 s`, Code.DeadlineExceeded);
      await Bun.sleep(100);
    }
  };

  const print = async (cover: Cover) => {
    const book = await query.getEventBook({ cover });
    for (const page of book.pages) {
      console.log(
        `#${EventPages.sequence(page)} ${AnyPayload.nameOf(page.event)} ${describeEvent(page.event)}`,
      );
    }
    if (book.pages.length === 0) console.log("(no events)");
  };

  /** Sends one command at `sequence`; ABORTED answers with the sequence the aggregate is at. */
  const send = async <D extends DescMessage>(
    cover: Cover,
    schema: D,
    message: MessageShape<D>,
    sequence: number,
  ): Promise<{ ok: true } | { ok: false; next: number }> => {
    try {
      await gateway.execute(CommandBooks.make(cover, AnyPayload.pack(schema, message), sequence));
      return { ok: true };
    } catch (err) {
      const e = ConnectError.from(err);
      const told = e.findDetails(EventBookSchema)[0];
      if (e.code !== Code.Aborted || told === undefined) throw err;
      return { ok: false, next: EventBooks.nextSequence(told) };
    }
  };

  /** Reservation by the inventory saga, payment, confirmation, shipment by the fulfillment saga. */
  const lifecycle = async (root: Uint8Array, cover: Cover) => {
    const orderId = Uuid.toText(root);
    for (const item of PRODUCTS) {
      const stock = Covers.make({ domain: "inventory", root: Identity.inventoryRoot(item.productId) });
      const reserved = await waitFor(`reservation of ${item.productId}`, stock, (book) =>
        book.pages
          .filter((p) => AnyPayload.is(p.event, StockReservedSchema))
          .map((p) => AnyPayload.unpack(p.event, StockReservedSchema))
          .find((e) => e.orderId === orderId),
      );
      console.log(
        `reserved by the inventory saga: ${reserved.quantity} × ${item.productId}, ${reserved.newAvailable} left available`,
      );
    }
    const total = PRODUCTS.reduce((n, p) => n + p.quantity * p.unitPriceCents, 0);
    const next = async () => EventBooks.nextSequence(await query.getEventBook({ cover }));
    const payment = create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: total });
    await gateway.execute(
      CommandBooks.make(cover, AnyPayload.pack(SubmitPaymentSchema, payment), await next()),
    );
    console.log(`paid ${total} cents by card`);
    const confirm = create(ConfirmPaymentSchema, { paymentReference: `PAY-${options.order}` });
    const confirmed = await gateway.executeSync(
      create(SyncCommandBookSchema, {
        command: CommandBooks.make(cover, AnyPayload.pack(ConfirmPaymentSchema, confirm), await next()),
        syncMode: SyncMode.SIMPLE,
      }),
    );
    const report = confirmed.projections.find((p) => p.projector === "projector-order-summary");
    console.log(
      report
        ? `payment confirmed; order report (${report.projector}) updated: ${AnyPayload.nameOf(report.projection)} ${describeEvent(report.projection)}`
        : "payment confirmed; no order report in the reply",
    );
    const shipment = Covers.make({ domain: "fulfillment", root });
    await waitFor("shipment", shipment, (book) =>
      book.pages.find((p) => AnyPayload.is(p.event, ShipmentCreatedSchema)),
    );
    console.log(`shipment opened by the fulfillment saga (fulfillment ${orderId}):`);
    await print(shipment);
  };

  try {
    if (options.show !== undefined) {
      const root = Uuid.fromText(options.show);
      console.log(`${options.domain} ${Uuid.toText(root)}`);
      await print(Covers.make({ domain: options.domain, root }));
      return 0;
    }
    let stocked = true;
    for (const item of PRODUCTS) {
      const cover = Covers.make({ domain: "inventory", root: Identity.inventoryRoot(item.productId) });
      const init = create(InitializeStockSchema, {
        productId: item.productId,
        quantity: 100,
        lowStockThreshold: 10,
      });
      let first: Awaited<ReturnType<typeof send>>;
      try {
        first = await send(cover, InitializeStockSchema, init, 0);
      } catch (err) {
        // A runtime without the inventory domain (only the order aggregate, say): nothing to stock.
        if (ConnectError.from(err).code !== Code.NotFound) throw err;
        console.log("no inventory domain in this runtime: the order is created without stock");
        stocked = false;
        break;
      }
      if (first.ok) console.log(`stock ${item.productId}: 100 initialised`);
      else {
        const more = create(ReceiveStockSchema, { quantity: 100, reference: "client-example" });
        const again = await send(cover, ReceiveStockSchema, more, first.next);
        console.log(`stock ${item.productId}: ${again.ok ? "100 more received" : "left as it is (busy)"}`);
      }
    }

    const root = Identity.orderRoot(options.order);
    const cover = Covers.make({ domain: "order", root });
    console.log(`order ${options.order} → root ${Uuid.toText(root)}`);
    const createOrder = create(CreateOrderSchema, {
      customerId: "CUST-001",
      items: PRODUCTS.map((p) => create(LineItemSchema, p)),
    });
    const response = await gateway.execute(
      CommandBooks.make(cover, AnyPayload.pack(CreateOrderSchema, createOrder), 0),
    );
    console.log(`created; correlation id ${response.events?.cover?.correlationId}`);
    await print(cover);
    if (!stocked) return 0;
    await lifecycle(root, cover);
    return 0;
  } catch (err) {
    const e = ConnectError.from(err);
    const hint = e.code === Code.Unavailable ? ` (is the runtime running? start it with: bun start)` : "";
    console.error(`failed: [${Code[e.code]}] ${e.rawMessage}${hint}`);
    return 1;
  } finally {
    sessions.abort();
  }
}

export async function main(args: string[]): Promise<number> {
  try {
    const options = parseOptions(args);
    if (options === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    return await run(options);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`client-example: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
