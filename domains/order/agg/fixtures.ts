// Test fixtures for the order aggregate: prior events with consistent facts, and a spec bound to
// order ORD-001. Used by the unit tests only.
import { Identity } from "@angzarr/proto";
import {
  type LineItem,
  LineItemSchema,
  type LoyaltyDiscountApplied,
  LoyaltyDiscountAppliedSchema,
  type OrderCancelled,
  OrderCancelledSchema,
  type OrderCompleted,
  OrderCompletedSchema,
  type OrderCreated,
  OrderCreatedSchema,
  type PaymentSubmitted,
  PaymentSubmittedSchema,
} from "@angzarr/proto/examples.ts";
import { spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { orderAggregate } from "./aggregate";

export const ORDER_ROOT = Identity.orderRoot("ORD-001");
export const CUSTOMER_ROOT = Identity.customerRoot("alice@example.com");
export const CART_ROOT = Identity.cartRoot("CUST-001");

export const line = (productId: string, quantity: number, unitPriceCents: number): LineItem =>
  create(LineItemSchema, { productId, name: `Name of ${productId}`, quantity, unitPriceCents });

/** 2 × 1000 + 1 × 2500: subtotal 4500. */
export const TWO_LINES = [line("SKU-001", 2, 1000), line("SKU-002", 1, 2500)];
/** 2 × 2500: subtotal 5000. */
export const ONE_LINE_5000 = [line("SKU-003", 2, 2500)];

export const created = (items: LineItem[] = ONE_LINE_5000, subtotalCents = 5000): OrderCreated =>
  create(OrderCreatedSchema, {
    customerId: "CUST-001",
    items,
    subtotalCents,
    customerRoot: CUSTOMER_ROOT,
    cartRoot: CART_ROOT,
  });

export const discounted = (pointsUsed: number, discountCents: number): LoyaltyDiscountApplied =>
  create(LoyaltyDiscountAppliedSchema, { pointsUsed, discountCents });

export const paid = (amountCents = 5000): PaymentSubmitted =>
  create(PaymentSubmittedSchema, { paymentMethod: "card", amountCents });

export const completed = (finalTotalCents = 5000): OrderCompleted =>
  create(OrderCompletedSchema, {
    finalTotalCents,
    paymentMethod: "card",
    paymentReference: "PAY-1",
    loyaltyPointsEarned: Math.floor(finalTotalCents / 100),
    customerRoot: CUSTOMER_ROOT,
    cartRoot: CART_ROOT,
    items: ONE_LINE_5000,
  });

export const cancelled = (): OrderCancelled =>
  create(OrderCancelledSchema, {
    reason: "changed my mind",
    customerRoot: CUSTOMER_ROOT,
    cartRoot: CART_ROOT,
    items: ONE_LINE_5000,
  });

/** A spec for order ORD-001 with the given prior events. */
export const givenOrder = (...events: Message[]) => spec(orderAggregate, ORDER_ROOT).given(...events);
