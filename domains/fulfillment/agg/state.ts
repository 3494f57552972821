// Shipment state and how each event applies to it (example-domains.md §2.6, §1.5).
import {
  type Delivered,
  DeliveredSchema,
  type FulfillmentState,
  type ItemsPacked,
  ItemsPackedSchema,
  type ItemsPicked,
  ItemsPickedSchema,
  type ShipmentCreated,
  ShipmentCreatedSchema,
  type Shipped,
  ShippedSchema,
} from "@angzarr/proto/examples.ts";
import { type EventApplier, on } from "@angzarr/sdk";

/** Status names kept from the reference: `picking` means picked, `packing` means packed. */
export const ShipmentStatus = {
  PENDING: "pending",
  PICKING: "picking",
  PACKING: "packing",
  SHIPPED: "shipped",
  DELIVERED: "delivered",
} as const;

/** A shipment exists once created for an order. */
export const exists = (state: FulfillmentState): boolean => state.orderId !== "";

export function applyShipmentCreated(state: FulfillmentState, event: ShipmentCreated): void {
  state.orderId = event.orderId;
  state.items = event.items;
  state.status = event.status;
}

export function applyItemsPicked(state: FulfillmentState, event: ItemsPicked): void {
  state.pickerId = event.pickerId;
  state.status = ShipmentStatus.PICKING;
}

export function applyItemsPacked(state: FulfillmentState, event: ItemsPacked): void {
  state.packerId = event.packerId;
  state.status = ShipmentStatus.PACKING;
}

export function applyShipped(state: FulfillmentState, event: Shipped): void {
  state.carrier = event.carrier;
  state.trackingNumber = event.trackingNumber;
  state.status = ShipmentStatus.SHIPPED;
}

export function applyDelivered(state: FulfillmentState, event: Delivered): void {
  state.signature = event.signature;
  state.status = ShipmentStatus.DELIVERED;
}

export const fulfillmentAppliers: EventApplier<FulfillmentState>[] = [
  on(ShipmentCreatedSchema, applyShipmentCreated),
  on(ItemsPickedSchema, applyItemsPicked),
  on(ItemsPackedSchema, applyItemsPacked),
  on(ShippedSchema, applyShipped),
  on(DeliveredSchema, applyDelivered),
];
