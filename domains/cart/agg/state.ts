// How each cart event applies to CartState. Events carry facts, so applying assigns them.
import {
  type CartCheckedOut,
  CartCheckedOutSchema,
  type CartCleared,
  CartClearedSchema,
  type CartCreated,
  CartCreatedSchema,
  CartItemSchema,
  type CartState,
  type CouponApplied,
  CouponAppliedSchema,
  type ItemAdded,
  ItemAddedSchema,
  type ItemRemoved,
  ItemRemovedSchema,
  type QuantityUpdated,
  QuantityUpdatedSchema,
} from "@angzarr/proto/examples.ts";
import { on } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";

export const STATUS_ACTIVE = "active";
export const STATUS_CHECKED_OUT = "checked_out";

/** A cart exists once it has been created for a customer. */
export const exists = (state: CartState): boolean => state.customerId !== "";

export function applyCartCreated(state: CartState, event: CartCreated): void {
  state.customerId = event.customerId;
  state.status = STATUS_ACTIVE;
  state.items = [];
  state.subtotalCents = 0;
  state.couponCode = "";
  state.discountCents = 0;
}

/** Replaces the product's line (keeping its position) or appends it; the event's values win. */
export function applyItemAdded(state: CartState, event: ItemAdded): void {
  const line = create(CartItemSchema, {
    productId: event.productId,
    name: event.name,
    quantity: event.quantity,
    unitPriceCents: event.unitPriceCents,
  });
  const index = state.items.findIndex((item) => item.productId === event.productId);
  if (index >= 0) state.items[index] = line;
  else state.items.push(line);
  state.subtotalCents = event.newSubtotal;
}

export function applyQuantityUpdated(state: CartState, event: QuantityUpdated): void {
  for (const item of state.items) {
    if (item.productId === event.productId) item.quantity = event.newQuantity;
  }
  state.subtotalCents = event.newSubtotal;
}

export function applyItemRemoved(state: CartState, event: ItemRemoved): void {
  state.items = state.items.filter((item) => item.productId !== event.productId);
  state.subtotalCents = event.newSubtotal;
}

export function applyCouponApplied(state: CartState, event: CouponApplied): void {
  state.couponCode = event.couponCode;
  state.discountCents = event.discountCents;
}

export function applyCartCleared(state: CartState, event: CartCleared): void {
  state.items = [];
  state.subtotalCents = event.newSubtotal;
  state.couponCode = "";
  state.discountCents = 0;
}

export function applyCartCheckedOut(state: CartState, _event: CartCheckedOut): void {
  state.status = STATUS_CHECKED_OUT;
}

export const cartEvents = [
  on(CartCreatedSchema, applyCartCreated),
  on(ItemAddedSchema, applyItemAdded),
  on(QuantityUpdatedSchema, applyQuantityUpdated),
  on(ItemRemovedSchema, applyItemRemoved),
  on(CouponAppliedSchema, applyCouponApplied),
  on(CartClearedSchema, applyCartCleared),
  on(CartCheckedOutSchema, applyCartCheckedOut),
];
