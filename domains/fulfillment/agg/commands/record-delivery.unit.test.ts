import { describe, expect, test } from "bun:test";
import { RecordDeliverySchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { AT, givenShipment } from "../fixtures";

const deliver = (signature = "A. Smith") => create(RecordDeliverySchema, { signature });

describe("RecordDelivery rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "shipment does not exist",
      given: [],
      command: deliver(),
      code: Code.FailedPrecondition,
      message: "Shipment does not exist",
    },
    {
      condition: "already delivered (checked before 'not shipped')",
      given: AT.delivered(),
      command: deliver(),
      code: Code.FailedPrecondition,
      message: "Shipment is already delivered",
    },
    ...(["pending", "picking", "packing"] as const).map((status) => ({
      condition: `status ${status}`,
      given: AT[status](),
      command: deliver(),
      code: Code.FailedPrecondition,
      message: "Shipment is not shipped",
    })),
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

describe("RecordDelivery", () => {
  test("records the signature; status delivered", () => {
    const given = givenShipment(...AT.shipped());
    const outcome = given.when(deliver());
    expect(outcome.sequences).toEqual([4]);
    expect(outcome.events[0]).toMatchObject({ $typeName: "examples.Delivered", signature: "A. Smith" });
    expect(outcome.state).toMatchObject({
      status: "delivered",
      signature: "A. Smith",
      trackingNumber: "1Z999",
    });
    given.expectSnapshotConsistent(outcome);
  });
});
