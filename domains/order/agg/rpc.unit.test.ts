// The agg-order router in memory: real protobuf encoding both ways, no socket.
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
import { OrderStateSchema, SubmitPaymentSchema } from "@angzarr/proto/examples.ts";
import { aggregateComponent, buildRouter, Code, ConnectError, MemoryClient, unary } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { orderAggregate } from "./aggregate";
import { created, ORDER_ROOT } from "./fixtures";

const cover = Covers.make({ domain: "order", root: ORDER_ROOT, correlationId: "corr-rpc" });
const history = create(EventBookSchema, {
  cover,
  pages: [
    create(EventPageSchema, {
      sequence: { case: "num", value: 0 },
      event: orderAggregate.packEvent(created()),
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

describe("agg-order over the in-memory RPC client", () => {
  const client = new MemoryClient(buildRouter(aggregateComponent(orderAggregate)));

  test("a SubmitPayment round trip returns the event at sequence 1 and the snapshot state", async () => {
    const pay = orderAggregate.packCommand(
      create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 5000 }),
    );
    const response = await unary(client, Aggregate.method.handle, request(pay));
    expect(response.result.case).toBe("events");
    const book = response.result.case === "events" ? response.result.value : undefined;
    expect(book?.cover?.correlationId).toBe("corr-rpc");
    expect(book?.pages).toHaveLength(1);
    expect(book?.pages[0]?.sequence).toEqual({ case: "num", value: 1 });
    expect(book?.pages[0]?.event?.typeUrl).toBe("type.googleapis.com/examples.PaymentSubmitted");
    expect(book?.snapshotState?.typeUrl).toBe("type.googleapis.com/examples.OrderState");
    const state = fromBinary(OrderStateSchema, book?.snapshotState?.value ?? new Uint8Array());
    expect(state).toMatchObject({ status: "payment_submitted", paymentMethod: "card", subtotalCents: 5000 });
  });

  test("a malformed payload fails INVALID_ARGUMENT and the router keeps serving", async () => {
    const corrupt = create(AnySchema, {
      typeUrl: TypeUrl.forName("examples.SubmitPayment"),
      value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]),
    });
    const failure = await unary(client, Aggregate.method.handle, request(corrupt)).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toStartWith("failed to decode examples.SubmitPayment");

    const pay = orderAggregate.packCommand(
      create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 5000 }),
    );
    const response = await unary(client, Aggregate.method.handle, request(pay));
    expect(response.result.case).toBe("events");
  });

  test("a rule rejection travels with its code and exact message", async () => {
    const pay = orderAggregate.packCommand(
      create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 1 }),
    );
    const failure = await unary(client, Aggregate.method.handle, request(pay)).catch((err: unknown) => err);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toBe(
      "Payment amount does not match order total: expected 5000, got 1",
    );
  });

  test("GetDescriptor answers name 'order', type 'aggregate'", async () => {
    const descriptor = await unary(
      client,
      Aggregate.method.getDescriptor,
      create(Aggregate.method.getDescriptor.input),
    );
    expect(descriptor.name).toBe("order");
    expect(descriptor.componentType).toBe("aggregate");
  });
});
