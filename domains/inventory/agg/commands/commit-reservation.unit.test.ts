import { describe, expect, test } from "bun:test";
import { CommitReservationSchema } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { committed, givenInventory, initialized, ORDER_A, ORDER_B, released, reserved } from "../fixtures";

const commit = (orderId = ORDER_A) => create(CommitReservationSchema, { orderId });

describe("CommitReservation rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "not initialized",
      given: [],
      command: commit(),
      code: Code.FailedPrecondition,
      message: "Inventory not initialized",
    },
    {
      condition: "order_id empty",
      given: [initialized()],
      command: commit(""),
      code: Code.InvalidArgument,
      message: "Order ID is required",
    },
    {
      condition: "no reservation for the order",
      given: [initialized()],
      command: commit(),
      code: Code.NotFound,
      message: "Reservation not found",
    },
    {
      condition: "the reservation was already committed",
      given: [initialized(), reserved(ORDER_A, 10, 100, 10), committed(ORDER_A, 10, 90, 0)],
      command: commit(),
      code: Code.NotFound,
      message: "Reservation not found",
    },
    {
      condition: "the reservation was released",
      given: [initialized(), reserved(ORDER_A, 10, 100, 10), released(ORDER_A, 10, 100, 0)],
      command: commit(),
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

describe("CommitReservation", () => {
  test("lowers on-hand by the held quantity and frees it: 100 − 15 → 85, 0 reserved", () => {
    const given = givenInventory(initialized(100), reserved(ORDER_A, 15, 100, 15));
    const outcome = given.when(commit());
    expect(outcome.sequences).toEqual([2]);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.ReservationCommitted",
      orderId: ORDER_A,
      quantity: 15,
      newOnHand: 85,
      newReserved: 0,
    });
    expect(outcome.state).toMatchObject({ onHand: 85, reserved: 0, reservations: {} });
    given.expectSnapshotConsistent(outcome);
  });

  test("other orders' reservations stay held: 100 on hand, 15 + 10 held, commit 15 → 85 on hand, 10 held", () => {
    const given = givenInventory(
      initialized(100),
      reserved(ORDER_B, 10, 100, 10),
      reserved(ORDER_A, 15, 100, 25),
    );
    const outcome = given.when(commit());
    expect(outcome.events[0]).toMatchObject({ newOnHand: 85, newReserved: 10 });
    expect(outcome.state).toMatchObject({ onHand: 85, reserved: 10, reservations: { [ORDER_B]: 10 } });
    given.expectSnapshotConsistent(outcome);
  });
});
