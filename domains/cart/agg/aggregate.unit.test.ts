// Cart behaviours (example-domains.md §6.1, §6.2) through the SDK test kit: prior events in,
// one command, events or a typed rejection out.
import { describe, expect, test } from "bun:test";
import {
  AddItemSchema,
  ApplyCouponSchema,
  CartCheckedOutSchema,
  CartClearedSchema,
  CartCreatedSchema,
  CheckoutSchema,
  ClearCartSchema,
  CouponAppliedSchema,
  CreateCartSchema,
  ItemAddedSchema,
  ItemRemovedSchema,
  QuantityUpdatedSchema,
  RemoveItemSchema,
  UpdateQuantitySchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { cartAggregate } from "./aggregate";
import {
  CUSTOMER,
  cartCleared,
  cartCreated,
  checkedOut,
  couponApplied,
  itemAdded,
  itemRemoved,
  onlyEvent,
  quantityUpdated,
} from "./fixtures";

const created = cartCreated();
const add = (productId: string, quantity: number, unitPriceCents: number, name = "Widget") =>
  create(AddItemSchema, { productId, name, quantity, unitPriceCents });
const coupon = (code: string, couponType: string, value: number) =>
  create(ApplyCouponSchema, { code, couponType, value });
const cart = () => spec(cartAggregate);

describe("creating a cart", () => {
  test("records the customer; active, empty, subtotal 0", () => {
    const outcome = cart().when(create(CreateCartSchema, { customerId: CUSTOMER }));
    const event = onlyEvent(outcome, CartCreatedSchema);
    expect(event.customerId).toBe(CUSTOMER);
    expect(event.createdAt).toBeDefined();
    expect(outcome.sequences).toEqual([0]);
    expect(outcome.state.customerId).toBe(CUSTOMER);
    expect(outcome.state.status).toBe("active");
    expect(outcome.state.items).toEqual([]);
    expect(outcome.state.subtotalCents).toBe(0);
    expect(outcome.state.couponCode).toBe("");
    expect(outcome.state.discountCents).toBe(0);
  });

  test("twice fails already exists; no customer id fails INVALID_ARGUMENT", () => {
    expectRejection(
      cart()
        .given(created)
        .when(create(CreateCartSchema, { customerId: CUSTOMER })),
      Code.FailedPrecondition,
      "already exists",
    );
    expectRejection(cart().when(create(CreateCartSchema)), Code.InvalidArgument, "customer id");
  });
});

describe("adding items", () => {
  test("to an empty cart: subtotal = quantity × price (2 × 1000 → 2000)", () => {
    const outcome = cart()
      .given(created)
      .when(add("SKU-1", 2, 1000, "Widget"));
    const event = onlyEvent(outcome, ItemAddedSchema);
    expect(event).toMatchObject({ productId: "SKU-1", name: "Widget", quantity: 2, unitPriceCents: 1000 });
    expect(event.newSubtotal).toBe(2000);
    expect(event.addedAt).toBeDefined();
    expect(outcome.sequences).toEqual([1]);
    expect(outcome.state.items).toHaveLength(1);
    expect(outcome.state.subtotalCents).toBe(2000);
  });

  test("a second product adds its line to the subtotal (2000 + 2500 → 4500)", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000))
      .when(add("SKU-2", 1, 2500));
    expect(onlyEvent(outcome, ItemAddedSchema).newSubtotal).toBe(4500);
    expect(outcome.state.items.map((i) => [i.productId, i.quantity])).toEqual([
      ["SKU-1", 2],
      ["SKU-2", 1],
    ]);
    expect(outcome.state.subtotalCents).toBe(4500);
  });

  test("the same product raises the quantity; the event carries the absolute quantity (2 + 3 → 5)", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000))
      .when(add("SKU-1", 3, 1000));
    const event = onlyEvent(outcome, ItemAddedSchema);
    expect(event.quantity).toBe(5);
    expect(event.newSubtotal).toBe(5000);
    expect(outcome.state.items).toHaveLength(1);
    expect(outcome.state.items[0]?.quantity).toBe(5);
    expect(outcome.state.subtotalCents).toBe(5000);
  });

  test("the latest price wins for the whole line", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000), itemAdded("SKU-2", 1, 500, 2500))
      .when(add("SKU-1", 1, 1200, "Widget v2"));
    const event = onlyEvent(outcome, ItemAddedSchema);
    expect(event.quantity).toBe(3);
    expect(event.newSubtotal).toBe(3 * 1200 + 500);
    expect(outcome.state.items[0]).toMatchObject({
      productId: "SKU-1",
      name: "Widget v2",
      unitPriceCents: 1200,
    });
  });

  test("a free item (price 0) is accepted", () => {
    const outcome = cart()
      .given(created)
      .when(add("GIFT", 1, 0));
    expect(onlyEvent(outcome, ItemAddedSchema).newSubtotal).toBe(0);
  });

  test("fails on a missing cart, with zero quantity, and on a checked-out cart", () => {
    expectRejection(cart().when(add("SKU-1", 1, 1000)), Code.FailedPrecondition, "does not exist");
    expectRejection(
      cart()
        .given(created)
        .when(add("SKU-1", 0, 1000)),
      Code.InvalidArgument,
      "quantity",
    );
    expectRejection(
      cart()
        .given(created, itemAdded("SKU-1", 1, 1000, 1000), checkedOut(1000, 0))
        .when(add("SKU-2", 1, 1000)),
      Code.FailedPrecondition,
      "checked out",
    );
  });
});

