// What every aggregate must do (example-domains.md §1.4, §1.5, §6.1), shown on the product:
// dispatch, decode failures, numbering, snapshot state, rebuild from a snapshot, revocation.
import { describe, expect, test } from "bun:test";
import { RevokeEventCommandSchema } from "@angzarr/proto";
import {
  CreateProductSchema,
  DiscontinueSchema,
  type ProductState,
  SetPriceSchema,
  UpdateProductSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { productAggregate } from "./aggregate";
import { CORRUPT_BYTES, priceSet, productCreated, rawCommand, SKU } from "./fixtures";

/** A product's life, one command at a time. */
const journey: Message[] = [
  create(CreateProductSchema, { sku: SKU, name: "Widget", description: "A widget", priceCents: 1000 }),
  create(SetPriceSchema, { priceCents: 1500 }),
  create(UpdateProductSchema, { name: "Widget Pro", description: "Better" }),
  create(SetPriceSchema, { priceCents: 1400 }),
  create(DiscontinueSchema, { reason: "End of line" }),
];

const replay = (events: Message[]): ProductState =>
  spec(productAggregate)
    .given(...events)
    .state();

/** Runs the journey, checking numbering and snapshot state at each step; returns all events. */
function runJourney(): Message[] {
  const history: Message[] = [];
  for (const command of journey) {
    const outcome = spec(productAggregate)
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
    const outcome = spec(productAggregate)
      .given(productCreated())
      .when(rawCommand("examples.ReserveStock", []));
    expectRejection(outcome, Code.InvalidArgument, "Unknown command type");
    expect(outcome.error?.rawMessage).toBe("Unknown command type: type.googleapis.com/examples.ReserveStock");
  });

  test("routing compares the whole full name, never a suffix", () => {
    const outcome = spec(productAggregate)
      .given(productCreated())
      .when(rawCommand("legacy.examples.SetPrice", []));
    expectRejection(outcome, Code.InvalidArgument, "Unknown command type");
  });

  for (const name of productAggregate.commandNames()) {
    test(`undecodable ${name} bytes fail INVALID_ARGUMENT "failed to decode"`, () => {
      const outcome = spec(productAggregate).given(productCreated()).when(rawCommand(name, CORRUPT_BYTES));
      expectRejection(outcome, Code.InvalidArgument, "failed to decode");
      expect(outcome.error?.rawMessage).toStartWith(`failed to decode ${name}: `);
    });
  }
});

describe("sequences and snapshots", () => {
  test("each response is numbered from the next sequence and carries the state of a full replay", () => {
    const events = runJourney();
    expect(events).toHaveLength(journey.length);
    expect(replay(events)).toMatchObject({ name: "Widget Pro", priceCents: 1400, status: "discontinued" });
  });

  test("a snapshot plus later events rebuilds the same state as a full replay, at every split", () => {
    const events = runJourney();
    const full = replay(events);
    for (let k = 1; k <= events.length; k++) {
      const fromSnapshot = spec(productAggregate)
        .givenSnapshot(k - 1, replay(events.slice(0, k)))
        .given(...events.slice(k));
      expect(fromSnapshot.state()).toEqual(full);
    }
  });

  test("after a snapshot, new events continue from snapshot sequence + pages + 1", () => {
    const outcome = spec(productAggregate)
      .givenSnapshot(2, replay([productCreated(1000)]))
      .given(priceSet(1500, 1000))
      .when(create(SetPriceSchema, { priceCents: 2000 }));
    expect(outcome.sequences).toEqual([4]);
    expect(outcome.state.priceCents).toBe(2000);
  });
});

describe("revocation", () => {
  test("answers a system revocation with the saga's reason and changes nothing", () => {
    const given = spec(productAggregate).given(productCreated(), priceSet(1500, 1000));
    const before = given.state();
    const outcome = given.when(
      create(RevokeEventCommandSchema, {
        sagaName: "saga-product-x",
        rejectionReason: "Inventory not initialized",
        triggeringEventSequence: 1,
      }),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.revocation).toEqual({
      emitSystemRevocation: true,
      reason: "saga-product-x rejected: Inventory not initialized",
    });
    expect(outcome.events).toEqual([]);
    expect(outcome.state).toEqual(before);
  });
});
