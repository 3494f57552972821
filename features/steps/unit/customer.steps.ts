// Customer: registration and the loyalty-points account.

import {
  AddLoyaltyPointsSchema,
  CreateCustomerSchema,
  CustomerCreatedSchema,
  LoyaltyPointsAddedSchema,
  LoyaltyPointsRedeemedSchema,
  RedeemLoyaltyPointsSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, When } from "@cucumber/cucumber";
import type { UnitWorld } from "../../support/unit-world.ts";
import { customer } from "./domains.ts";
import { defineStages } from "./vocabulary.ts";

function registered(world: UnitWorld): void {
  world.record(customer, create(CustomerCreatedSchema, { name: "Alice", email: "alice@example.com" }));
}

function credited(world: UnitWorld, points: number, reason: string, reference = ""): void {
  const newBalance = customer.state(world).loyaltyPoints + points;
  world.record(customer, create(LoyaltyPointsAddedSchema, { points, newBalance, reason, reference }));
}

function redeemed(world: UnitWorld, points: number, redemptionType: string): void {
  const newBalance = customer.state(world).loyaltyPoints - points;
  world.record(customer, create(LoyaltyPointsRedeemedSchema, { points, newBalance, redemptionType }));
}

defineStages(customer, {
  "not registered": () => {},
  registered: (w) => registered(w),
  "holding 100 points": (w) => {
    registered(w);
    credited(w, 100, "welcome bonus");
  },
  "credited for order-1": (w) => {
    registered(w);
    credited(w, 50, "Earned from order order-1", "earn:order-1");
  },
});

Given(
  "the customer earned {int} points for {string}",
  function (this: UnitWorld, points: number, why: string) {
    credited(this, points, why);
  },
);

Given(
  "the customer redeemed {int} points for {string}",
  function (this: UnitWorld, points: number, redemptionType: string) {
    redeemed(this, points, redemptionType);
  },
);

When("{string} registers with the e-mail {string}", function (this: UnitWorld, name: string, email: string) {
  this.send(customer, create(CreateCustomerSchema, { name, email }));
});

When("{int} points are credited for {string}", function (this: UnitWorld, points: number, reason: string) {
  this.send(customer, create(AddLoyaltyPointsSchema, { points, reason }));
});

When(
  "{int} points are credited for {string} under reference {string}",
  function (this: UnitWorld, points: number, reason: string, reference: string) {
    this.send(customer, create(AddLoyaltyPointsSchema, { points, reason, reference }));
  },
);

When(
  "{int} points are redeemed for {string}",
  function (this: UnitWorld, points: number, redemptionType: string) {
    this.send(customer, create(RedeemLoyaltyPointsSchema, { points, redemptionType }));
  },
);
