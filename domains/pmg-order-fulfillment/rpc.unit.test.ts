// pmg-order-fulfillment over the in-memory RPC client: the program's router, real encoding, no socket.
import { describe, expect, test } from "bun:test";
import {
  Covers,
  GetDescriptorRequestSchema,
  Identity,
  ProcessManager,
  ProcessManagerHandleRequestSchema,
  ProcessManagerPrepareRequestSchema,
} from "@angzarr/proto";
import { LineItemSchema, OrderCreatedSchema, PaymentSubmittedSchema } from "@angzarr/proto/examples.ts";
import { buildRouter, MemoryClient, processManagerComponent, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { packable, sourceBook } from "../shared/testing";
import { orderFulfillmentPm } from "./pm";

const client = new MemoryClient(buildRouter(processManagerComponent(orderFulfillmentPm)));
const trigger = sourceBook(
  { domain: "order", root: Identity.orderRoot("ORD-001"), correlationId: "corr-1" },
  [
    packable(
      OrderCreatedSchema,
      create(OrderCreatedSchema, {
        customerId: "CUST-001",
        items: [create(LineItemSchema, { productId: "SKU-001", quantity: 2, unitPriceCents: 100 })],
      }),
    ),
    packable(
      PaymentSubmittedSchema,
      create(PaymentSubmittedSchema, { paymentMethod: "card", amountCents: 200 }),
    ),
  ],
);

describe("pmg-order-fulfillment over the in-memory RPC client", () => {
  test("GetDescriptor names the program and its three inputs", async () => {
    const d = await unary(client, ProcessManager.method.getDescriptor, create(GetDescriptorRequestSchema));
    expect([d.name, d.componentType, d.inputs.map((i) => i.domain)]).toEqual([
      "pmg-order-fulfillment",
      "process_manager",
      ["order", "inventory", "fulfillment"],
    ]);
  });

  test("Prepare names the inventory to re-check; Handle binds and records the payment", async () => {
    const prepared = await unary(
      client,
      ProcessManager.method.prepare,
      create(ProcessManagerPrepareRequestSchema, { trigger }),
    );
    expect(prepared.destinations.map((c) => [c.domain, Covers.rootString(c)])).toEqual([
      ["inventory", "934c8417-4c8b-581b-971d-000ebe80f1e3"],
    ]);
    const response = await unary(
      client,
      ProcessManager.method.handle,
      create(ProcessManagerHandleRequestSchema, { trigger, destinations: [] }),
    );
    expect(response.commands).toHaveLength(0);
    expect(response.processEvents?.cover?.domain).toBe("order-fulfillment");
    expect(response.processEvents?.pages.map((p) => [p.sequence.value, p.event?.typeUrl])).toEqual([
      [0, "type.googleapis.com/examples.OrderTracked"],
      [1, "type.googleapis.com/examples.PrerequisiteCompleted"],
    ]);
  });
});
