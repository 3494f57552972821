// The agg-inventory router in memory: real protobuf encoding both ways, no socket.
import { describe, expect, test } from "bun:test";
import {
  Aggregate,
  CommandBookSchema,
  CommandPageSchema,
  type ContextualCommand,
  ContextualCommandSchema,
  Covers,
  EventBookSchema,
  EventPageSchema,
  TypeUrl,
} from "@angzarr/proto";
import { InventoryStateSchema, LowStockAlertSchema, ReserveStockSchema } from "@angzarr/proto/examples.ts";
import { aggregateComponent, buildRouter, Code, ConnectError, MemoryClient, unary } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { inventoryAggregate } from "./aggregate";
import { INVENTORY_ROOT, initialized, ORDER_A } from "./fixtures";

const cover = Covers.make({ domain: "inventory", root: INVENTORY_ROOT, correlationId: "corr-rpc" });
const history = create(EventBookSchema, {
  cover,
  pages: [
    create(EventPageSchema, {
      sequence: { case: "num", value: 0 },
      event: inventoryAggregate.packEvent(initialized(20, 10)),
    }),
  ],
});
const request = (command: Any): ContextualCommand =>
  create(ContextualCommandSchema, {
    events: history,
    command: create(CommandBookSchema, {
      cover,
      pages: [create(CommandPageSchema, { sequence: 1, command })],
    }),
  });
const reserve = (quantity: number) =>
  inventoryAggregate.packCommand(create(ReserveStockSchema, { quantity, orderId: ORDER_A }));

describe("agg-inventory over the in-memory RPC client", () => {
  const client = new MemoryClient(buildRouter(aggregateComponent(inventoryAggregate)));

  test("a ReserveStock round trip returns StockReserved and LowStockAlert at 1 and 2, with the state", async () => {
    const response = await unary(client, Aggregate.method.handle, request(reserve(15)));
    const book = response.result.case === "events" ? response.result.value : undefined;
    expect(book?.pages.map((p) => [p.sequence.value, p.event?.typeUrl])).toEqual([
      [1, "type.googleapis.com/examples.StockReserved"],
      [2, "type.googleapis.com/examples.LowStockAlert"],
    ]);
    const alert = fromBinary(LowStockAlertSchema, book?.pages[1]?.event?.value ?? new Uint8Array());
    expect(alert).toMatchObject({ productId: "SKU-001", available: 5, threshold: 10 });
    expect(book?.snapshotState?.typeUrl).toBe("type.googleapis.com/examples.InventoryState");
    const state = fromBinary(InventoryStateSchema, book?.snapshotState?.value ?? new Uint8Array());
    expect(state).toMatchObject({ onHand: 20, reserved: 15, reservations: { [ORDER_A]: 15 } });
  });

  test("a malformed payload fails INVALID_ARGUMENT and the router keeps serving", async () => {
    const corrupt = create(AnySchema, {
      typeUrl: TypeUrl.forName("examples.ReserveStock"),
      value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]),
    });
    const failure = await unary(client, Aggregate.method.handle, request(corrupt)).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toStartWith("failed to decode examples.ReserveStock");

    const response = await unary(client, Aggregate.method.handle, request(reserve(1)));
    expect(response.result.case).toBe("events");
  });

  test("a rule rejection travels with its code and exact message", async () => {
    const failure = await unary(client, Aggregate.method.handle, request(reserve(21))).catch(
      (err: unknown) => err,
    );
    expect((failure as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((failure as ConnectError).rawMessage).toBe("Insufficient available stock: have 20, need 21");
  });
});
