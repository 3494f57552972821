import { describe, expect, test } from "bun:test";
import { MarkPickedSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { AT, givenShipment } from "../fixtures";

const markPicked = (pickerId = "picker-7") => create(MarkPickedSchema, { pickerId });

describe("MarkPicked rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "shipment does not exist",
      given: [],
      command: markPicked(),
      code: Code.FailedPrecondition,
      message: "Shipment does not exist",
    },
    ...(["picking", "packing", "shipped", "delivered"] as const).map((status) => ({
      condition: `status ${status}`,
      given: AT[status](),
      command: markPicked(),
      code: Code.FailedPrecondition,
      message: "Shipment is not pending",
    })),
    {
      condition: "picker_id empty",
      given: AT.pending(),
      command: markPicked(""),
      code: Code.InvalidArgument,
      message: "Picker ID is required",
    },
    // The first failing rule wins.
    {
      condition: "not pending, and no picker",
      given: AT.picking(),
      command: markPicked(""),
      code: Code.FailedPrecondition,
      message: "Shipment is not pending",
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

describe("MarkPicked", () => {
  test("records the picker; status picking", () => {
    const given = givenShipment(...AT.pending());
    const outcome = given.when(markPicked());
    expect(outcome.sequences).toEqual([1]);
    expect(outcome.events[0]).toMatchObject({ $typeName: "examples.ItemsPicked", pickerId: "picker-7" });
    expect(outcome.state).toMatchObject({ status: "picking", pickerId: "picker-7" });
    given.expectSnapshotConsistent(outcome);
  });
});
