// Cart: what has happened to a customer's cart, and what the customer asks of it next.

import {
  AddItemSchema,
  ApplyCouponSchema,
  CartCheckedOutSchema,
  CartCreatedSchema,
  type CartItem,
  CheckoutSchema,
  ClearCartSchema,
  CouponAppliedSchema,
  CreateCartSchema,
  ItemAddedSchema,
  QuantityUpdatedSchema,
  RemoveItemSchema,
  UpdateQuantitySchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, When } from "@cucumber/cucumber";
import type { UnitWorld } from "../../support/unit-world.ts";
import { cart } from "./domains.ts";
import { defineStages, subtotalOf } from "./vocabulary.ts";

const CUSTOMER = "CUST-001";

// ---- prior events with consistent facts ----------------------------------------------------

function opened(world: UnitWorld, customerId = CUSTOMER): void {
  world.record(cart, create(CartCreatedSchema, { customerId }));
}

/** Adds `quantity` to the product's line; the event states the line's new total and subtotal. */
function added(world: UnitWorld, quantity: number, productId: string, unitPriceCents: number): void {
  const lines: Pick<CartItem, "productId" | "quantity" | "unitPriceCents">[] = [...cart.state(world).items];
  const total = (lines.find((l) => l.productId === productId)?.quantity ?? 0) + quantity;
  const line = { productId, quantity: total, unitPriceCents };
  const at = lines.findIndex((l) => l.productId === productId);
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  world.record(
    cart,
    create(ItemAddedSchema, {
      productId,
      name: `Product ${productId}`,
      quantity: total,
      unitPriceCents,
      newSubtotal: subtotalOf(lines),
    }),
  );
}

function couponApplied(world: UnitWorld, couponType: string, code: string, value: number): void {
  const subtotal = cart.state(world).subtotalCents;
  const discountCents =
    couponType === "percentage" ? Math.floor((subtotal * value) / 100) : Math.min(value, subtotal);
  world.record(cart, create(CouponAppliedSchema, { couponCode: code, couponType, value, discountCents }));
}

function checkedOut(world: UnitWorld): void {
  const state = cart.state(world);
  world.record(
    cart,
    create(CartCheckedOutSchema, {
      finalSubtotal: state.subtotalCents,
      discountCents: Math.min(state.discountCents, state.subtotalCents),
    }),
  );
}

defineStages(cart, {
  "not opened": () => {},
  "open and empty": (w) => opened(w),
  "open with items": (w) => {
    opened(w);
    added(w, 2, "SKU-1", 1000);
  },
  "open with a coupon": (w) => {
    opened(w);
    added(w, 2, "SKU-1", 1000);
    couponApplied(w, "percentage", "SAVE10", 10);
  },
  "checked out": (w) => {
    opened(w);
    added(w, 2, "SKU-1", 1000);
    checkedOut(w);
  },
});

Given(
  "{int} of {string} at {int} cents was/were put in the cart",
  function (this: UnitWorld, quantity: number, productId: string, price: number) {
    added(this, quantity, productId, price);
  },
);

Given(
  "the {word} coupon {string} worth {int} was applied",
  function (this: UnitWorld, couponType: string, code: string, value: number) {
    couponApplied(this, couponType, code, value);
  },
);

Given(
  "the quantity of {string} was changed to {int}",
  function (this: UnitWorld, productId: string, newQuantity: number) {
    const state = cart.state(this);
    const line = state.items.find((l) => l.productId === productId);
    if (!line) throw new Error(`${productId} is not in the cart`);
    const lines = state.items.map((l) => (l.productId === productId ? { ...l, quantity: newQuantity } : l));
    this.record(
      cart,
      create(QuantityUpdatedSchema, {
        productId,
        oldQuantity: line.quantity,
        newQuantity,
        newSubtotal: subtotalOf(lines),
      }),
    );
  },
);

Given("the cart was checked out", function (this: UnitWorld) {
  checkedOut(this);
});

// ---- commands ------------------------------------------------------------------------------

When("a cart is opened for customer {string}", function (this: UnitWorld, customerId: string) {
  this.send(cart, create(CreateCartSchema, { customerId }));
});

When(
  "{int} of {string} at {int} cents is/are added to the cart",
  function (this: UnitWorld, quantity: number, productId: string, unitPriceCents: number) {
    const name = productId === "" ? "" : `Product ${productId}`;
    this.send(cart, create(AddItemSchema, { productId, name, quantity, unitPriceCents }));
  },
);

When(
  "the quantity of {string} is changed to {int}",
  function (this: UnitWorld, productId: string, newQuantity: number) {
    this.send(cart, create(UpdateQuantitySchema, { productId, newQuantity }));
  },
);

When("{string} is removed from the cart", function (this: UnitWorld, productId: string) {
  this.send(cart, create(RemoveItemSchema, { productId }));
});

When(
  "the coupon {string} of type {string} worth {int} is applied",
  function (this: UnitWorld, code: string, couponType: string, value: number) {
    this.send(cart, create(ApplyCouponSchema, { code, couponType, value }));
  },
);

When("the cart is cleared", function (this: UnitWorld) {
  this.send(cart, create(ClearCartSchema));
});

When("the cart is checked out", function (this: UnitWorld) {
  this.send(cart, create(CheckoutSchema));
});
