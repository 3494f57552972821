import { describe, expect, test } from "bun:test";
import { CreateShipmentSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { AT, givenShipment, ITEMS, ORDER_ID } from "../fixtures";

const createShipment = (orderId = ORDER_ID) => create(CreateShipmentSchema, { orderId, items: ITEMS });

describe("CreateShipment rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "shipment exists",
      given: AT.pending(),
      command: createShipment(),
      code: Code.FailedPrecondition,
      message: "Shipment already exists",
    },
    {
      condition: "order_id empty",
      given: [],
      command: createShipment(""),
      code: Code.InvalidArgument,
      message: "Order ID is required",
    },
    // The first failing rule wins.
    {
      condition: "exists, and no order id",
      given: AT.delivered(),
      command: createShipment(""),
      code: Code.FailedPrecondition,
      message: "Shipment already exists",
    },
  ];
  for (const row of rows) {
    test(`${row.condition} → ${Code[row.code]} "${row.message}"`, () => {
      const given = givenShipment(...row.given);
      const outcome = given.when(row.command);
      expectExactRejection(outcome, row.code, row.message);
      expect(outcome.state).toEqual(given.state());
    });
  }
});

describe("CreateShipment", () => {
  test("records the order id and items with status pending", () => {
    const given = givenShipment();
    const outcome = given.when(createShipment());
    expect(outcome.sequences).toEqual([0]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.ShipmentCreated",
      orderId: ORDER_ID,
      status: "pending",
      items: ITEMS,
    });
    expect(outcome.state).toMatchObject({ orderId: ORDER_ID, status: "pending", items: ITEMS });
    given.expectSnapshotConsistent(outcome);
  });

  test("a shipment without items may be created (made by hand)", () => {
    const outcome = givenShipment().when(create(CreateShipmentSchema, { orderId: ORDER_ID }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.state.items).toEqual([]);
  });
});
