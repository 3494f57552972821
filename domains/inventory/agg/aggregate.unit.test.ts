// What every aggregate must do (§6.1), on the inventory aggregate: dispatch, decode failures,
// multi-event numbering, snapshot state, revocation, descriptor.
import { describe, expect, test } from "bun:test";
import { RevokeEventCommandSchema, TypeUrl } from "@angzarr/proto";
import {
  CommitReservationSchema,
  InitializeStockSchema,
  ReceiveStockSchema,
  ReserveStockSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection, expectRejection } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { inventoryAggregate } from "./aggregate";
import { givenInventory, initialized, ORDER_A, ORDER_B, received, reserved } from "./fixtures";

describe("inventory aggregate: dispatch", () => {
  test("an unknown command type fails INVALID_ARGUMENT naming the type URL", () => {
    const foreign = create(AnySchema, {
      typeUrl: "type.googleapis.com/examples.SubmitPayment",
      value: toBinary(SubmitPaymentSchema, create(SubmitPaymentSchema, { amountCents: 1 })),
    });
    expectExactRejection(
      givenInventory(initialized()).when(foreign),
      Code.InvalidArgument,
      "Unknown command type: type.googleapis.com/examples.SubmitPayment",
    );
  });

  test("undecodable command bytes fail INVALID_ARGUMENT 'failed to decode examples.ReserveStock: …'", () => {
    const given = givenInventory(initialized());
    const outcome = given.when(
      create(AnySchema, {
        typeUrl: TypeUrl.forName("examples.ReserveStock"),
        value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]),
      }),
    );
    expectRejection(outcome, Code.InvalidArgument, "failed to decode examples.ReserveStock: ");
    expect(outcome.error?.rawMessage.startsWith("failed to decode")).toBe(true);
    expect(outcome.state).toEqual(given.state());
  });

  test("the descriptor names the domain, type aggregate, and lists the commands", () => {
    const descriptor = inventoryAggregate.descriptor();
    expect(descriptor).toMatchObject({ name: "inventory", componentType: "aggregate" });
    expect(descriptor.inputs[0]?.eventTypes.toSorted()).toEqual([
      "examples.CommitReservation",
      "examples.InitializeStock",
      "examples.ReceiveStock",
      "examples.ReleaseReservation",
      "examples.ReserveStock",
    ]);
  });
});

describe("inventory aggregate: sequences and snapshots", () => {
  test("a reservation with an alert is numbered consecutively from the next sequence", () => {
    const given = givenInventory(initialized(30, 10), received(5, 35), reserved(ORDER_B, 10, 35, 10));
    const outcome = given.when(create(ReserveStockSchema, { quantity: 20, orderId: ORDER_A }));
    expect(outcome.events.map((e) => e.$typeName)).toEqual([
      "examples.StockReserved",
      "examples.LowStockAlert",
    ]);
    expect(outcome.sequences).toEqual([3, 4]);
  });

  test("after a snapshot at 9 with no later pages, the two events are numbered 10 and 11", () => {
    const state = givenInventory(initialized(20, 10)).state();
    const outcome = givenInventory()
      .givenSnapshot(9, state)
      .when(create(ReserveStockSchema, { quantity: 15, orderId: ORDER_A }));
    expect(outcome.sequences).toEqual([10, 11]);
  });

  test("after a snapshot and later pages, numbering continues after the last page", () => {
    const state = givenInventory(initialized(20, 10)).state();
    const outcome = givenInventory(received(10, 30))
      .givenSnapshot(4, state)
      .when(create(ReceiveStockSchema, { quantity: 1 }));
    expect(outcome.sequences).toEqual([6]);
    expect(outcome.state.onHand).toBe(31);
  });

  test("each step's snapshot state equals a full replay, and snapshot + later events equals a full replay", () => {
    const step1 = givenInventory();
    const o1 = step1.when(
      create(InitializeStockSchema, { productId: "SKU-001", quantity: 20, lowStockThreshold: 10 }),
    );
    step1.expectSnapshotConsistent(o1, [received(30, 50), reserved(ORDER_B, 10, 50, 10)]);

    const step2 = givenInventory(...o1.events, received(30, 50));
    const o2 = step2.when(create(ReserveStockSchema, { quantity: 45, orderId: ORDER_A }));
    expect(o2.events).toHaveLength(2);
    step2.expectSnapshotConsistent(o2, [reserved(ORDER_B, 1, 50, 46)]);

    const step3 = givenInventory(...o1.events, received(30, 50), ...o2.events);
    const o3 = step3.when(create(CommitReservationSchema, { orderId: ORDER_A }));
    step3.expectSnapshotConsistent(o3);
    expect(o3.state).toMatchObject({ onHand: 5, reserved: 0, reservations: {} });
  });
});

describe("inventory aggregate: revocation", () => {
  test("a revocation gets a system revocation with '{saga} rejected: {reason}', no events, no state change", () => {
    const given = givenInventory(initialized(), reserved(ORDER_A, 5, 100, 5));
    const outcome = given.when(
      create(RevokeEventCommandSchema, {
        triggeringEventSequence: 1,
        sagaName: "saga-fulfillment-inventory",
        rejectionReason: "Reservation not found",
      }),
    );
    expect(outcome.revocation).toEqual({
      emitSystemRevocation: true,
      reason: "saga-fulfillment-inventory rejected: Reservation not found",
    });
    expect(outcome.events).toEqual([]);
    expect(outcome.state).toEqual(given.state());
  });
});