describe("updating a quantity", () => {
  test("reports old and new quantity and the new subtotal (2 → 5 at 1000 gives 5000)", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000))
      .when(create(UpdateQuantitySchema, { productId: "SKU-1", newQuantity: 5 }));
    const event = onlyEvent(outcome, QuantityUpdatedSchema);
    expect(event).toMatchObject({ productId: "SKU-1", oldQuantity: 2, newQuantity: 5, newSubtotal: 5000 });
    expect(event.updatedAt).toBeDefined();
    expect(outcome.state.items[0]?.quantity).toBe(5);
    expect(outcome.state.subtotalCents).toBe(5000);
  });

  test("fails NOT_FOUND for a product not in the cart and INVALID_ARGUMENT for 0", () => {
    const given = cart().given(created, itemAdded("SKU-1", 2, 1000, 2000));
    expectRejection(
      given.when(create(UpdateQuantitySchema, { productId: "SKU-9", newQuantity: 1 })),
      Code.NotFound,
      "not in cart",
    );
    expectRejection(
      given.when(create(UpdateQuantitySchema, { productId: "SKU-1", newQuantity: 0 })),
      Code.InvalidArgument,
      "quantity",
    );
  });
});

describe("removing an item", () => {
  test("the only item leaves subtotal 0", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000))
      .when(create(RemoveItemSchema, { productId: "SKU-1" }));
    const event = onlyEvent(outcome, ItemRemovedSchema);
    expect(event).toMatchObject({ productId: "SKU-1", quantity: 2, newSubtotal: 0 });
    expect(event.removedAt).toBeDefined();
    expect(outcome.state.items).toEqual([]);
    expect(outcome.state.subtotalCents).toBe(0);
  });

  test("one of two lines leaves the other's amount (2500)", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000), itemAdded("SKU-2", 1, 2500, 4500))
      .when(create(RemoveItemSchema, { productId: "SKU-1" }));
    expect(onlyEvent(outcome, ItemRemovedSchema).newSubtotal).toBe(2500);
    expect(outcome.state.items.map((i) => i.productId)).toEqual(["SKU-2"]);
    expect(outcome.state.subtotalCents).toBe(2500);
  });

  test("a product not in the cart fails NOT_FOUND", () => {
    expectRejection(
      cart()
        .given(created, itemAdded("SKU-1", 2, 1000, 2000))
        .when(create(RemoveItemSchema, { productId: "SKU-2" })),
      Code.NotFound,
      "not in cart",
    );
  });
});

describe("coupons", () => {
  const with2000 = () => cart().given(created, itemAdded("SKU-1", 2, 1000, 2000));

  test("10 % of 2000 gives a 200 discount", () => {
    const outcome = with2000().when(coupon("SAVE10", "percentage", 10));
    const event = onlyEvent(outcome, CouponAppliedSchema);
    expect(event).toMatchObject({
      couponCode: "SAVE10",
      couponType: "percentage",
      value: 10,
      discountCents: 200,
    });
    expect(event.appliedAt).toBeDefined();
    expect(outcome.state.couponCode).toBe("SAVE10");
    expect(outcome.state.discountCents).toBe(200);
  });

  test("a fixed 500 coupon gives 500", () => {
    const outcome = with2000().when(coupon("FIVE", "fixed", 500));
    expect(onlyEvent(outcome, CouponAppliedSchema).discountCents).toBe(500);
  });

  test("a fixed coupon above the subtotal is capped at the subtotal", () => {
    const outcome = with2000().when(coupon("BIG", "fixed", 5000));
    expect(onlyEvent(outcome, CouponAppliedSchema).discountCents).toBe(2000);
  });

  test("a percentage rounds down (15 % of 999 → 149)", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 1, 999, 999))
      .when(coupon("P15", "percentage", 15));
    expect(onlyEvent(outcome, CouponAppliedSchema).discountCents).toBe(149);
  });

  test("100 % is allowed and discounts the whole subtotal", () => {
    const outcome = with2000().when(coupon("ALL", "percentage", 100));
    expect(onlyEvent(outcome, CouponAppliedSchema).discountCents).toBe(2000);
  });

  test("a second coupon fails already applied; an empty cart fails empty; a bad type fails INVALID_ARGUMENT", () => {
    expectRejection(
      cart()
        .given(created, itemAdded("SKU-1", 2, 1000, 2000), couponApplied("SAVE10", "percentage", 10, 200))
        .when(coupon("FIVE", "fixed", 500)),
      Code.FailedPrecondition,
      "already applied",
    );
    expectRejection(
      cart()
        .given(created)
        .when(coupon("SAVE10", "percentage", 10)),
      Code.FailedPrecondition,
      "empty",
    );
    expectRejection(with2000().when(coupon("X", "bogus", 10)), Code.InvalidArgument, "coupon type");
  });

  test("the discount is fixed when applied: later line changes do not recompute it", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000), couponApplied("SAVE10", "percentage", 10, 200))
      .when(add("SKU-2", 1, 3000));
    expect(onlyEvent(outcome, ItemAddedSchema).newSubtotal).toBe(5000);
    expect(outcome.state.discountCents).toBe(200);
    expect(outcome.state.couponCode).toBe("SAVE10");
  });
});

