import { describe, expect, test } from "bun:test";
import { ReserveStockSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { givenInventory, initialized, ORDER_A, ORDER_B, received, reserved } from "../fixtures";

const reserve = (quantity: number, orderId = ORDER_A) => create(ReserveStockSchema, { quantity, orderId });

describe("ReserveStock rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "not initialized",
      given: [],
      command: reserve(5),
      code: Code.FailedPrecondition,
      message: "Inventory not initialized",
    },
    {
      condition: "quantity 0",
      given: [initialized()],
      command: reserve(0),
      code: Code.InvalidArgument,
      message: "Quantity must be positive",
    },
    {
      condition: "quantity negative",
      given: [initialized()],
      command: reserve(-1),
      code: Code.InvalidArgument,
      message: "Quantity must be positive",
    },
    {
      condition: "order_id empty",
      given: [initialized()],
      command: reserve(5, ""),
      code: Code.InvalidArgument,
      message: "Order ID is required",
    },
    {
      condition: "a reservation for the order exists",
      given: [initialized(), reserved(ORDER_A, 10, 100, 10)],
      command: reserve(5),
      code: Code.FailedPrecondition,
      message: "Reservation already exists for this order",
    },
    {
      condition: "quantity above available (100 − 20 held = 80 < 81)",
      given: [initialized(), reserved(ORDER_B, 20, 100, 20)],
      command: reserve(81),
      code: Code.FailedPrecondition,
      message: "Insufficient available stock: have 80, need 81",
    },
    // The first failing rule wins.
    {
      condition: "duplicate and insufficient: duplicate wins",
      given: [initialized(10), reserved(ORDER_A, 10, 10, 10)],
      command: reserve(50),
      code: Code.FailedPrecondition,
      message: "Reservation already exists for this order",
    },
    {
      condition: "quantity 0 and no order id",
      given: [initialized()],
      command: reserve(0, ""),
      code: Code.InvalidArgument,
      message: "Quantity must be positive",
    },
  ];
  for (const row of rows) {
    test(`${row.condition} → ${Code[row.code]} "${row.message}"`, () => {
      const given = givenInventory(...row.given);
      const outcome = given.when(row.command);
      expectExactRejection(outcome, row.code, row.message);
      expect(outcome.events).toEqual([]);
      expect(outcome.state).toEqual(given.state());
    });
  }
});

describe("ReserveStock", () => {
  test("reports quantity, order id and the facts: 100 − 10 → 90 available, 10 reserved, 100 on hand", () => {
    const given = givenInventory(initialized(100));
    const outcome = given.when(reserve(10));
    expect(outcome.sequences).toEqual([1]);
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.StockReserved",
      quantity: 10,
      orderId: ORDER_A,
      newAvailable: 90,
      newReserved: 10,
      newOnHand: 100,
    });
    expect(outcome.state).toMatchObject({ onHand: 100, reserved: 10, reservations: { [ORDER_A]: 10 } });
    given.expectSnapshotConsistent(outcome);
  });

  test("reservations for different orders stack: 20 held, reserve 30 of 100 → 50 available", () => {
    const given = givenInventory(initialized(100), reserved(ORDER_B, 20, 100, 20));
    const outcome = given.when(reserve(30));
    expect(outcome.events[0]).toMatchObject({ newAvailable: 50, newReserved: 50, newOnHand: 100 });
    expect(outcome.state).toMatchObject({ reserved: 50, reservations: { [ORDER_A]: 30, [ORDER_B]: 20 } });
    given.expectSnapshotConsistent(outcome);
  });

  test("reserving exactly the available stock succeeds (80 of 80)", () => {
    const outcome = givenInventory(initialized(100), reserved(ORDER_B, 20, 100, 20)).when(reserve(80));
    expect(outcome.error).toBeUndefined();
    expect(outcome.events[0]).toMatchObject({ newAvailable: 0, newReserved: 100 });
  });

  test("available counts received stock: 50 + 30 received, reserve 80 → 0 available", () => {
    const outcome = givenInventory(initialized(50), received(30, 80)).when(reserve(80));
    expect(outcome.events[0]).toMatchObject({ newAvailable: 0, newReserved: 80, newOnHand: 80 });
  });
});

describe("LowStockAlert", () => {
  test("20 units, threshold 10, reserve 15 → 5 available: the alert is a second event at the next sequence", () => {
    const given = givenInventory(initialized(20, 10));
    const outcome = given.when(reserve(15));
    expect(outcome.sequences).toEqual([1, 2]);
    expect(outcome.events).toHaveLength(2);
    expect(outcome.events[0]).toMatchObject({ $typeName: "examples.StockReserved", newAvailable: 5 });
    expect(outcome.events[1]).toMatchObject({
      $typeName: "examples.LowStockAlert",
      productId: "SKU-001",
      available: 5,
      threshold: 10,
    });
    expect(outcome.state).toMatchObject({ onHand: 20, reserved: 15, lowStockThreshold: 10 });
    given.expectSnapshotConsistent(outcome);
  });

  test("an alert follows every reservation that stays below the threshold, not only the first crossing", () => {
    const given = givenInventory(initialized(20, 10), reserved(ORDER_B, 15, 20, 15));
    const outcome = given.when(reserve(1));
    expect(outcome.sequences).toEqual([2, 3]);
    expect(outcome.events[1]).toMatchObject({
      $typeName: "examples.LowStockAlert",
      available: 4,
      threshold: 10,
    });
  });

  test("no alert when the threshold is 0", () => {
    const outcome = givenInventory(initialized(20, 0)).when(reserve(15));
    expect(outcome.events).toHaveLength(1);
    expect(outcome.sequences).toEqual([1]);
  });

  test("no alert when available stays at the threshold (20 − 10 = 10, threshold 10)", () => {
    const outcome = givenInventory(initialized(20, 10)).when(reserve(10));
    expect(outcome.events.map((e) => e.$typeName)).toEqual(["examples.StockReserved"]);
  });

  test("no alert when available stays above the threshold", () => {
    const outcome = givenInventory(initialized(100, 10)).when(reserve(15));
    expect(outcome.events.map((e) => e.$typeName)).toEqual(["examples.StockReserved"]);
  });

  test("the alert changes no state: the snapshot equals the state after the reservation alone", () => {
    const outcome = givenInventory(initialized(20, 10)).when(reserve(15));
    const reservationOnly = givenInventory(initialized(20, 10), reserved(ORDER_A, 15, 20, 15));
    expect(outcome.state).toEqual(reservationOnly.state());
  });
});
