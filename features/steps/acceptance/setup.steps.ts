// Stock and customers: what a scenario starts from.
import { RedeemLoyaltyPointsSchema } from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, Then, When } from "@cucumber/cucumber";
import { creditPoints, loyaltyBalance, registerCustomer, stockProduct } from "./domain";
import { type AcceptanceWorld, expectEqual } from "./world";

Given(
  "the product {string} is stocked with {int} units and a low-stock threshold of {int}",
  async function (this: AcceptanceWorld, sku: string, units: number, threshold: number) {
    await stockProduct(this, this.product(sku), units, threshold);
  },
);

Given(
  "the product {string} is stocked with {int} units",
  async function (this: AcceptanceWorld, sku: string, units: number) {
    await stockProduct(this, this.product(sku), units);
  },
);

Given(
  "a customer {string} named {string}",
  async function (this: AcceptanceWorld, email: string, name: string) {
    await registerCustomer(this, this.customer(email), name);
  },
);

Given(
  "a customer {string} named {string} with {int} loyalty points",
  async function (this: AcceptanceWorld, email: string, name: string, points: number) {
    const customer = this.customer(email);
    await registerCustomer(this, customer, name);
    await creditPoints(this, customer, points, "welcome bonus");
  },
);

When(
  "{string} spends {int} loyalty points on an order discount",
  async function (this: AcceptanceWorld, email: string, points: number) {
    const customer = this.customer(email);
    await this.send(
      "customer",
      customer.root,
      RedeemLoyaltyPointsSchema,
      create(RedeemLoyaltyPointsSchema, { points, redemptionType: "order discount" }),
    );
  },
);

Then(
  "{string} has {int} loyalty points",
  async function (this: AcceptanceWorld, email: string, points: number) {
    expectEqual(await loyaltyBalance(this, this.customer(email)), points, `loyalty balance of ${email}`);
  },
);