describe("clearing", () => {
  test("removes items and coupon: no items, subtotal 0, no coupon, discount 0", () => {
    const outcome = cart()
      .given(
        created,
        itemAdded("SKU-1", 2, 1000, 2000),
        itemAdded("SKU-2", 1, 2500, 4500),
        couponApplied("SAVE10", "percentage", 10, 450),
      )
      .when(create(ClearCartSchema));
    const event = onlyEvent(outcome, CartClearedSchema);
    expect(event.newSubtotal).toBe(0);
    expect(event.clearedAt).toBeDefined();
    expect(outcome.state).toMatchObject({
      subtotalCents: 0,
      couponCode: "",
      discountCents: 0,
      status: "active",
    });
    expect(outcome.state.items).toEqual([]);
  });

  test("an empty cart may be cleared", () => {
    const outcome = cart().given(created).when(create(ClearCartSchema));
    expect(onlyEvent(outcome, CartClearedSchema).newSubtotal).toBe(0);
  });

  test("a coupon may be applied again after clearing and re-adding", () => {
    const outcome = cart()
      .given(
        created,
        itemAdded("SKU-1", 2, 1000, 2000),
        couponApplied("SAVE10", "percentage", 10, 200),
        cartCleared(),
        itemAdded("SKU-1", 1, 1000, 1000),
      )
      .when(coupon("FIVE", "fixed", 500));
    expect(onlyEvent(outcome, CouponAppliedSchema).discountCents).toBe(500);
  });
});

describe("checkout", () => {
  test("reports the final subtotal (2000, no coupon) and discount 0, and sets checked_out", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000))
      .when(create(CheckoutSchema));
    const event = onlyEvent(outcome, CartCheckedOutSchema);
    expect(event).toMatchObject({ finalSubtotal: 2000, discountCents: 0 });
    expect(event.checkedOutAt).toBeDefined();
    expect(outcome.state.status).toBe("checked_out");
  });

  test("final subtotal is before the discount; the discount is reported", () => {
    const outcome = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000), couponApplied("SAVE10", "percentage", 10, 200))
      .when(create(CheckoutSchema));
    expect(onlyEvent(outcome, CartCheckedOutSchema)).toMatchObject({
      finalSubtotal: 2000,
      discountCents: 200,
    });
  });

  test("the discount is capped at the current subtotal (500 stored, subtotal now 300)", () => {
    const outcome = cart()
      .given(
        created,
        itemAdded("SKU-1", 2, 1000, 2000),
        couponApplied("FIVE", "fixed", 500, 500),
        itemRemoved("SKU-1", 2, 0),
        itemAdded("SKU-2", 1, 300, 300),
      )
      .when(create(CheckoutSchema));
    expect(onlyEvent(outcome, CartCheckedOutSchema)).toMatchObject({
      finalSubtotal: 300,
      discountCents: 300,
    });
    expect(outcome.state.discountCents).toBe(500);
  });

  test("an empty cart fails empty; a second checkout fails already checked out", () => {
    expectRejection(cart().given(created).when(create(CheckoutSchema)), Code.FailedPrecondition, "empty");
    expectRejection(
      cart()
        .given(created, itemAdded("SKU-1", 2, 1000, 2000), checkedOut(2000, 0))
        .when(create(CheckoutSchema)),
      Code.FailedPrecondition,
      "already checked out",
    );
  });
});

describe("rebuild reflects each stage", () => {
  test("created: active and empty", () => {
    const state = cart().given(created).state();
    expect(state).toMatchObject({ customerId: CUSTOMER, status: "active", subtotalCents: 0, couponCode: "" });
    expect(state.items).toEqual([]);
  });

  test("with items: count and subtotal", () => {
    const state = cart()
      .given(
        created,
        itemAdded("SKU-1", 2, 1000, 2000),
        itemAdded("SKU-2", 1, 2500, 4500),
        quantityUpdated("SKU-1", 2, 3, 5500),
      )
      .state();
    expect(state.items.map((i) => [i.productId, i.quantity])).toEqual([
      ["SKU-1", 3],
      ["SKU-2", 1],
    ]);
    expect(state.subtotalCents).toBe(5500);
  });

  test("with a coupon: code and discount", () => {
    const state = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000), couponApplied("SAVE10", "percentage", 10, 200))
      .state();
    expect(state.couponCode).toBe("SAVE10");
    expect(state.discountCents).toBe(200);
  });

  test("checked out", () => {
    const state = cart()
      .given(created, itemAdded("SKU-1", 2, 1000, 2000), checkedOut(2000, 0))
      .state();
    expect(state.status).toBe("checked_out");
  });
});
