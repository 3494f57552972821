// Shipment: an order's goods are picked, packed, shipped and delivered, in that order.

import {
  CreateShipmentSchema,
  DeliveredSchema,
  ItemsPackedSchema,
  ItemsPickedSchema,
  MarkPackedSchema,
  MarkPickedSchema,
  RecordDeliverySchema,
  ShipmentCreatedSchema,
  ShippedSchema,
  ShipSchema,
} from "@angzarr/proto/examples.ts";
import { create, type Message } from "@bufbuild/protobuf";
import { When } from "@cucumber/cucumber";
import type { UnitWorld } from "../../support/unit-world.ts";
import { ORDER_ID, shipment } from "./domains.ts";
import { defineStages, parseLines } from "./vocabulary.ts";

const GOODS = "2 x SKU-1 at 1000, 1 x SKU-2 at 3000";

/** Each stage adds one step of the shipment's life to the ones before it. */
const LIFE: ReadonlyArray<[string, (world: UnitWorld) => Message]> = [
  [
    "pending",
    () => create(ShipmentCreatedSchema, { orderId: ORDER_ID, status: "pending", items: parseLines(GOODS) }),
  ],
  ["picked", () => create(ItemsPickedSchema, { pickerId: "picker-7" })],
  ["packed", () => create(ItemsPackedSchema, { packerId: "packer-3" })],
  [
    "shipped",
    (w) => {
      const s = shipment.state(w);
      return create(ShippedSchema, {
        carrier: "DHL",
        trackingNumber: "TRACK-1",
        items: s.items,
        orderId: s.orderId,
      });
    },
  ],
  ["delivered", () => create(DeliveredSchema, { signature: "A. Smith" })],
];

defineStages(shipment, {
  "not created": () => {},
  ...Object.fromEntries(
    LIFE.map(([stage], upTo) => [
      stage,
      (w: UnitWorld) => {
        for (const [, next] of LIFE.slice(0, upTo + 1)) w.record(shipment, next(w));
      },
    ]),
  ),
});

When(
  "a shipment is created for order {string} with {string}",
  function (this: UnitWorld, orderId: string, goods: string) {
    this.send(shipment, create(CreateShipmentSchema, { orderId, items: parseLines(goods) }));
  },
);

When("the goods are picked by {string}", function (this: UnitWorld, pickerId: string) {
  this.send(shipment, create(MarkPickedSchema, { pickerId }));
});

When("the goods are packed by {string}", function (this: UnitWorld, packerId: string) {
  this.send(shipment, create(MarkPackedSchema, { packerId }));
});

When(
  "the goods are handed to {string} with tracking number {string}",
  function (this: UnitWorld, carrier: string, trackingNumber: string) {
    this.send(shipment, create(ShipSchema, { carrier, trackingNumber }));
  },
);

When("delivery is signed for by {string}", function (this: UnitWorld, signature: string) {
  this.send(shipment, create(RecordDeliverySchema, { signature }));
});
