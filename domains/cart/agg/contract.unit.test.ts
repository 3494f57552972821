// What every aggregate must do (example-domains.md §1.4, §1.5, §6.1), shown on the cart:
// dispatch, decode failures, numbering, snapshot state, rebuild from a snapshot, revocation.
import { describe, expect, test } from "bun:test";
import { RevokeEventCommandSchema } from "@angzarr/proto";
import {
  AddItemSchema,
  ApplyCouponSchema,
  type CartState,
  CheckoutSchema,
  ClearCartSchema,
  CreateCartSchema,
  RemoveItemSchema,
  UpdateQuantitySchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { cartAggregate } from "./aggregate";
import { CORRUPT_BYTES, cartCreated, itemAdded, rawCommand } from "./fixtures";

const add = (productId: string, quantity: number, unitPriceCents: number) =>
  create(AddItemSchema, { productId, name: productId, quantity, unitPriceCents });

/** A full cart life, one command at a time. */
const journey: Message[] = [
  create(CreateCartSchema, { customerId: "CUST-001" }),
  add("SKU-1", 2, 1000),
  add("SKU-2", 1, 2500),
  create(ApplyCouponSchema, { code: "SAVE10", couponType: "percentage", value: 10 }),
  create(ClearCartSchema),
  add("SKU-1", 1, 1000),
  add("SKU-1", 2, 1100),
  create(UpdateQuantitySchema, { productId: "SKU-1", newQuantity: 4 }),
  add("SKU-3", 1, 700),
  create(RemoveItemSchema, { productId: "SKU-3" }),
  create(ApplyCouponSchema, { code: "FIVE", couponType: "fixed", value: 500 }),
  create(CheckoutSchema),
];

const replay = (events: Message[]): CartState =>
  spec(cartAggregate)
    .given(...events)
    .state();

/** Runs the journey, checking numbering and snapshot state at each step; returns all events. */
function runJourney(): Message[] {
  const history: Message[] = [];
  for (const command of journey) {
    const outcome = spec(cartAggregate)
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
    const outcome = spec(cartAggregate).given(cartCreated()).when(rawCommand("examples.CreateOrder", []));
    expectRejection(outcome, Code.InvalidArgument, "Unknown command type");
    expect(outcome.error?.rawMessage).toBe("Unknown command type: type.googleapis.com/examples.CreateOrder");
  });

  test("routing compares the whole full name, never a suffix", () => {
    const outcome = spec(cartAggregate).given(cartCreated()).when(rawCommand("other.examples.AddItem", []));
    expectRejection(outcome, Code.InvalidArgument, "Unknown command type");
  });

  test("any type-URL prefix is accepted", () => {
    const command = create(AddItemSchema, { productId: "SKU-1", quantity: 1, unitPriceCents: 5 });
    const any = cartAggregate.packCommand(command);
    any.typeUrl = "type.examples/examples.AddItem";
    expect(spec(cartAggregate).given(cartCreated()).when(any).error).toBeUndefined();
  });

  for (const name of cartAggregate.commandNames()) {
    test(`undecodable ${name} bytes fail INVALID_ARGUMENT "failed to decode"`, () => {
      const outcome = spec(cartAggregate).given(cartCreated()).when(rawCommand(name, CORRUPT_BYTES));
      expectRejection(outcome, Code.InvalidArgument, "failed to decode");
      expect(outcome.error?.rawMessage).toStartWith(`failed to decode ${name}: `);
    });
  }
});

describe("sequences and snapshots", () => {
  test("each response is numbered from the next sequence and carries the state of a full replay", () => {
    expect(runJourney()).toHaveLength(journey.length);
  });

  test("a snapshot plus later events rebuilds the same state as a full replay, at every split", () => {
    const events = runJourney();
    const full = replay(events);
    for (let k = 1; k <= events.length; k++) {
      const fromSnapshot = spec(cartAggregate)
        .givenSnapshot(k - 1, replay(events.slice(0, k)))
        .given(...events.slice(k));
      expect(fromSnapshot.state()).toEqual(full);
    }
  });

  test("after a snapshot, new events continue from snapshot sequence + pages + 1", () => {
    const base = [cartCreated(), itemAdded("SKU-1", 2, 1000, 2000)];
    const snapshotOnly = spec(cartAggregate)
      .givenSnapshot(9, replay(base))
      .when(add("SKU-2", 1, 2500));
    expect(snapshotOnly.sequences).toEqual([10]);
    expect(snapshotOnly.state.subtotalCents).toBe(4500);
    const withPages = spec(cartAggregate)
      .givenSnapshot(9, replay(base))
      .given(itemAdded("SKU-2", 1, 2500, 4500))
      .when(create(CheckoutSchema));
    expect(withPages.sequences).toEqual([11]);
    expect(withPages.state).toEqual(
      replay([...base, itemAdded("SKU-2", 1, 2500, 4500), ...withPages.events]),
    );
  });
});

describe("revocation", () => {
  test("answers a system revocation with the saga's reason and changes nothing", () => {
    const given = spec(cartAggregate).given(cartCreated(), itemAdded("SKU-1", 2, 1000, 2000));
    const before = given.state();
    const outcome = given.when(
      create(RevokeEventCommandSchema, {
        sagaName: "saga-cart-order",
        rejectionReason: "Order already exists",
        triggeringEventSequence: 1,
      }),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.revocation).toEqual({
      emitSystemRevocation: true,
      reason: "saga-cart-order rejected: Order already exists",
    });
    expect(outcome.events).toEqual([]);
    expect(outcome.state).toEqual(before);
  });
});
