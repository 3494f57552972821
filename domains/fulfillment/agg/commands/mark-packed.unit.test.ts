import { describe, expect, test } from "bun:test";
import { MarkPackedSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { AT, givenShipment } from "../fixtures";

const markPacked = (packerId = "packer-7") => create(MarkPackedSchema, { packerId });

describe("MarkPacked rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "shipment does not exist",
      given: [],
      command: markPacked(),
      code: Code.FailedPrecondition,
      message: "Shipment does not exist",
    },
    ...(["pending", "packing", "shipped", "delivered"] as const).map((status) => ({
      condition: `status ${status}${status === "pending" ? " (before picking)" : status === "packing" ? " (packing twice)" : ""}`,
      given: AT[status](),
      command: markPacked(),
      code: Code.FailedPrecondition,
      message: "Shipment is not picked",
    })),
    {
      condition: "packer_id empty",
      given: AT.picking(),
      command: markPacked(""),
      code: Code.InvalidArgument,
      message: "Packer ID is required",
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

describe("MarkPacked", () => {
  test("records the packer; status packing", () => {
    const given = givenShipment(...AT.picking());
    const outcome = given.when(markPacked());
    expect(outcome.sequences).toEqual([2]);
    expect(outcome.events[0]).toMatchObject({ $typeName: "examples.ItemsPacked", packerId: "packer-7" });
    expect(outcome.state).toMatchObject({ status: "packing", packerId: "packer-7", pickerId: "picker-1" });
    given.expectSnapshotConsistent(outcome);
  });
});
