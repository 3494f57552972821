import { describe, expect, test } from "bun:test";
import { ShipSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { AT, givenShipment, ITEMS, ORDER_ID } from "../fixtures";

const ship = (carrier = "FedEx", trackingNumber = "TRK-42") =>
  create(ShipSchema, { carrier, trackingNumber });

describe("Ship rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "shipment does not exist",
      given: [],
      command: ship(),
      code: Code.FailedPrecondition,
      message: "Shipment does not exist",
    },
    ...(["pending", "picking", "shipped", "delivered"] as const).map((status) => ({
      condition: `status ${status}${status === "shipped" ? " (shipping twice)" : ""}`,
      given: AT[status](),
      command: ship(),
      code: Code.FailedPrecondition,
      message: "Shipment is not packed",
    })),
    {
      condition: "carrier empty",
      given: AT.packing(),
      command: ship(""),
      code: Code.InvalidArgument,
      message: "Carrier is required",
    },
    // The first failing rule wins.
    {
      condition: "not packed, and no carrier",
      given: AT.picking(),
      command: ship(""),
      code: Code.FailedPrecondition,
      message: "Shipment is not packed",
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

describe("Ship", () => {
  test("records carrier and tracking number and copies the items and order id into the event", () => {
    const given = givenShipment(...AT.packing());
    const outcome = given.when(ship());
    expect(outcome.sequences).toEqual([3]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.Shipped",
      carrier: "FedEx",
      trackingNumber: "TRK-42",
      items: ITEMS,
      orderId: ORDER_ID,
    });
    expect(outcome.state).toMatchObject({ status: "shipped", carrier: "FedEx", trackingNumber: "TRK-42" });
    given.expectSnapshotConsistent(outcome);
  });

  test("the tracking number is optional (the process manager ships without one)", () => {
    const outcome = givenShipment(...AT.packing()).when(ship("auto-carrier", ""));
    expect(outcome.error).toBeUndefined();
    expect(outcome.events[0]).toMatchObject({
      carrier: "auto-carrier",
      trackingNumber: "",
      orderId: ORDER_ID,
    });
    expect(outcome.state).toMatchObject({ status: "shipped", trackingNumber: "" });
  });
});
