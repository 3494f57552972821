import { describe, expect, test } from "bun:test";
import { CancelOrderSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import {
  CART_ROOT,
  CUSTOMER_ROOT,
  cancelled,
  completed,
  created,
  discounted,
  givenOrder,
  ONE_LINE_5000,
  paid,
} from "../fixtures";

const cancel = (reason = "customer request") => create(CancelOrderSchema, { reason });

describe("CancelOrder rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "order does not exist",
      given: [],
      command: cancel(),
      code: Code.FailedPrecondition,
      message: "Order does not exist",
    },
    {
      condition: "completed",
      given: [created(), paid(), completed()],
      command: cancel(),
      code: Code.FailedPrecondition,
      message: "Order is already completed",
    },
    {
      condition: "cancelled (twice)",
      given: [created(), cancelled()],
      command: cancel(),
      code: Code.FailedPrecondition,
      message: "Order is already cancelled",
    },
    {
      condition: "reason empty",
      given: [created()],
      command: cancel(""),
      code: Code.InvalidArgument,
      message: "Cancellation reason is required",
    },
    // The first failing rule wins.
    {
      condition: "completed, and no reason",
      given: [created(), paid(), completed()],
      command: cancel(""),
      code: Code.FailedPrecondition,
      message: "Order is already completed",
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

describe("CancelOrder", () => {
  test("a pending order is cancelled; the event carries reason, points used, items and roots", () => {
    const given = givenOrder(created(), discounted(200, 200));
    const outcome = given.when(cancel("out of stock"));
    expect(outcome.sequences).toEqual([2]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.OrderCancelled",
      reason: "out of stock",
      loyaltyPointsUsed: 200,
      customerRoot: CUSTOMER_ROOT,
      cartRoot: CART_ROOT,
      items: ONE_LINE_5000,
    });
    expect(outcome.state.status).toBe("cancelled");
    given.expectSnapshotConsistent(outcome);
  });

  test("an order with a submitted payment can be cancelled", () => {
    const given = givenOrder(created(), paid());
    const outcome = given.when(cancel());
    expect(outcome.error).toBeUndefined();
    expect(outcome.events[0]).toMatchObject({ reason: "customer request", loyaltyPointsUsed: 0 });
    expect(outcome.state).toMatchObject({ status: "cancelled", paymentMethod: "card" });
    given.expectSnapshotConsistent(outcome);
  });
});
