import { describe, expect, test } from "bun:test";
import { ReleaseReservationSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { committed, givenInventory, initialized, ORDER_A, ORDER_B, released, reserved } from "../fixtures";

const release = (orderId = ORDER_A) => create(ReleaseReservationSchema, { orderId });

describe("ReleaseReservation rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "not initialized",
      given: [],
      command: release(),
      code: Code.FailedPrecondition,
      message: "Inventory not initialized",
    },
    {
      condition: "order_id empty",
      given: [initialized()],
      command: release(""),
      code: Code.InvalidArgument,
      message: "Order ID is required",
    },
    {
      condition: "no reservation for the order",
      given: [initialized(), reserved(ORDER_B, 10, 100, 10)],
      command: release(),
      code: Code.NotFound,
      message: "Reservation not found",
    },
    {
      condition: "the reservation was already released",
      given: [initialized(), reserved(ORDER_A, 10, 100, 10), released(ORDER_A, 10, 100, 0)],
      command: release(),
      code: Code.NotFound,
      message: "Reservation not found",
    },
    {
      condition: "the reservation was already committed",
      given: [initialized(), reserved(ORDER_A, 10, 100, 10), committed(ORDER_A, 10, 90, 0)],
      command: release(),
      code: Code.NotFound,
      message: "Reservation not found",
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

describe("ReleaseReservation", () => {
  test("returns the held quantity to available: 25 released → 100 available, 0 reserved, on-hand unchanged", () => {
    const given = givenInventory(initialized(100), reserved(ORDER_A, 25, 100, 25));
    const outcome = given.when(release());
    expect(outcome.sequences).toEqual([2]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.ReservationReleased",
      orderId: ORDER_A,
      quantity: 25,
      newAvailable: 100,
      newReserved: 0,
      newOnHand: 100,
    });
    expect(outcome.state).toMatchObject({ onHand: 100, reserved: 0, reservations: {} });
    given.expectSnapshotConsistent(outcome);
  });

  test("other orders' reservations stay held", () => {
    const given = givenInventory(
      initialized(100),
      reserved(ORDER_B, 20, 100, 20),
      reserved(ORDER_A, 25, 100, 45),
    );
    const outcome = given.when(release());
    expect(outcome.events[0]).toMatchObject({
      quantity: 25,
      newAvailable: 80,
      newReserved: 20,
      newOnHand: 100,
    });
    expect(outcome.state.reservations).toEqual({ [ORDER_B]: 20 });
  });

  test("a released order may reserve again", () => {
    const given = givenInventory(
      initialized(100),
      reserved(ORDER_A, 25, 100, 25),
      released(ORDER_A, 25, 100, 0),
    );
    expect(given.state().reservations).toEqual({});
  });
});
