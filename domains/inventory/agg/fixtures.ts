// Test fixtures for the inventory aggregate: prior events carrying consistent facts (§1.5), and a
// spec bound to product SKU-001. Used by the unit tests only.
import { Identity, Uuid } from "@angzarr/proto";
import {
  type ReservationCommitted,
  ReservationCommittedSchema,
  type ReservationReleased,
  ReservationReleasedSchema,
  type StockInitialized,
  StockInitializedSchema,
  type StockReceived,
  StockReceivedSchema,
  type StockReserved,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { inventoryAggregate } from "./aggregate";

export const PRODUCT_ID = "SKU-001";
export const INVENTORY_ROOT = Identity.inventoryRoot(PRODUCT_ID);
export const ORDER_A = Uuid.toText(Identity.orderRoot("ORD-001"));
export const ORDER_B = Uuid.toText(Identity.orderRoot("ORD-002"));

export const initialized = (quantity = 100, lowStockThreshold = 0): StockInitialized =>
  create(StockInitializedSchema, { productId: PRODUCT_ID, quantity, lowStockThreshold });

export const received = (quantity: number, newOnHand: number): StockReceived =>
  create(StockReceivedSchema, { quantity, newOnHand, reference: "PO-1" });

/** A reservation with its facts; new_available = new_on_hand − new_reserved. */
export const reserved = (
  orderId: string,
  quantity: number,
  newOnHand: number,
  newReserved: number,
): StockReserved =>
  create(StockReservedSchema, {
    quantity,
    orderId,
    newAvailable: newOnHand - newReserved,
    newReserved,
    newOnHand,
  });

export const released = (
  orderId: string,
  quantity: number,
  newOnHand: number,
  newReserved: number,
): ReservationReleased =>
  create(ReservationReleasedSchema, {
    orderId,
    quantity,
    newAvailable: newOnHand - newReserved,
    newReserved,
    newOnHand,
  });

export const committed = (
  orderId: string,
  quantity: number,
  newOnHand: number,
  newReserved: number,
): ReservationCommitted => create(ReservationCommittedSchema, { orderId, quantity, newOnHand, newReserved });

/** A spec for product SKU-001's inventory with the given prior events. */
export const givenInventory = (...events: Message[]) =>
  spec(inventoryAggregate, INVENTORY_ROOT).given(...events);
