// Order: placing it, an optional loyalty discount, payment, confirmation and cancellation.

import { Identity } from "@angzarr/proto";
import {
  ApplyLoyaltyDiscountSchema,
  CancelOrderSchema,
  ConfirmPaymentSchema,
  CreateOrderSchema,
  LoyaltyDiscountAppliedSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
  OrderCreatedSchema,
  PaymentSubmittedSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, When } from "@cucumber/cucumber";
import type { UnitWorld } from "../../support/unit-world.ts";
import { order } from "./domains.ts";
import { defineStages, parseLines, subtotalOf } from "./vocabulary.ts";

const CUSTOMER_ID = "CUST-001";
const STANDARD_LINES = "2 x SKU-1 at 1000, 1 x SKU-2 at 3000";

/** Orders are linked to Alice's loyalty account and to the cart of the customer who placed them. */
const customerRoot = (): Uint8Array => Identity.customerRoot("alice@example.com");
const cartRootOf = (customerId: string): Uint8Array => Identity.cartRoot(customerId);

// ---- prior events with consistent facts ----------------------------------------------------

function placed(world: UnitWorld, customerId: string, lines: string): void {
  const items = parseLines(lines);
  world.record(
    order,
    create(OrderCreatedSchema, {
      customerId,
      items,
      subtotalCents: subtotalOf(items),
      customerRoot: customerRoot(),
      cartRoot: cartRootOf(customerId),
    }),
  );
}

function discounted(world: UnitWorld, pointsUsed: number, discountCents: number): void {
  world.record(order, create(LoyaltyDiscountAppliedSchema, { pointsUsed, discountCents }));
}

function paid(world: UnitWorld, amountCents: number, paymentMethod: string): void {
  world.record(order, create(PaymentSubmittedSchema, { paymentMethod, amountCents }));
}

function confirmed(world: UnitWorld, paymentReference: string): void {
  const s = order.state(world);
  const finalTotalCents = s.subtotalCents - s.discountCents;
  world.record(
    order,
    create(OrderCompletedSchema, {
      finalTotalCents,
      paymentMethod: s.paymentMethod,
      paymentReference,
      loyaltyPointsEarned: Math.floor(finalTotalCents / 100),
      customerRoot: s.customerRoot,
      cartRoot: s.cartRoot,
      items: s.items,
    }),
  );
}

function cancelled(world: UnitWorld, reason: string): void {
  const s = order.state(world);
  world.record(
    order,
    create(OrderCancelledSchema, {
      reason,
      loyaltyPointsUsed: s.loyaltyPointsUsed,
      customerRoot: s.customerRoot,
      items: s.items,
      cartRoot: s.cartRoot,
    }),
  );
}

defineStages(order, {
  "not placed": () => {},
  pending: (w) => placed(w, CUSTOMER_ID, STANDARD_LINES),
  discounted: (w) => {
    placed(w, CUSTOMER_ID, STANDARD_LINES);
    discounted(w, 200, 200);
  },
  paid: (w) => {
    placed(w, CUSTOMER_ID, STANDARD_LINES);
    paid(w, 5000, "card");
  },
  completed: (w) => {
    placed(w, CUSTOMER_ID, STANDARD_LINES);
    paid(w, 5000, "card");
    confirmed(w, "PAY-1");
  },
  cancelled: (w) => {
    placed(w, CUSTOMER_ID, STANDARD_LINES);
    cancelled(w, "changed my mind");
  },
});

Given("{string} placed an order for {string}", function (this: UnitWorld, customerId: string, lines: string) {
  placed(this, customerId, lines);
});

Given(
  "a loyalty discount of {int} points worth {int} cents was applied",
  function (this: UnitWorld, points: number, cents: number) {
    discounted(this, points, cents);
  },
);

Given("{int} cents was paid by {string}", function (this: UnitWorld, amount: number, method: string) {
  paid(this, amount, method);
});

Given("the payment was confirmed with reference {string}", function (this: UnitWorld, reference: string) {
  confirmed(this, reference);
});

Given("the order was cancelled because {string}", function (this: UnitWorld, reason: string) {
  cancelled(this, reason);
});

// ---- commands ------------------------------------------------------------------------------

function place(
  world: UnitWorld,
  customerId: string,
  lines: string,
  roots: Partial<Record<string, Uint8Array>>,
) {
  world.send(
    order,
    create(CreateOrderSchema, {
      customerId,
      items: parseLines(lines),
      customerRoot: roots.customer ?? customerRoot(),
      cartRoot: roots.cart ?? cartRootOf(customerId),
    }),
  );
}

When("{string} places an order for {string}", function (this: UnitWorld, customerId: string, lines: string) {
  place(this, customerId, lines, {});
});

When(
  "{string} places an order for {string} without a customer account or cart",
  function (this: UnitWorld, customerId: string, lines: string) {
    place(this, customerId, lines, { customer: new Uint8Array(), cart: new Uint8Array() });
  },
);

When(
  "{string} places an order for {string} with a malformed {word} reference",
  function (this: UnitWorld, customerId: string, lines: string, which: string) {
    if (which !== "customer" && which !== "cart") throw new Error(`no ${which} reference on an order`);
    place(this, customerId, lines, { [which]: new Uint8Array([1, 2, 3, 4, 5]) });
  },
);

When(
  "a loyalty discount of {int} points worth {int} cents is applied",
  function (this: UnitWorld, points: number, discountCents: number) {
    this.send(order, create(ApplyLoyaltyDiscountSchema, { points, discountCents }));
  },
);

When(
  "{int} cents is paid by {string}",
  function (this: UnitWorld, amountCents: number, paymentMethod: string) {
    this.send(order, create(SubmitPaymentSchema, { paymentMethod, amountCents }));
  },
);

When(
  "the payment is confirmed with reference {string}",
  function (this: UnitWorld, paymentReference: string) {
    this.send(order, create(ConfirmPaymentSchema, { paymentReference }));
  },
);

When("the order is cancelled because {string}", function (this: UnitWorld, reason: string) {
  this.send(order, create(CancelOrderSchema, { reason }));
});
