// A minimal gateway client: creates an order and reads it back.
//
//   bun scripts/client-example.ts [--gateway http://127.0.0.1:1310] [--order ORD-123]
//
// It speaks Connect over HTTP/2 in the binary format (the JSON format cannot carry the packed
// `Any` payloads without a type registry). Steps:
//   1. root = Identity.orderRoot(order number): the order's UUIDv5 (example-domains §1.2);
//   2. CommandGateway.Execute with an `examples.CreateOrder` packed in an Any, at sequence 0
//      (a new aggregate); the gateway assigns a correlation id when the cover has none;
//   3. EventQuery.GetEventBook for the same cover, printing each stored event.
// A second run with the same --order fails with ABORTED (`Sequence mismatch ...`): the order
// already exists; the error carries the aggregate's current EventBook as a detail.
import { parseArgs } from "node:util";
import {
  AnyPayload,
  CommandBooks,
  CommandGateway,
  Covers,
  EventPages,
  EventQuery,
  Identity,
  Uuid,
} from "@angzarr/proto";
import { CreateOrderSchema, file_examples_order, LineItemSchema } from "@angzarr/proto/examples.ts";
import { create, createRegistry, fromBinary, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";

const { values } = parseArgs({
  options: {
    gateway: { type: "string", default: "http://127.0.0.1:1310" },
    order: { type: "string", default: `ORD-${crypto.randomUUID().slice(0, 8).toUpperCase()}` },
  },
});
const gatewayUrl = values.gateway;
const orderNumber = values.order;

const sessions = new Http2SessionManager(gatewayUrl);
const transport = createConnectTransport({
  baseUrl: gatewayUrl,
  httpVersion: "2",
  useBinaryFormat: true,
  sessionManager: sessions,
});
const gateway = createClient(CommandGateway, transport);
const query = createClient(EventQuery, transport);
const registry = createRegistry(file_examples_order);

const cover = Covers.make({ domain: "order", root: Identity.orderRoot(orderNumber) });
const createOrder = create(CreateOrderSchema, {
  customerId: "CUST-001",
  items: [
    create(LineItemSchema, { productId: "SKU-001", name: "Widget", quantity: 2, unitPriceCents: 1000 }),
    create(LineItemSchema, { productId: "SKU-002", name: "Gadget", quantity: 1, unitPriceCents: 2500 }),
  ],
});

try {
  console.log(`order ${orderNumber} → root ${Uuid.toText(Identity.orderRoot(orderNumber))}`);
  const response = await gateway.execute(
    CommandBooks.make(cover, AnyPayload.pack(CreateOrderSchema, createOrder), 0),
  );
  console.log(`created; correlation id ${response.events?.cover?.correlationId}`);

  const book = await query.getEventBook({ cover });
  for (const page of book.pages) {
    const desc = registry.getMessage(AnyPayload.nameOf(page.event));
    const body =
      desc && page.event
        ? JSON.stringify(toJson(desc, fromBinary(desc, page.event.value), { registry }))
        : "(type not in the example registry)";
    console.log(`#${EventPages.sequence(page)} ${AnyPayload.nameOf(page.event)} ${body}`);
  }
} catch (err) {
  const e = ConnectError.from(err);
  console.error(`failed: [${Code[e.code]}] ${e.rawMessage}`);
  process.exitCode = 1;
} finally {
  sessions.abort();
}
