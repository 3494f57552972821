// saga-fulfillment-inventory (example-domains §3.3, §6.8): pure calls of Execute on source books.
import { describe, expect, test } from "bun:test";
import { Identity, Uuid } from "@angzarr/proto";
import {
  CommitReservationSchema,
  ItemsPackedSchema,
  LineItemSchema,
  ShipmentCreatedSchema,
  ShippedSchema,
  StockInitializedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { defineSaga } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { inventoryAggregate } from "../../inventory/agg/aggregate";
import {
  commandPayload,
  DestinationStore,
  garbage,
  packable,
  sourceBook,
  target,
} from "../../shared/testing";
import { fulfillmentInventorySaga, SAGA_NAME } from "./saga";

const SHIPMENT_ROOT = Identity.orderRoot("ORD-001");
/** Deliberately not the shipment root's text: the saga must use `Shipped.order_id`. */
const ORDER_ID = "11111111-2222-5333-8444-555555555555";
const CORRELATION = "corr-1";
const line = (productId: string, quantity: number) =>
  create(LineItemSchema, { productId, name: productId, quantity, unitPriceCents: 100 });
const ITEMS = [line("SKU-002", 1), line("SKU-001", 2), line("SKU-002", 4)];
const shipped = (orderId = ORDER_ID, items = ITEMS) =>
  packable(ShippedSchema, create(ShippedSchema, { carrier: "UPS", trackingNumber: "1Z", orderId, items }));
const shipmentBook = (
  events: Parameters<typeof sourceBook>[1],
  root: Uint8Array | undefined = SHIPMENT_ROOT,
) => sourceBook({ domain: "fulfillment", root, correlationId: CORRELATION }, events);

function quietSaga() {
  const skipped: string[] = [];
  return {
    saga: defineSaga({ ...fulfillmentInventorySaga.definition, onSkip: (_p, why) => skipped.push(why) }),
    skipped,
  };
}

describe("saga-fulfillment-inventory", () => {
  test("describes itself by program name with the events it consumes", () => {
    const d = fulfillmentInventorySaga.descriptor();
    expect([d.name, d.componentType, SAGA_NAME]).toEqual([
      "saga-fulfillment-inventory",
      "saga",
      "saga-fulfillment-inventory",
    ]);
    expect(d.inputs.map((i) => [i.domain, i.eventTypes])).toEqual([["fulfillment", ["examples.Shipped"]]]);
  });

  test("shipping commits each distinct product once, with the shipment's order id", () => {
    const { commands } = fulfillmentInventorySaga.execute(shipmentBook([shipped()]));
    expect(commands.map(target)).toEqual([
      {
        domain: "inventory",
        root: Uuid.toText(Identity.inventoryRoot("SKU-002")),
        correlationId: CORRELATION,
      },
      { domain: "inventory", root: "934c8417-4c8b-581b-971d-000ebe80f1e3", correlationId: CORRELATION },
    ]);
    expect(commands.map((c) => commandPayload(c, CommitReservationSchema).orderId)).toEqual([
      ORDER_ID,
      ORDER_ID,
    ]);
  });

  test("a shipment without items, or without an order id, yields nothing", () => {
    expect(fulfillmentInventorySaga.execute(shipmentBook([shipped(ORDER_ID, [])])).commands).toHaveLength(0);
    expect(fulfillmentInventorySaga.execute(shipmentBook([shipped("")])).commands).toHaveLength(0);
  });

  test("a source whose root is not 16 bytes yields nothing", () => {
    expect(
      fulfillmentInventorySaga.execute(shipmentBook([shipped()], new Uint8Array(4))).commands,
    ).toHaveLength(0);
  });

  test("other events yield nothing; undecodable pages are skipped and logged", () => {
    const { saga, skipped } = quietSaga();
    const out = saga.execute(
      shipmentBook([
        packable(ShipmentCreatedSchema, create(ShipmentCreatedSchema, { orderId: ORDER_ID, items: ITEMS })),
        packable(ItemsPackedSchema, create(ItemsPackedSchema, { packerId: "P1" })),
        garbage("type.googleapis.com/examples.Shipped"),
      ]),
    );
    expect(out.commands).toHaveLength(0);
    expect(skipped.slice(0, 2)).toEqual([
      "not handled: examples.ShipmentCreated",
      "not handled: examples.ItemsPacked",
    ]);
    expect(skipped[2]).toStartWith("failed to decode examples.Shipped");
  });

  test("the correlation id is copied to every command", () => {
    const book = sourceBook({ domain: "fulfillment", root: SHIPMENT_ROOT, correlationId: "wf-3" }, [
      shipped(),
    ]);
    expect(fulfillmentInventorySaga.execute(book).commands.map((c) => c.cover?.correlationId)).toEqual([
      "wf-3",
      "wf-3",
    ]);
  });

  test("a shipment delivered twice commits each reservation once", () => {
    const store = new DestinationStore(inventoryAggregate);
    for (const [productId, quantity] of [
      ["SKU-001", 2],
      ["SKU-002", 5],
    ] as const) {
      store.given(
        Identity.inventoryRoot(productId),
        create(StockInitializedSchema, { productId, quantity: 100 }),
        create(StockReservedSchema, {
          quantity,
          orderId: ORDER_ID,
          newAvailable: 100 - quantity,
          newReserved: quantity,
          newOnHand: 100,
        }),
      );
    }
    const book = shipmentBook([shipped()]);
    store
      .run(fulfillmentInventorySaga.execute(book).commands)
      .run(fulfillmentInventorySaga.execute(book).commands);
    const sku1 = store.state(Identity.inventoryRoot("SKU-001"));
    const sku2 = store.state(Identity.inventoryRoot("SKU-002"));
    expect([sku1.onHand, sku1.reserved, sku2.onHand, sku2.reserved]).toEqual([98, 0, 95, 0]);
    expect(store.rejections).toEqual(["Reservation not found", "Reservation not found"]);
  });
});
