// Ordering, paying, confirming, discounting and cancelling.
import { SyncMode } from "@angzarr/proto";
import {
  ApplyLoyaltyDiscountSchema,
  CancelOrderSchema,
  OrderCompletedSchema,
  PaymentSubmittedSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, Then, When } from "@cucumber/cucumber";
import { confirmPayment, loyaltyBalance, payInFull, placeOrder, sendToOrder } from "./domain";
import { type AcceptanceWorld, eventsOf, eventually, expect, expectEqual } from "./world";

When(
  "{string} orders {int} {string} at {int} cents each as order {string} in workflow {string}",
  async function (
    this: AcceptanceWorld,
    email: string,
    quantity: number,
    sku: string,
    price: number,
    label: string,
    workflow: string,
  ) {
    const order = this.order(label, { workflow: this.workflow(workflow) });
    const placement = {
      customer: this.customer(email),
      quantity,
      product: this.product(sku),
      unitPriceCents: price,
    };
    await placeOrder(this, order, placement);
  },
);

When(
  "{string} orders {int} {string} at {int} cents each as order {string}",
  async function (
    this: AcceptanceWorld,
    email: string,
    quantity: number,
    sku: string,
    price: number,
    label: string,
  ) {
    const placement = {
      customer: this.customer(email),
      quantity,
      product: this.product(sku),
      unitPriceCents: price,
    };
    await placeOrder(this, this.order(label), placement);
  },
);

When(
  "{string} orders {int} {string} at {int} cents each as order {string}, waiting for the reports",
  async function (
    this: AcceptanceWorld,
    email: string,
    quantity: number,
    sku: string,
    price: number,
    label: string,
  ) {
    const placement = {
      customer: this.customer(email),
      quantity,
      product: this.product(sku),
      unitPriceCents: price,
      syncMode: SyncMode.SIMPLE,
    };
    await this.attempt(() => placeOrder(this, this.order(label), placement));
    this.lastResponse();
  },
);

async function walkInOrder(
  world: AcceptanceWorld,
  quantity: number,
  sku: string,
  price: number,
  label: string,
  syncMode: SyncMode = SyncMode.NONE,
) {
  const placement = {
    customer: undefined,
    quantity,
    product: world.product(sku),
    unitPriceCents: price,
    syncMode,
  };
  await world.attempt(() => placeOrder(world, world.order(label), placement));
  world.lastResponse();
}

Given(
  "a walk-in customer ordered {int} {string} at {int} cents each as order {string}",
  async function (this: AcceptanceWorld, quantity: number, sku: string, price: number, label: string) {
    await walkInOrder(this, quantity, sku, price, label);
  },
);

When(
  "a walk-in customer orders {int} {string} at {int} cents each as order {string}, waiting for everything",
  async function (this: AcceptanceWorld, quantity: number, sku: string, price: number, label: string) {
    await walkInOrder(this, quantity, sku, price, label, SyncMode.CASCADE);
  },
);

When(
  "a walk-in customer orders {int} {string} at {int} cents each as order {string} without naming a workflow",
  async function (this: AcceptanceWorld, quantity: number, sku: string, price: number, label: string) {
    const order = this.order(label);
    const placement = { customer: undefined, quantity, product: this.product(sku), unitPriceCents: price };
    await this.attempt(() => placeOrder(this, order, placement, ""));
    const assigned = this.lastResponse().events?.cover?.correlationId ?? "";
    // Later commands about this order follow the workflow the system chose.
    if (assigned !== "") order.workflow = assigned;
  },
);

When(
  "order {string} gets a loyalty discount of {int} points worth {int} cents",
  async function (this: AcceptanceWorld, label: string, points: number, cents: number) {
    const order = this.order(label);
    await sendToOrder(order, (options) =>
      this.send(
        "order",
        order.root,
        ApplyLoyaltyDiscountSchema,
        create(ApplyLoyaltyDiscountSchema, { points, discountCents: cents }),
        options,
      ),
    );
  },
);

When(
  "order {string} is paid in full by {string}",
  async function (this: AcceptanceWorld, label: string, method: string) {
    await payInFull(this, this.order(label), method);
  },
);

When(
  "the payment for order {string} is confirmed with reference {string}",
  async function (this: AcceptanceWorld, label: string, reference: string) {
    await confirmPayment(this, this.order(label), reference);
  },
);

When(
  "the payment for order {string} is confirmed with reference {string}, waiting for the reports",
  async function (this: AcceptanceWorld, label: string, reference: string) {
    await this.attempt(() =>
      confirmPayment(this, this.order(label), reference, { syncMode: SyncMode.SIMPLE }),
    );
    this.lastResponse();
  },
);

When("order {string} is paid in full and confirmed", async function (this: AcceptanceWorld, label: string) {
  const order = this.order(label);
  await payInFull(this, order, "card");
  await confirmPayment(this, order, `PAY-${order.number}`);
});

When(
  "order {string} is cancelled because {string}",
  async function (this: AcceptanceWorld, label: string, reason: string) {
    const order = this.order(label);
    await sendToOrder(order, (options) =>
      this.send("order", order.root, CancelOrderSchema, create(CancelOrderSchema, { reason }), options),
    );
  },
);

Then(
  "the amount paid for order {string} was {int} cents",
  async function (this: AcceptanceWorld, label: string, cents: number) {
    const book = await this.backend.history("order", this.order(label).root);
    const payments = eventsOf(book, PaymentSubmittedSchema);
    expectEqual(
      payments.map((p) => p.event.amountCents),
      [cents],
      `payments recorded for order ${label}`,
    );
  },
);

Then(
  "order {string} is completed, earning {int} loyalty points",
  async function (this: AcceptanceWorld, label: string, points: number) {
    const book = await this.backend.history("order", this.order(label).root);
    const completed = eventsOf(book, OrderCompletedSchema);
    expect(completed.length === 1, `order ${label} has ${completed.length} completions`);
    expectEqual(completed[0]?.event.loyaltyPointsEarned, points, `points earned by order ${label}`);
  },
);

Then(
  "within {int} seconds {string} has {int} loyalty points",
  async function (this: AcceptanceWorld, seconds: number, email: string, points: number) {
    const customer = this.customer(email);
    await eventually(seconds, async () =>
      expectEqual(await loyaltyBalance(this, customer), points, `loyalty balance of ${email}`),
    );
  },
);

Then(
  "order {string} has {int} event(s)",
  async function (this: AcceptanceWorld, label: string, count: number) {
    const book = await this.backend.history("order", this.order(label).root);
    expectEqual(book.pages.length, count, `number of events of order ${label}`);
  },
);
