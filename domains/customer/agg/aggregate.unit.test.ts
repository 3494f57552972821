// Customer behaviours (example-domains.md §6.3) through the SDK test kit.
import { describe, expect, test } from "bun:test";
import {
  AddLoyaltyPointsSchema,
  CreateCustomerSchema,
  CustomerCreatedSchema,
  LoyaltyPointsAddedSchema,
  LoyaltyPointsRedeemedSchema,
  RedeemLoyaltyPointsSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { customerAggregate } from "./aggregate";
import { customerCreated, EMAIL, NAME, onlyEvent, pointsAdded, pointsRedeemed } from "./fixtures";

const created = customerCreated();
const customer = () => spec(customerAggregate);
const addPoints = (points: number, reason = "Bonus", reference = "") =>
  create(AddLoyaltyPointsSchema, { points, reason, reference });
const redeem = (points: number, redemptionType = "discount") =>
  create(RedeemLoyaltyPointsSchema, { points, redemptionType });

describe("creating a customer", () => {
  test("records name and e-mail, with no points", () => {
    const outcome = customer().when(create(CreateCustomerSchema, { name: NAME, email: EMAIL }));
    const event = onlyEvent(outcome, CustomerCreatedSchema);
    expect(event).toMatchObject({ name: NAME, email: EMAIL });
    expect(event.createdAt).toBeDefined();
    expect(outcome.sequences).toEqual([0]);
    expect(outcome.state).toMatchObject({ name: NAME, email: EMAIL, loyaltyPoints: 0, lifetimePoints: 0 });
    expect(outcome.state.creditedReferences).toEqual([]);
  });

  test("a second create fails already exists; missing name or e-mail fails INVALID_ARGUMENT", () => {
    expectRejection(
      customer()
        .given(created)
        .when(create(CreateCustomerSchema, { name: "Other", email: EMAIL })),
      Code.FailedPrecondition,
      "already exists",
    );
    expectRejection(
      customer().when(create(CreateCustomerSchema, { email: EMAIL })),
      Code.InvalidArgument,
      "name",
    );
    expectRejection(
      customer().when(create(CreateCustomerSchema, { name: NAME })),
      Code.InvalidArgument,
      "email",
    );
  });
});

describe("adding points", () => {
  test("reports points, new balance and reason", () => {
    const outcome = customer().given(created).when(addPoints(50, "Welcome bonus"));
    const event = onlyEvent(outcome, LoyaltyPointsAddedSchema);
    expect(event).toMatchObject({ points: 50, newBalance: 50, reason: "Welcome bonus", reference: "" });
    expect(outcome.sequences).toEqual([1]);
    expect(outcome.state.loyaltyPoints).toBe(50);
    expect(outcome.state.lifetimePoints).toBe(50);
  });

  test("balances accumulate (50 + 30 → 80)", () => {
    const outcome = customer().given(created, pointsAdded(50, 50)).when(addPoints(30));
    expect(onlyEvent(outcome, LoyaltyPointsAddedSchema)).toMatchObject({ points: 30, newBalance: 80 });
    expect(outcome.state.loyaltyPoints).toBe(80);
    expect(outcome.state.lifetimePoints).toBe(80);
  });

  test("fails for a missing customer and for zero or negative points", () => {
    expectRejection(customer().when(addPoints(50)), Code.FailedPrecondition, "does not exist");
    expectRejection(customer().given(created).when(addPoints(0)), Code.InvalidArgument, "positive");
    expectRejection(customer().given(created).when(addPoints(-5)), Code.InvalidArgument, "positive");
  });

  test("a reference is recorded with the credit", () => {
    const outcome = customer()
      .given(created)
      .when(addPoints(50, "Earned from order o-1", "earn:o-1"));
    expect(onlyEvent(outcome, LoyaltyPointsAddedSchema).reference).toBe("earn:o-1");
    expect(outcome.state.creditedReferences).toEqual(["earn:o-1"]);
  });

  test("reusing a credited reference fails already credited and leaves the balance unchanged", () => {
    const given = customer().given(created, pointsAdded(50, 50, "earn:o-1"));
    const outcome = given.when(addPoints(50, "Earned from order o-1", "earn:o-1"));
    expectRejection(outcome, Code.FailedPrecondition, "already credited");
    expect(outcome.events).toEqual([]);
    expect(outcome.state.loyaltyPoints).toBe(50);
    expect(outcome.state.lifetimePoints).toBe(50);
  });

  test("a different reference, or none, still credits", () => {
    const given = customer().given(created, pointsAdded(50, 50, "earn:o-1"));
    const other = given.when(addPoints(20, "Refund", "refund:o-1"));
    expect(onlyEvent(other, LoyaltyPointsAddedSchema).newBalance).toBe(70);
    expect(other.state.creditedReferences).toEqual(["earn:o-1", "refund:o-1"]);
    const none = given.when(addPoints(20));
    expect(onlyEvent(none, LoyaltyPointsAddedSchema).newBalance).toBe(70);
    expect(none.state.creditedReferences).toEqual(["earn:o-1"]);
  });
});

describe("redeeming points", () => {
  test("reports points, new balance and redemption type (100 − 50 → 50)", () => {
    const outcome = customer().given(created, pointsAdded(100, 100)).when(redeem(50, "order_discount"));
    const event = onlyEvent(outcome, LoyaltyPointsRedeemedSchema);
    expect(event).toMatchObject({ points: 50, newBalance: 50, redemptionType: "order_discount" });
    expect(outcome.state.loyaltyPoints).toBe(50);
    expect(outcome.state.lifetimePoints).toBe(100);
  });

  test("the whole balance may be redeemed", () => {
    const outcome = customer().given(created, pointsAdded(100, 100)).when(redeem(100));
    expect(onlyEvent(outcome, LoyaltyPointsRedeemedSchema).newBalance).toBe(0);
  });

  test("more than the balance fails Insufficient points; zero fails INVALID_ARGUMENT; missing fails", () => {
    const outcome = customer().given(created, pointsAdded(100, 100)).when(redeem(150));
    expectRejection(outcome, Code.FailedPrecondition, "Insufficient points");
    expect(outcome.error?.rawMessage).toBe("Insufficient points: have 100, need 150");
    expectRejection(
      customer().given(created, pointsAdded(100, 100)).when(redeem(0)),
      Code.InvalidArgument,
      "positive",
    );
    expectRejection(customer().when(redeem(10)), Code.FailedPrecondition, "does not exist");
  });
});

describe("rebuild", () => {
  test("gives balance and lifetime points; redemptions never lower lifetime", () => {
    const state = customer()
      .given(
        created,
        pointsAdded(100, 100),
        pointsRedeemed(30, 70),
        pointsAdded(50, 120),
        pointsRedeemed(120, 0),
      )
      .state();
    expect(state.loyaltyPoints).toBe(0);
    expect(state.lifetimePoints).toBe(150);
  });

  test("a refund counts toward lifetime points", () => {
    const state = customer()
      .given(
        created,
        pointsAdded(300, 300),
        pointsRedeemed(200, 100),
        pointsAdded(200, 300, "refund:o-9", "Refund for cancelled order o-9"),
      )
      .state();
    expect(state.loyaltyPoints).toBe(300);
    expect(state.lifetimePoints).toBe(500);
    expect(state.creditedReferences).toEqual(["refund:o-9"]);
  });

  test("the balance is the latest fact, not a sum", () => {
    const state = customer().given(created, pointsAdded(10, 10), pointsAdded(10, 999)).state();
    expect(state.loyaltyPoints).toBe(999);
    expect(state.lifetimePoints).toBe(20);
  });
});
