import { describe, expect, test } from "bun:test";
import { SubmitPaymentSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { cancelled, completed, created, discounted, givenOrder, paid } from "../fixtures";

const pay = (amountCents: number, paymentMethod = "card") =>
  create(SubmitPaymentSchema, { paymentMethod, amountCents });

describe("SubmitPayment rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "order does not exist",
      given: [],
      command: pay(5000),
      code: Code.FailedPrecondition,
      message: "Order does not exist",
    },
    {
      condition: "cancelled",
      given: [created(), cancelled()],
      command: pay(5000),
      code: Code.FailedPrecondition,
      message: "Order is already cancelled",
    },
    {
      condition: "payment submitted (paying twice)",
      given: [created(), paid()],
      command: pay(5000),
      code: Code.FailedPrecondition,
      message: "Payment already submitted",
    },
    {
      condition: "completed",
      given: [created(), paid(), completed()],
      command: pay(5000),
      code: Code.FailedPrecondition,
      message: "Payment already submitted",
    },
    {
      condition: "payment_method empty",
      given: [created()],
      command: pay(5000, ""),
      code: Code.InvalidArgument,
      message: "Payment method is required",
    },
    {
      condition: "amount below the total",
      given: [created()],
      command: pay(4999),
      code: Code.InvalidArgument,
      message: "Payment amount does not match order total: expected 5000, got 4999",
    },
    {
      condition: "the undiscounted amount after a 500 discount",
      given: [created(), discounted(500, 500)],
      command: pay(5000),
      code: Code.InvalidArgument,
      message: "Payment amount does not match order total: expected 4500, got 5000",
    },
    // The first failing rule wins.
    {
      condition: "cancelled after payment",
      given: [created(), paid(), cancelled()],
      command: pay(5000),
      code: Code.FailedPrecondition,
      message: "Order is already cancelled",
    },
    {
      condition: "no method and wrong amount",
      given: [created()],
      command: pay(1, ""),
      code: Code.InvalidArgument,
      message: "Payment method is required",
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

  test("the amount mismatch message contains 'amount'", () => {
    const outcome = givenOrder(created()).when(pay(1));
    expect(outcome.error?.rawMessage.toLowerCase()).toContain("amount");
  });
});

describe("SubmitPayment", () => {
  test("paying exactly the total (5000 of 5000) succeeds", () => {
    const given = givenOrder(created());
    const outcome = given.when(pay(5000));
    expect(outcome.sequences).toEqual([1]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.PaymentSubmitted",
      paymentMethod: "card",
      amountCents: 5000,
    });
    expect(outcome.state).toMatchObject({ status: "payment_submitted", paymentMethod: "card" });
    given.expectSnapshotConsistent(outcome);
  });

  test("the total reflects the discount: 5000 − 500 = 4500", () => {
    const given = givenOrder(created(), discounted(500, 500));
    const outcome = given.when(pay(4500));
    expect(outcome.error).toBeUndefined();
    expect(outcome.sequences).toEqual([2]);
    expect(outcome.events[0]).toMatchObject({ amountCents: 4500 });
    given.expectSnapshotConsistent(outcome);
  });
});
