// Inventory state and how each event applies to it (example-domains.md §2.5, §1.5). Stock events
// carry the resulting on-hand and reserved counts; applying them assigns those facts.
import {
  type InventoryState,
  LowStockAlertSchema,
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
import { type EventApplier, on } from "@angzarr/sdk";

/** Inventory exists once initialised with a product id. */
export const exists = (state: InventoryState): boolean => state.productId !== "";

/** Units neither reserved nor gone: on_hand − reserved. */
export const available = (state: InventoryState): number => state.onHand - state.reserved;

/** Quantity held for an order, or undefined when it holds no reservation. */
export const reservationOf = (state: InventoryState, orderId: string): number | undefined =>
  Object.hasOwn(state.reservations, orderId) ? state.reservations[orderId] : undefined;

export function applyStockInitialized(state: InventoryState, event: StockInitialized): void {
  state.productId = event.productId;
  state.onHand = event.quantity;
  state.reserved = 0;
  state.lowStockThreshold = event.lowStockThreshold;
  state.reservations = {};
}

export function applyStockReceived(state: InventoryState, event: StockReceived): void {
  state.onHand = event.newOnHand;
}

export function applyStockReserved(state: InventoryState, event: StockReserved): void {
  state.onHand = event.newOnHand;
  state.reserved = event.newReserved;
  state.reservations[event.orderId] = event.quantity;
}

export function applyReservationReleased(state: InventoryState, event: ReservationReleased): void {
  state.onHand = event.newOnHand;
  state.reserved = event.newReserved;
  delete state.reservations[event.orderId];
}

export function applyReservationCommitted(state: InventoryState, event: ReservationCommitted): void {
  state.onHand = event.newOnHand;
  state.reserved = event.newReserved;
  delete state.reservations[event.orderId];
}

export const inventoryAppliers: EventApplier<InventoryState>[] = [
  on(StockInitializedSchema, applyStockInitialized),
  on(StockReceivedSchema, applyStockReceived),
  on(StockReservedSchema, applyStockReserved),
  on(ReservationReleasedSchema, applyReservationReleased),
  on(ReservationCommittedSchema, applyReservationCommitted),
  // A notification for consumers: changes nothing.
  on(LowStockAlertSchema, () => {}),
];
