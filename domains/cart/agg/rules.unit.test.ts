// Every row of the cart rule table (example-domains.md §2.1): code and exact message, plus the
// check order where two rules could both fail.
import { describe, expect, test } from "bun:test";
import {
  AddItemSchema,
  ApplyCouponSchema,
  CheckoutSchema,
  ClearCartSchema,
  CreateCartSchema,
  RemoveItemSchema,
  UpdateQuantitySchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { cartAggregate } from "./aggregate";
import { cartCreated, checkedOut, couponApplied, itemAdded } from "./fixtures";
import * as M from "./messages";

interface Row {
  rule: string;
  given: Message[];
  when: Message;
  code: Code;
  message: string;
}

const created = cartCreated();
const withItem = [created, itemAdded("SKU-1", 2, 1000, 2000)];
const checkedOutCart = [...withItem, checkedOut(2000, 0)];
const add = (productId: string, quantity: number, unitPriceCents = 1000) =>
  create(AddItemSchema, { productId, name: "Widget", quantity, unitPriceCents });
const update = (productId: string, newQuantity: number) =>
  create(UpdateQuantitySchema, { productId, newQuantity });
const remove = (productId: string) => create(RemoveItemSchema, { productId });
const coupon = (code: string, couponType: string, value: number) =>
  create(ApplyCouponSchema, { code, couponType, value });
const FP = Code.FailedPrecondition;
const IA = Code.InvalidArgument;
const NF = Code.NotFound;

const rows: Row[] = [
  // CreateCart
  {
    rule: "CreateCart: exists",
    given: [created],
    when: create(CreateCartSchema, { customerId: "CUST-001" }),
    code: FP,
    message: M.CART_ALREADY_EXISTS,
  },
  {
    rule: "CreateCart: customer_id empty",
    given: [],
    when: create(CreateCartSchema, { customerId: "" }),
    code: IA,
    message: M.CUSTOMER_ID_REQUIRED,
  },
  // AddItem
  { rule: "AddItem: not exists", given: [], when: add("SKU-1", 1), code: FP, message: M.CART_DOES_NOT_EXIST },
  {
    rule: "AddItem: checked out",
    given: checkedOutCart,
    when: add("SKU-1", 1),
    code: FP,
    message: M.CART_ALREADY_CHECKED_OUT,
  },
  {
    rule: "AddItem: product_id empty",
    given: [created],
    when: add("", 1),
    code: IA,
    message: M.PRODUCT_ID_REQUIRED,
  },
  {
    rule: "AddItem: quantity 0",
    given: [created],
    when: add("SKU-1", 0),
    code: IA,
    message: M.QUANTITY_MUST_BE_POSITIVE,
  },
  {
    rule: "AddItem: quantity negative",
    given: [created],
    when: add("SKU-1", -3),
    code: IA,
    message: M.QUANTITY_MUST_BE_POSITIVE,
  },
  {
    rule: "AddItem: unit price negative",
    given: [created],
    when: add("SKU-1", 1, -1),
    code: IA,
    message: M.UNIT_PRICE_NEGATIVE,
  },
  // UpdateQuantity
  {
    rule: "UpdateQuantity: not exists",
    given: [],
    when: update("SKU-1", 3),
    code: FP,
    message: M.CART_DOES_NOT_EXIST,
  },
  {
    rule: "UpdateQuantity: checked out",
    given: checkedOutCart,
    when: update("SKU-1", 3),
    code: FP,
    message: M.CART_ALREADY_CHECKED_OUT,
  },
  {
    rule: "UpdateQuantity: new_quantity 0",
    given: withItem,
    when: update("SKU-1", 0),
    code: IA,
    message: M.QUANTITY_MUST_BE_POSITIVE,
  },
  {
    rule: "UpdateQuantity: new_quantity negative",
    given: withItem,
    when: update("SKU-1", -1),
    code: IA,
    message: M.QUANTITY_MUST_BE_POSITIVE,
  },
  {
    rule: "UpdateQuantity: product not in cart",
    given: withItem,
    when: update("SKU-9", 3),
    code: NF,
    message: M.ITEM_NOT_IN_CART,
  },
  // RemoveItem
  {
    rule: "RemoveItem: not exists",
    given: [],
    when: remove("SKU-1"),
    code: FP,
    message: M.CART_DOES_NOT_EXIST,
  },
  {
    rule: "RemoveItem: checked out",
    given: checkedOutCart,
    when: remove("SKU-1"),
    code: FP,
    message: M.CART_ALREADY_CHECKED_OUT,
  },
  {
    rule: "RemoveItem: product not in cart",
    given: withItem,
    when: remove("SKU-9"),
    code: NF,
    message: M.ITEM_NOT_IN_CART,
  },
  // ApplyCoupon
  {
    rule: "ApplyCoupon: not exists",
    given: [],
    when: coupon("SAVE10", "percentage", 10),
    code: FP,
    message: M.CART_DOES_NOT_EXIST,
  },
  {
    rule: "ApplyCoupon: checked out",
    given: checkedOutCart,
    when: coupon("SAVE10", "percentage", 10),
    code: FP,
    message: M.CART_ALREADY_CHECKED_OUT,
  },
  {
    rule: "ApplyCoupon: coupon already set",
    given: [...withItem, couponApplied("SAVE10", "percentage", 10, 200)],
    when: coupon("FIVE", "fixed", 500),
    code: FP,
    message: M.COUPON_ALREADY_APPLIED,
  },
  {
    rule: "ApplyCoupon: code empty",
    given: withItem,
    when: coupon("", "percentage", 10),
    code: IA,
    message: M.COUPON_CODE_REQUIRED,
  },
  {
    rule: "ApplyCoupon: unknown type",
    given: withItem,
    when: coupon("X", "bogo", 10),
    code: IA,
    message: M.COUPON_TYPE_INVALID,
  },
  {
    rule: "ApplyCoupon: type empty",
    given: withItem,
    when: coupon("X", "", 10),
    code: IA,
    message: M.COUPON_TYPE_INVALID,
  },
  {
    rule: "ApplyCoupon: value 0",
    given: withItem,
    when: coupon("X", "fixed", 0),
    code: IA,
    message: M.COUPON_VALUE_MUST_BE_POSITIVE,
  },
  {
    rule: "ApplyCoupon: value negative",
    given: withItem,
    when: coupon("X", "percentage", -5),
    code: IA,
    message: M.COUPON_VALUE_MUST_BE_POSITIVE,
  },
  {
    rule: "ApplyCoupon: percentage above 100",
    given: withItem,
    when: coupon("X", "percentage", 101),
    code: IA,
    message: M.PERCENTAGE_TOO_HIGH,
  },
  {
    rule: "ApplyCoupon: no items",
    given: [created],
    when: coupon("SAVE10", "percentage", 10),
    code: FP,
    message: M.CART_IS_EMPTY,
  },
  // ClearCart
  {
    rule: "ClearCart: not exists",
    given: [],
    when: create(ClearCartSchema),
    code: FP,
    message: M.CART_DOES_NOT_EXIST,
  },
  {
    rule: "ClearCart: checked out",
    given: checkedOutCart,
    when: create(ClearCartSchema),
    code: FP,
    message: M.CART_ALREADY_CHECKED_OUT,
  },
  // Checkout
  {
    rule: "Checkout: not exists",
    given: [],
    when: create(CheckoutSchema),
    code: FP,
    message: M.CART_DOES_NOT_EXIST,
  },
  {
    rule: "Checkout: checked out",
    given: checkedOutCart,
    when: create(CheckoutSchema),
    code: FP,
    message: M.CART_ALREADY_CHECKED_OUT,
  },
  {
    rule: "Checkout: no items",
    given: [created],
    when: create(CheckoutSchema),
    code: FP,
    message: M.CART_IS_EMPTY,
  },
  // Check order: the first failing rule wins.
  {
    rule: "order: exists before customer_id",
    given: [created],
    when: create(CreateCartSchema, { customerId: "" }),
    code: FP,
    message: M.CART_ALREADY_EXISTS,
  },
  {
    rule: "order: checked out before bad input",
    given: checkedOutCart,
    when: add("", 0),
    code: FP,
    message: M.CART_ALREADY_CHECKED_OUT,
  },
  {
    rule: "order: product_id before quantity",
    given: [created],
    when: add("", 0, -1),
    code: IA,
    message: M.PRODUCT_ID_REQUIRED,
  },
  {
    rule: "order: quantity before price",
    given: [created],
    when: add("SKU-1", 0, -1),
    code: IA,
    message: M.QUANTITY_MUST_BE_POSITIVE,
  },
  {
    rule: "order: new_quantity before not-in-cart",
    given: withItem,
    when: update("SKU-9", 0),
    code: IA,
    message: M.QUANTITY_MUST_BE_POSITIVE,
  },
  {
    rule: "order: coupon set before code empty",
    given: [...withItem, couponApplied("A", "fixed", 5, 5)],
    when: coupon("", "", 0),
    code: FP,
    message: M.COUPON_ALREADY_APPLIED,
  },
  {
    rule: "order: type before value",
    given: withItem,
    when: coupon("X", "bogo", 0),
    code: IA,
    message: M.COUPON_TYPE_INVALID,
  },
  {
    rule: "order: input before empty cart",
    given: [created],
    when: coupon("X", "percentage", 150),
    code: IA,
    message: M.PERCENTAGE_TOO_HIGH,
  },
  {
    rule: "order: fixed coupon has no 100 limit",
    given: [created],
    when: coupon("X", "fixed", 150),
    code: FP,
    message: M.CART_IS_EMPTY,
  },
];

describe("cart rule table", () => {
  for (const row of rows) {
    test(`${row.rule} → ${Code[row.code]} "${row.message}"`, () => {
      const outcome = spec(cartAggregate)
        .given(...row.given)
        .when(row.when);
      expectRejection(outcome, row.code, row.message);
      expect(outcome.error?.rawMessage).toBe(row.message);
      expect(outcome.events).toEqual([]);
    });
  }
});
