// Test fixtures for the fulfillment aggregate: prior events and a spec bound to the shipment of
// order ORD-001 (same root bytes as the order). Used by the unit tests only.
import { Identity, Uuid } from "@angzarr/proto";
import {
  type Delivered,
  DeliveredSchema,
  type ItemsPacked,
  ItemsPackedSchema,
  type ItemsPicked,
  ItemsPickedSchema,
  type LineItem,
  LineItemSchema,
  type ShipmentCreated,
  ShipmentCreatedSchema,
  type Shipped,
  ShippedSchema,
} from "@angzarr/proto/examples.ts";
import { spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { fulfillmentAggregate } from "./aggregate";

export const ORDER_ROOT = Identity.orderRoot("ORD-001");
export const SHIPMENT_ROOT = Identity.fulfillmentRoot(ORDER_ROOT);
export const ORDER_ID = Uuid.toText(ORDER_ROOT);

export const ITEMS: LineItem[] = [
  create(LineItemSchema, { productId: "SKU-001", name: "Widget", quantity: 2, unitPriceCents: 1000 }),
  create(LineItemSchema, { productId: "SKU-002", name: "Gadget", quantity: 1, unitPriceCents: 2500 }),
];

export const shipmentCreated = (): ShipmentCreated =>
  create(ShipmentCreatedSchema, { orderId: ORDER_ID, status: "pending", items: ITEMS });
export const picked = (pickerId = "picker-1"): ItemsPicked => create(ItemsPickedSchema, { pickerId });
export const packed = (packerId = "packer-1"): ItemsPacked => create(ItemsPackedSchema, { packerId });
export const shipped = (carrier = "UPS", trackingNumber = "1Z999"): Shipped =>
  create(ShippedSchema, { carrier, trackingNumber, items: ITEMS, orderId: ORDER_ID });
export const delivered = (signature = "J. Doe"): Delivered => create(DeliveredSchema, { signature });

/** Histories at each status. */
export const AT = {
  pending: (): Message[] => [shipmentCreated()],
  picking: (): Message[] => [shipmentCreated(), picked()],
  packing: (): Message[] => [shipmentCreated(), picked(), packed()],
  shipped: (): Message[] => [shipmentCreated(), picked(), packed(), shipped()],
  delivered: (): Message[] => [shipmentCreated(), picked(), packed(), shipped(), delivered()],
};

/** A spec for the shipment of ORD-001 with the given prior events. */
export const givenShipment = (...events: Message[]) =>
  spec(fulfillmentAggregate, SHIPMENT_ROOT).given(...events);
