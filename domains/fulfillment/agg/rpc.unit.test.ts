// The agg-fulfillment router in memory: real protobuf encoding both ways, no socket.
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
import { FulfillmentStateSchema, ShippedSchema, ShipSchema } from "@angzarr/proto/examples.ts";
import { aggregateComponent, buildRouter, Code, ConnectError, MemoryClient, unary } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { fulfillmentAggregate } from "./aggregate";
import { AT, ITEMS, ORDER_ID, SHIPMENT_ROOT } from "./fixtures";

const cover = Covers.make({ domain: "fulfillment", root: SHIPMENT_ROOT, correlationId: "corr-rpc" });
const history = create(EventBookSchema, {
  cover,
  pages: AT.packing().map((event, i) =>
    create(EventPageSchema, {
      sequence: { case: "num", value: i },
      event: fulfillmentAggregate.packEvent(event),
    }),
  ),
});
const request = (command: Any): ContextualCommand =>
  create(ContextualCommandSchema, {
    events: history,
    command: create(CommandBookSchema, {
      cover,
      pages: [create(CommandPageSchema, { sequence: 3, command })],
    }),
  });
const ship = (carrier: string) => fulfillmentAggregate.packCommand(create(ShipSchema, { carrier }));

describe("agg-fulfillment over the in-memory RPC client", () => {
  const client = new MemoryClient(buildRouter(aggregateComponent(fulfillmentAggregate)));

  test("a Ship round trip returns Shipped at sequence 3 with items and order id, and the state", async () => {
    const response = await unary(client, Aggregate.method.handle, request(ship("DHL")));
    const book = response.result.case === "events" ? response.result.value : undefined;
    expect(book?.pages[0]?.sequence).toEqual({ case: "num", value: 3 });
    expect(book?.pages[0]?.event?.typeUrl).toBe("type.googleapis.com/examples.Shipped");
    const event = fromBinary(ShippedSchema, book?.pages[0]?.event?.value ?? new Uint8Array());
    expect(event).toMatchObject({ carrier: "DHL", trackingNumber: "", orderId: ORDER_ID, items: ITEMS });
    expect(book?.snapshotState?.typeUrl).toBe("type.googleapis.com/examples.FulfillmentState");
    const state = fromBinary(FulfillmentStateSchema, book?.snapshotState?.value ?? new Uint8Array());
    expect(state).toMatchObject({ status: "shipped", carrier: "DHL", orderId: ORDER_ID });
  });

  test("a malformed payload fails INVALID_ARGUMENT and the router keeps serving", async () => {
    const corrupt = create(AnySchema, {
      typeUrl: TypeUrl.forName("examples.Ship"),
      value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]),
    });
    const failure = await unary(client, Aggregate.method.handle, request(corrupt)).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toStartWith("failed to decode examples.Ship");

    const response = await unary(client, Aggregate.method.handle, request(ship("UPS")));
    expect(response.result.case).toBe("events");
  });

  test("a rule rejection travels with its code and exact message", async () => {
    const failure = await unary(client, Aggregate.method.handle, request(ship(""))).catch(
      (err: unknown) => err,
    );
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toBe("Carrier is required");
  });
});
