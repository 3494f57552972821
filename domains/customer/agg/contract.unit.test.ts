// What every aggregate must do (example-domains.md §1.4, §1.5, §6.1), shown on the customer:
// dispatch, decode failures, numbering, snapshot state, rebuild from a snapshot, revocation.
import { describe, expect, test } from "bun:test";
import { RevokeEventCommandSchema } from "@angzarr/proto";
import {
  AddLoyaltyPointsSchema,
  CreateCustomerSchema,
  type CustomerState,
  RedeemLoyaltyPointsSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { customerAggregate } from "./aggregate";
import { CORRUPT_BYTES, customerCreated, EMAIL, NAME, pointsAdded, rawCommand } from "./fixtures";

const addPoints = (points: number, reference = "") =>
  create(AddLoyaltyPointsSchema, { points, reason: "Bonus", reference });
const redeem = (points: number) => create(RedeemLoyaltyPointsSchema, { points, redemptionType: "discount" });

/** A customer's life, one command at a time. */
const journey: Message[] = [
  create(CreateCustomerSchema, { name: NAME, email: EMAIL }),
  addPoints(100, "earn:o-1"),
  redeem(30),
  addPoints(50),
  addPoints(20, "refund:o-2"),
  redeem(140),
  addPoints(5, "earn:o-3"),
];

const replay = (events: Message[]): CustomerState =>
  spec(customerAggregate)
    .given(...events)
    .state();

/** Runs the journey, checking numbering and snapshot state at each step; returns all events. */
function runJourney(): Message[] {
  const history: Message[] = [];
  for (const command of journey) {
    const outcome = spec(customerAggregate)
      .given(...history)
      .when(command);
    expect(outcome.error).toBeUndefined();
    expect(outcome.events.length).toBeGreaterThan(0);
    expect(outcome.sequences).toEqual(outcome.events.map((_, i) => history.length + i));
    history.push(...outcome.events);
    expect(outcome.state).toEqual(replay(history));
  }
  return history;
}

describe("dispatch", () => {
  test("an unknown command type fails INVALID_ARGUMENT", () => {
    const outcome = spec(customerAggregate).given(customerCreated()).when(rawCommand("examples.AddItem", []));
    expectRejection(outcome, Code.InvalidArgument, "Unknown command type");
    expect(outcome.error?.rawMessage).toBe("Unknown command type: type.googleapis.com/examples.AddItem");
  });

  test("routing compares the whole full name, never a suffix", () => {
    const outcome = spec(customerAggregate)
      .given(customerCreated())
      .when(rawCommand("shop.examples.AddLoyaltyPoints", []));
    expectRejection(outcome, Code.InvalidArgument, "Unknown command type");
  });

  for (const name of customerAggregate.commandNames()) {
    test(`undecodable ${name} bytes fail INVALID_ARGUMENT "failed to decode"`, () => {
      const outcome = spec(customerAggregate).given(customerCreated()).when(rawCommand(name, CORRUPT_BYTES));
      expectRejection(outcome, Code.InvalidArgument, "failed to decode");
      expect(outcome.error?.rawMessage).toStartWith(`failed to decode ${name}: `);
    });
  }
});

describe("sequences and snapshots", () => {
  test("each response is numbered from the next sequence and carries the state of a full replay", () => {
    const events = runJourney();
    expect(events).toHaveLength(journey.length);
    expect(replay(events)).toMatchObject({ loyaltyPoints: 5, lifetimePoints: 175 });
  });

  test("a snapshot plus later events rebuilds the same state as a full replay, at every split", () => {
    const events = runJourney();
    const full = replay(events);
    for (let k = 1; k <= events.length; k++) {
      const fromSnapshot = spec(customerAggregate)
        .givenSnapshot(k - 1, replay(events.slice(0, k)))
        .given(...events.slice(k));
      expect(fromSnapshot.state()).toEqual(full);
    }
  });

  test("after a snapshot, credited references still refuse a repeat and numbering continues", () => {
    const base = [customerCreated(), pointsAdded(100, 100, "earn:o-1")];
    const given = spec(customerAggregate).givenSnapshot(4, replay(base)).given(pointsAdded(10, 110));
    expectRejection(given.when(addPoints(100, "earn:o-1")), Code.FailedPrecondition, "already credited");
    const outcome = given.when(redeem(10));
    expect(outcome.sequences).toEqual([6]);
    expect(outcome.state).toMatchObject({ loyaltyPoints: 100, lifetimePoints: 110 });
  });
});

describe("revocation", () => {
  test("answers a system revocation with the saga's reason and changes nothing", () => {
    const given = spec(customerAggregate).given(customerCreated(), pointsAdded(100, 100));
    const before = given.state();
    const outcome = given.when(
      create(RevokeEventCommandSchema, {
        sagaName: "saga-customer-x",
        rejectionReason: "Order does not exist",
        triggeringEventSequence: 1,
      }),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.revocation).toEqual({
      emitSystemRevocation: true,
      reason: "saga-customer-x rejected: Order does not exist",
    });
    expect(outcome.events).toEqual([]);
    expect(outcome.state).toEqual(before);
  });
});
