import { describe, expect, test } from "bun:test";
import { InitializeStockSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { givenInventory, initialized } from "../fixtures";

const initialize = (quantity = 100, lowStockThreshold = 10, productId = "SKU-001") =>
  create(InitializeStockSchema, { productId, quantity, lowStockThreshold });

describe("InitializeStock rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "already initialized",
      given: [initialized()],
      command: initialize(),
      code: Code.FailedPrecondition,
      message: "Inventory already initialized",
    },
    {
      condition: "product_id empty",
      given: [],
      command: initialize(100, 10, ""),
      code: Code.InvalidArgument,
      message: "Product ID is required",
    },
    {
      condition: "quantity negative",
      given: [],
      command: initialize(-1),
      code: Code.InvalidArgument,
      message: "Quantity cannot be negative",
    },
    {
      condition: "threshold negative",
      given: [],
      command: initialize(100, -1),
      code: Code.InvalidArgument,
      message: "Low stock threshold cannot be negative",
    },
    // The first failing rule wins.
    {
      condition: "initialized, and negative quantity",
      given: [initialized()],
      command: initialize(-1),
      code: Code.FailedPrecondition,
      message: "Inventory already initialized",
    },
    {
      condition: "negative quantity and negative threshold",
      given: [],
      command: initialize(-1, -1),
      code: Code.InvalidArgument,
      message: "Quantity cannot be negative",
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

describe("InitializeStock", () => {
  test("records product, quantity and threshold; nothing reserved", () => {
    const given = givenInventory();
    const outcome = given.when(initialize(100, 10));
    expect(outcome.sequences).toEqual([0]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.StockInitialized",
      productId: "SKU-001",
      quantity: 100,
      lowStockThreshold: 10,
    });
    expect(outcome.state).toMatchObject({
      productId: "SKU-001",
      onHand: 100,
      reserved: 0,
      lowStockThreshold: 10,
      reservations: {},
    });
    given.expectSnapshotConsistent(outcome);
  });

  test("0 units and threshold 0 are accepted", () => {
    const outcome = givenInventory().when(initialize(0, 0));
    expect(outcome.error).toBeUndefined();
    expect(outcome.state).toMatchObject({ productId: "SKU-001", onHand: 0, lowStockThreshold: 0 });
  });
});
