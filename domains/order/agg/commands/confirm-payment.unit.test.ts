import { describe, expect, test } from "bun:test";
import { ConfirmPaymentSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection, expectRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import {
  CART_ROOT,
  CUSTOMER_ROOT,
  cancelled,
  completed,
  created,
  discounted,
  givenOrder,
  line,
  ONE_LINE_5000,
  paid,
} from "../fixtures";
import { loyaltyPointsFor } from "./confirm-payment";

const confirm = (paymentReference = "PAY-1") => create(ConfirmPaymentSchema, { paymentReference });

describe("ConfirmPayment rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "order does not exist",
      given: [],
      command: confirm(),
      code: Code.FailedPrecondition,
      message: "Order does not exist",
    },
    {
      condition: "completed",
      given: [created(), paid(), completed()],
      command: confirm(),
      code: Code.FailedPrecondition,
      message: "Order is already completed",
    },
    {
      condition: "cancelled",
      given: [created(), cancelled()],
      command: confirm(),
      code: Code.FailedPrecondition,
      message: "Order is already cancelled",
    },
    {
      condition: "pending (unpaid)",
      given: [created()],
      command: confirm(),
      code: Code.FailedPrecondition,
      message: "Payment not submitted: order not paid",
    },
    {
      condition: "payment_reference empty",
      given: [created(), paid()],
      command: confirm(""),
      code: Code.InvalidArgument,
      message: "Payment reference is required",
    },
    // The first failing rule wins.
    {
      condition: "pending, and no reference",
      given: [created()],
      command: confirm(""),
      code: Code.FailedPrecondition,
      message: "Payment not submitted: order not paid",
    },
    {
      condition: "paid then cancelled",
      given: [created(), paid(), cancelled()],
      command: confirm(),
      code: Code.FailedPrecondition,
      message: "Order is already cancelled",
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

  test("confirming an unpaid order matches both 'payment not submitted' and 'not paid'", () => {
    const outcome = givenOrder(created()).when(confirm());
    expectRejection(outcome, Code.FailedPrecondition, "payment not submitted");
    expectRejection(outcome, Code.FailedPrecondition, "not paid");
  });
});

describe("ConfirmPayment", () => {
  test("completes the order: final total 5000, 50 points, items, customer root and cart root", () => {
    const given = givenOrder(created(), paid(5000));
    const outcome = given.when(confirm("PAY-42"));
    expect(outcome.sequences).toEqual([2]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.OrderCompleted",
      finalTotalCents: 5000,
      paymentMethod: "card",
      paymentReference: "PAY-42",
      loyaltyPointsEarned: 50,
      customerRoot: CUSTOMER_ROOT,
      cartRoot: CART_ROOT,
      items: ONE_LINE_5000,
    });
    expect(outcome.state).toMatchObject({ status: "completed", paymentReference: "PAY-42" });
    given.expectSnapshotConsistent(outcome);
  });

  test("the final total is subtotal − discount: 5000 − 1 = 4999 earns 49 points", () => {
    const outcome = givenOrder(created(), discounted(1, 1), paid(4999)).when(confirm());
    expect(outcome.events[0]).toMatchObject({ finalTotalCents: 4999, loyaltyPointsEarned: 49 });
  });

  test("a total of 99 earns 0 points", () => {
    const outcome = givenOrder(created([line("SKU-CHEAP", 1, 99)], 99), paid(99)).when(confirm());
    expect(outcome.events[0]).toMatchObject({ finalTotalCents: 99, loyaltyPointsEarned: 0 });
  });

  test.each([
    [5000, 50],
    [4999, 49],
    [100, 1],
    [99, 0],
    [0, 0],
  ])("points for a total of %i are %i (integer division by 100)", (totalCents, points) => {
    expect(loyaltyPointsFor(totalCents)).toBe(points);
  });
});
