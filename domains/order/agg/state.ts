// Order state and how each event applies to it (example-domains.md §2.4, §1.5). Events carry
// facts: applying one assigns values, it never adds to them.
import {
  type LoyaltyDiscountApplied,
  LoyaltyDiscountAppliedSchema,
  type OrderCancelled,
  OrderCancelledSchema,
  type OrderCompleted,
  OrderCompletedSchema,
  type OrderCreated,
  OrderCreatedSchema,
  type OrderState,
  type PaymentSubmitted,
  PaymentSubmittedSchema,
} from "@angzarr/proto/examples.ts";
import { type EventApplier, on } from "@angzarr/sdk";

export const OrderStatus = {
  PENDING: "pending",
  PAYMENT_SUBMITTED: "payment_submitted",
  COMPLETED: "completed",
  CANCELLED: "cancelled",
} as const;

/** An order exists once it has a customer (CreateOrder requires one). */
export const exists = (state: OrderState): boolean => state.customerId !== "";

/** Amount to pay: subtotal less the loyalty discount. */
export const total = (state: OrderState): number => state.subtotalCents - state.discountCents;

export function applyOrderCreated(state: OrderState, event: OrderCreated): void {
  state.customerId = event.customerId;
  state.items = event.items;
  state.subtotalCents = event.subtotalCents;
  state.customerRoot = event.customerRoot;
  state.cartRoot = event.cartRoot;
  state.discountCents = 0;
  state.loyaltyPointsUsed = 0;
  state.status = OrderStatus.PENDING;
}

export function applyLoyaltyDiscountApplied(state: OrderState, event: LoyaltyDiscountApplied): void {
  state.loyaltyPointsUsed = event.pointsUsed;
  state.discountCents = event.discountCents;
}

export function applyPaymentSubmitted(state: OrderState, event: PaymentSubmitted): void {
  state.paymentMethod = event.paymentMethod;
  state.status = OrderStatus.PAYMENT_SUBMITTED;
}

export function applyOrderCompleted(state: OrderState, event: OrderCompleted): void {
  state.paymentReference = event.paymentReference;
  state.status = OrderStatus.COMPLETED;
}

export function applyOrderCancelled(state: OrderState, _event: OrderCancelled): void {
  state.status = OrderStatus.CANCELLED;
}

export const orderAppliers: EventApplier<OrderState>[] = [
  on(OrderCreatedSchema, applyOrderCreated),
  on(LoyaltyDiscountAppliedSchema, applyLoyaltyDiscountApplied),
  on(PaymentSubmittedSchema, applyPaymentSubmitted),
  on(OrderCompletedSchema, applyOrderCompleted),
  on(OrderCancelledSchema, applyOrderCancelled),
];
