// What every aggregate must do (§6.1), on the fulfillment aggregate: dispatch, decode failures,
// numbering, snapshot state, revocation, descriptor.
import { describe, expect, test } from "bun:test";
import { RevokeEventCommandSchema, TypeUrl } from "@angzarr/proto";
import {
  CreateShipmentSchema,
  MarkPackedSchema,
  MarkPickedSchema,
  RecordDeliverySchema,
  ReserveStockSchema,
  ShipSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection, expectRejection } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { fulfillmentAggregate } from "./aggregate";
import { AT, delivered, givenShipment, ITEMS, ORDER_ID, packed, picked, shipped } from "./fixtures";

describe("fulfillment aggregate: dispatch", () => {
  test("an unknown command type fails INVALID_ARGUMENT naming the type URL", () => {
    const foreign = create(AnySchema, {
      typeUrl: "type.googleapis.com/examples.ReserveStock",
      value: toBinary(ReserveStockSchema, create(ReserveStockSchema, { quantity: 1 })),
    });
    expectExactRejection(
      givenShipment(...AT.pending()).when(foreign),
      Code.InvalidArgument,
      "Unknown command type: type.googleapis.com/examples.ReserveStock",
    );
  });

  test("undecodable command bytes fail INVALID_ARGUMENT 'failed to decode examples.Ship: …'", () => {
    const given = givenShipment(...AT.packing());
    const outcome = given.when(
      create(AnySchema, {
        typeUrl: TypeUrl.forName("examples.Ship"),
        value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]),
      }),
    );
    expectRejection(outcome, Code.InvalidArgument, "failed to decode examples.Ship: ");
    expect(outcome.error?.rawMessage.startsWith("failed to decode")).toBe(true);
    expect(outcome.state).toEqual(given.state());
  });

  test("the descriptor names the domain, type aggregate, and lists the commands", () => {
    const descriptor = fulfillmentAggregate.descriptor();
    expect(descriptor).toMatchObject({ name: "fulfillment", componentType: "aggregate" });
    expect(descriptor.inputs[0]?.eventTypes.toSorted()).toEqual([
      "examples.CreateShipment",
      "examples.MarkPacked",
      "examples.MarkPicked",
      "examples.RecordDelivery",
      "examples.Ship",
    ]);
  });
});

describe("fulfillment aggregate: sequences and snapshots", () => {
  test("after a snapshot at 12 and one later page, the next event is 14", () => {
    const state = givenShipment(...AT.picking()).state();
    const outcome = givenShipment(packed())
      .givenSnapshot(12, state)
      .when(create(ShipSchema, { carrier: "DHL" }));
    expect(outcome.sequences).toEqual([14]);
    expect(outcome.events[0]).toMatchObject({ carrier: "DHL", orderId: ORDER_ID, items: ITEMS });
  });

  test("each step's snapshot state equals a full replay, and snapshot + later events equals a full replay", () => {
    const s1 = givenShipment();
    const o1 = s1.when(create(CreateShipmentSchema, { orderId: ORDER_ID, items: ITEMS }));
    s1.expectSnapshotConsistent(o1, [picked(), packed(), shipped(), delivered()]);

    const s2 = givenShipment(...o1.events);
    const o2 = s2.when(create(MarkPickedSchema, { pickerId: "p" }));
    s2.expectSnapshotConsistent(o2, [packed(), shipped()]);

    const s3 = givenShipment(...o1.events, ...o2.events);
    const o3 = s3.when(create(MarkPackedSchema, { packerId: "k" }));
    s3.expectSnapshotConsistent(o3, [shipped("X", "1")]);

    const s4 = givenShipment(...o1.events, ...o2.events, ...o3.events);
    const o4 = s4.when(create(ShipSchema, { carrier: "UPS", trackingNumber: "T" }));
    s4.expectSnapshotConsistent(o4, [delivered()]);

    const s5 = givenShipment(...o1.events, ...o2.events, ...o3.events, ...o4.events);
    const o5 = s5.when(create(RecordDeliverySchema, { signature: "sig" }));
    s5.expectSnapshotConsistent(o5);
    expect(o5.sequences).toEqual([4]);
    expect(o5.state).toMatchObject({
      status: "delivered",
      pickerId: "p",
      packerId: "k",
      carrier: "UPS",
      signature: "sig",
    });
  });
});

describe("fulfillment aggregate: revocation", () => {
  test("a revocation gets a system revocation with '{saga} rejected: {reason}', no events, no state change", () => {
    const given = givenShipment(...AT.shipped());
    const outcome = given.when(
      create(RevokeEventCommandSchema, {
        triggeringEventSequence: 3,
        sagaName: "saga-fulfillment-inventory",
        rejectionReason: "Inventory not initialized",
      }),
    );
    expect(outcome.revocation).toEqual({
      emitSystemRevocation: true,
      reason: "saga-fulfillment-inventory rejected: Inventory not initialized",
    });
    expect(outcome.events).toEqual([]);
    expect(outcome.state).toEqual(given.state());
  });
});
