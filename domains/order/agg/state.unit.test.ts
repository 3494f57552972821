// Rebuild (§6.5 last line) and the facts-not-deltas rule (§1.5).
import { describe, expect, test } from "bun:test";
import {
  CART_ROOT,
  CUSTOMER_ROOT,
  cancelled,
  completed,
  created,
  discounted,
  givenOrder,
  paid,
  TWO_LINES,
} from "./fixtures";

describe("order rebuild", () => {
  test("created: pending with customer, items, subtotal and roots", () => {
    expect(givenOrder(created(TWO_LINES, 4500)).state()).toMatchObject({
      customerId: "CUST-001",
      items: TWO_LINES,
      subtotalCents: 4500,
      discountCents: 0,
      loyaltyPointsUsed: 0,
      status: "pending",
      customerRoot: CUSTOMER_ROOT,
      cartRoot: CART_ROOT,
    });
  });

  test("discounted: points used and discount", () => {
    expect(givenOrder(created(), discounted(200, 200)).state()).toMatchObject({
      subtotalCents: 5000,
      loyaltyPointsUsed: 200,
      discountCents: 200,
      status: "pending",
    });
  });

  test("paid: payment method and payment_submitted", () => {
    expect(givenOrder(created(), paid()).state()).toMatchObject({
      paymentMethod: "card",
      status: "payment_submitted",
    });
  });

  test("completed: payment reference and completed", () => {
    expect(givenOrder(created(), paid(), completed()).state()).toMatchObject({
      paymentMethod: "card",
      paymentReference: "PAY-1",
      status: "completed",
    });
  });

  test("cancelled", () => {
    expect(givenOrder(created(), discounted(200, 200), cancelled()).state()).toMatchObject({
      status: "cancelled",
      loyaltyPointsUsed: 200,
    });
  });

  test("events assign facts: a second discount event replaces the first, never adds", () => {
    expect(givenOrder(created(), discounted(200, 200), discounted(50, 75)).state()).toMatchObject({
      loyaltyPointsUsed: 50,
      discountCents: 75,
    });
  });

  test("no events: the order does not exist (empty customer id)", () => {
    expect(givenOrder().state().customerId).toBe("");
  });
});
