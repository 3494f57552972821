import { describe, expect, test } from "bun:test";
import { ApplyLoyaltyDiscountSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { cancelled, completed, created, discounted, givenOrder, paid } from "../fixtures";

const discount = (points: number, discountCents: number) =>
  create(ApplyLoyaltyDiscountSchema, { points, discountCents });

describe("ApplyLoyaltyDiscount rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "order does not exist",
      given: [],
      command: discount(200, 200),
      code: Code.FailedPrecondition,
      message: "Order does not exist",
    },
    {
      condition: "cancelled",
      given: [created(), cancelled()],
      command: discount(200, 200),
      code: Code.FailedPrecondition,
      message: "Order is already cancelled",
    },
    {
      condition: "completed",
      given: [created(), paid(), completed()],
      command: discount(200, 200),
      code: Code.FailedPrecondition,
      message: "Order is already completed",
    },
    {
      condition: "payment submitted",
      given: [created(), paid()],
      command: discount(200, 200),
      code: Code.FailedPrecondition,
      message: "Payment already submitted",
    },
    {
      condition: "a discount already applied",
      given: [created(), discounted(200, 200)],
      command: discount(100, 100),
      code: Code.FailedPrecondition,
      message: "Loyalty discount already applied",
    },
    {
      condition: "points 0",
      given: [created()],
      command: discount(0, 200),
      code: Code.InvalidArgument,
      message: "Points must be positive",
    },
    {
      condition: "points negative",
      given: [created()],
      command: discount(-1, 200),
      code: Code.InvalidArgument,
      message: "Points must be positive",
    },
    {
      condition: "discount 0",
      given: [created()],
      command: discount(200, 0),
      code: Code.InvalidArgument,
      message: "Discount must be positive",
    },
    {
      condition: "discount negative",
      given: [created()],
      command: discount(200, -5),
      code: Code.InvalidArgument,
      message: "Discount must be positive",
    },
    {
      condition: "discount above the subtotal (5001 > 5000)",
      given: [created()],
      command: discount(5001, 5001),
      code: Code.InvalidArgument,
      message: "Discount cannot exceed subtotal",
    },
    // The first failing rule wins.
    {
      condition: "paid, and invalid points",
      given: [created(), paid()],
      command: discount(0, 0),
      code: Code.FailedPrecondition,
      message: "Payment already submitted",
    },
    {
      condition: "already applied, and above the subtotal",
      given: [created(), discounted(1, 1)],
      command: discount(9999, 9999),
      code: Code.FailedPrecondition,
      message: "Loyalty discount already applied",
    },
  ];
  for (const row of rows) {
    test(`${row.condition} → ${Code[row.code]} "${row.message}"`, () => {
      const given = givenOrder(...row.given);
      const outcome = given.when(row.command);
      expectExactRejection(outcome, row.code, row.message);
      expect(outcome.state).toEqual(given.state());
    });
  }
});

describe("ApplyLoyaltyDiscount", () => {
  test("records 200 points worth 200 cents", () => {
    const given = givenOrder(created());
    const outcome = given.when(discount(200, 200));
    expect(outcome.sequences).toEqual([1]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.LoyaltyDiscountApplied",
      pointsUsed: 200,
      discountCents: 200,
    });
    expect(outcome.state).toMatchObject({
      loyaltyPointsUsed: 200,
      discountCents: 200,
      subtotalCents: 5000,
      status: "pending",
    });
    given.expectSnapshotConsistent(outcome);
  });

  test("a discount equal to the subtotal is allowed", () => {
    const outcome = givenOrder(created()).when(discount(5000, 5000));
    expect(outcome.error).toBeUndefined();
    expect(outcome.state.discountCents).toBe(5000);
  });
});
