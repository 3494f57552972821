// saga-order-fulfillment (example-domains §3.2, §6.8): pure calls of Execute on source books.
import { describe, expect, test } from "bun:test";
import { Identity } from "@angzarr/proto";
import {
  CreateShipmentSchema,
  LineItemSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
  OrderCreatedSchema,
} from "@angzarr/proto/examples.ts";
import { defineSaga } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { fulfillmentAggregate } from "../../fulfillment/agg/aggregate";
import {
  commandPayload,
  DestinationStore,
  garbage,
  packable,
  sourceBook,
  target,
} from "../../shared/testing";
import { orderFulfillmentSaga, SAGA_NAME } from "./saga";

const ORDER_ROOT = Identity.orderRoot("ORD-001");
const ORDER_ID = "eb8052f7-3398-5b3a-99f8-7d84e926a184";
const CORRELATION = "corr-1";
const ITEMS = [
  create(LineItemSchema, { productId: "SKU-001", name: "Widget", quantity: 2, unitPriceCents: 2500 }),
  create(LineItemSchema, { productId: "SKU-002", name: "Gadget", quantity: 1, unitPriceCents: 1000 }),
];
const completed = packable(
  OrderCompletedSchema,
  create(OrderCompletedSchema, {
    finalTotalCents: 6000,
    paymentMethod: "card",
    paymentReference: "PAY-1",
    loyaltyPointsEarned: 60,
    items: ITEMS,
  }),
);
const orderBook = (events: Parameters<typeof sourceBook>[1], root: Uint8Array | undefined = ORDER_ROOT) =>
  sourceBook({ domain: "order", root, correlationId: CORRELATION }, events);

function quietSaga() {
  const skipped: string[] = [];
  return {
    saga: defineSaga({ ...orderFulfillmentSaga.definition, onSkip: (_p, why) => skipped.push(why) }),
    skipped,
  };
}

describe("saga-order-fulfillment", () => {
  test("describes itself by program name with the events it consumes", () => {
    const d = orderFulfillmentSaga.descriptor();
    expect([d.name, d.componentType]).toEqual(["saga-order-fulfillment", "saga"]);
    expect(SAGA_NAME).toBe("saga-order-fulfillment");
    expect(d.inputs.map((i) => [i.domain, i.eventTypes])).toEqual([["order", ["examples.OrderCompleted"]]]);
  });

  test("completion yields one CreateShipment at the order's root, with the order id and the items", () => {
    const { commands, events } = orderFulfillmentSaga.execute(orderBook([completed]));
    expect(events).toHaveLength(0);
    expect(commands).toHaveLength(1);
    expect(target(commands[0])).toEqual({
      domain: "fulfillment",
      root: ORDER_ID,
      correlationId: CORRELATION,
    });
    expect(commands[0]?.cover?.root?.value).toEqual(ORDER_ROOT);
    const shipment = commandPayload(commands[0], CreateShipmentSchema);
    expect(shipment.orderId).toBe(ORDER_ID);
    expect(shipment.items).toEqual(ITEMS);
  });

  test("creation and cancellation yield nothing", () => {
    const { saga, skipped } = quietSaga();
    const out = saga.execute(
      orderBook([
        packable(OrderCreatedSchema, create(OrderCreatedSchema, { customerId: "CUST-001", items: ITEMS })),
        packable(OrderCancelledSchema, create(OrderCancelledSchema, { reason: "no", items: ITEMS })),
      ]),
    );
    expect(out.commands).toHaveLength(0);
    expect(skipped).toEqual(["not handled: examples.OrderCreated", "not handled: examples.OrderCancelled"]);
  });

  test("a source whose root is not 16 bytes yields nothing", () => {
    expect(orderFulfillmentSaga.execute(orderBook([completed], new Uint8Array(8))).commands).toHaveLength(0);
    const noRoot = sourceBook({ domain: "order", root: undefined, correlationId: CORRELATION }, [completed]);
    expect(orderFulfillmentSaga.execute(noRoot).commands).toHaveLength(0);
  });

  test("an undecodable completion is skipped and logged", () => {
    const { saga, skipped } = quietSaga();
    expect(
      saga.execute(orderBook([garbage("type.googleapis.com/examples.OrderCompleted")])).commands,
    ).toHaveLength(0);
    expect(skipped[0]).toStartWith("failed to decode examples.OrderCompleted");
  });

  test("the correlation id is copied to the command", () => {
    const book = sourceBook({ domain: "order", root: ORDER_ROOT, correlationId: "wf-7" }, [completed]);
    expect(orderFulfillmentSaga.execute(book).commands[0]?.cover?.correlationId).toBe("wf-7");
  });

  test("a completion delivered twice creates one shipment; the repeat is refused", () => {
    const store = new DestinationStore(fulfillmentAggregate);
    const book = orderBook([completed]);
    store.run(orderFulfillmentSaga.execute(book).commands).run(orderFulfillmentSaga.execute(book).commands);
    expect(store.count(ORDER_ROOT)).toBe(1);
    expect(store.state(ORDER_ROOT).orderId).toBe(ORDER_ID);
    expect(store.rejections).toEqual(["Shipment already exists"]);
  });
});
