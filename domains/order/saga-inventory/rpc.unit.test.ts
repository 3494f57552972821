// saga-order-inventory over the in-memory RPC client: the program's router, real encoding, no socket.
import { describe, expect, test } from "bun:test";
import {
  GetDescriptorRequestSchema,
  Identity,
  Saga,
  SagaExecuteRequestSchema,
  SagaPrepareRequestSchema,
} from "@angzarr/proto";
import { LineItemSchema, OrderCreatedSchema } from "@angzarr/proto/examples.ts";
import { buildRouter, MemoryClient, sagaComponent, unary } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { packable, sourceBook } from "../../shared/testing";
import { orderInventorySaga } from "./saga";

const client = new MemoryClient(buildRouter(sagaComponent(orderInventorySaga)));
const source = sourceBook(
  { domain: "order", root: Identity.orderRoot("ORD-001"), correlationId: "corr-rpc" },
  [
    packable(
      OrderCreatedSchema,
      create(OrderCreatedSchema, {
        customerId: "CUST-001",
        items: [create(LineItemSchema, { productId: "SKU-001", quantity: 2, unitPriceCents: 100 })],
      }),
    ),
  ],
);

describe("saga-order-inventory over the in-memory RPC client", () => {
  test("GetDescriptor names the program", async () => {
    const d = await unary(client, Saga.method.getDescriptor, create(GetDescriptorRequestSchema));
    expect([d.name, d.componentType]).toEqual(["saga-order-inventory", "saga"]);
  });

  test("Prepare asks for no destinations; Execute returns the reservation", async () => {
    const prepared = await unary(client, Saga.method.prepare, create(SagaPrepareRequestSchema, { source }));
    expect(prepared.destinations).toHaveLength(0);
    const response = await unary(client, Saga.method.execute, create(SagaExecuteRequestSchema, { source }));
    expect(
      response.commands.map((c) => [c.cover?.domain, c.cover?.correlationId, c.pages[0]?.command?.typeUrl]),
    ).toEqual([["inventory", "corr-rpc", "type.googleapis.com/examples.ReserveStock"]]);
  });
});
