import { describe, expect, test } from "bun:test";
import { ReceiveStockSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { givenInventory, initialized, ORDER_A, reserved } from "../fixtures";

const receive = (quantity: number, reference = "PO-7") => create(ReceiveStockSchema, { quantity, reference });

describe("ReceiveStock rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "not initialized",
      given: [],
      command: receive(5),
      code: Code.FailedPrecondition,
      message: "Inventory not initialized",
    },
    {
      condition: "quantity 0",
      given: [initialized()],
      command: receive(0),
      code: Code.InvalidArgument,
      message: "Quantity must be positive",
    },
    {
      condition: "quantity negative",
      given: [initialized()],
      command: receive(-3),
      code: Code.InvalidArgument,
      message: "Quantity must be positive",
    },
    // The first failing rule wins.
    {
      condition: "not initialized, and negative quantity",
      given: [],
      command: receive(-3),
      code: Code.FailedPrecondition,
      message: "Inventory not initialized",
    },
  ];
  for (const row of rows) {
    test(`${row.condition} → ${Code[row.code]} "${row.message}"`, () => {
      const given = givenInventory(...row.given);
      const outcome = given.when(row.command);
      expectExactRejection(outcome, row.code, row.message);
      expect(outcome.state).toEqual(given.state());
    });
  }
});

describe("ReceiveStock", () => {
  test("reports the quantity received and the new on-hand: 50 + 25 → 75", () => {
    const given = givenInventory(initialized(50));
    const outcome = given.when(receive(25, "PO-9"));
    expect(outcome.sequences).toEqual([1]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.StockReceived",
      quantity: 25,
      newOnHand: 75,
      reference: "PO-9",
    });
    expect(outcome.state).toMatchObject({ onHand: 75, reserved: 0 });
    given.expectSnapshotConsistent(outcome);
  });

  test("receiving keeps reservations: 100 on hand, 30 reserved, + 20 → 120 on hand, 30 reserved", () => {
    const given = givenInventory(initialized(100), reserved(ORDER_A, 30, 100, 30));
    const outcome = given.when(receive(20));
    expect(outcome.events[0]).toMatchObject({ newOnHand: 120 });
    expect(outcome.state).toMatchObject({ onHand: 120, reserved: 30, reservations: { [ORDER_A]: 30 } });
    given.expectSnapshotConsistent(outcome);
  });
});
