// The cart aggregate (example-domains.md §2.1). Each command handler is pure and runs
// guard (state) → validate (input, then input against state) → compute (events of facts).
import {
  type AddItem,
  AddItemSchema,
  type ApplyCoupon,
  ApplyCouponSchema,
  CartCheckedOutSchema,
  CartClearedSchema,
  CartCreatedSchema,
  type CartItem,
  type CartState,
  CartStateSchema,
  type Checkout,
  CheckoutSchema,
  type ClearCart,
  ClearCartSchema,
  CouponAppliedSchema,
  type CreateCart,
  CreateCartSchema,
  ItemAddedSchema,
  ItemRemovedSchema,
  QuantityUpdatedSchema,
  type RemoveItem,
  RemoveItemSchema,
  type UpdateQuantity,
  UpdateQuantitySchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, defineAggregate, guard, handle, require, validate } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import {
  CART_ALREADY_CHECKED_OUT,
  CART_ALREADY_EXISTS,
  CART_DOES_NOT_EXIST,
  CART_IS_EMPTY,
  COUPON_ALREADY_APPLIED,
  COUPON_CODE_REQUIRED,
  COUPON_TYPE_INVALID,
  COUPON_VALUE_MUST_BE_POSITIVE,
  CUSTOMER_ID_REQUIRED,
  ITEM_NOT_IN_CART,
  PERCENTAGE_TOO_HIGH,
  PRODUCT_ID_REQUIRED,
  QUANTITY_MUST_BE_POSITIVE,
  UNIT_PRICE_NEGATIVE,
} from "./messages";
import { cartEvents, exists, STATUS_CHECKED_OUT } from "./state";

export const COUPON_PERCENTAGE = "percentage";
export const COUPON_FIXED = "fixed";

type Line = Pick<CartItem, "productId" | "quantity" | "unitPriceCents">;

// ---- shared pieces -------------------------------------------------------------------------

/** Guard shared by every command that changes an open cart. */
function guardOpenCart(state: CartState): void {
  guard(exists(state), CART_DOES_NOT_EXIST);
  guard(state.status !== STATUS_CHECKED_OUT, CART_ALREADY_CHECKED_OUT);
}

function findLine(state: CartState, productId: string): CartItem | undefined {
  return state.items.find((item) => item.productId === productId);
}

/** Subtotal = Σ quantity × unit price. */
export function subtotalOf(lines: readonly Line[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
}

/** The lines with `line` replacing the product's current line, or appended. */
function withLine(lines: readonly Line[], line: Line): Line[] {
  const found = lines.some((l) => l.productId === line.productId);
  return found ? lines.map((l) => (l.productId === line.productId ? line : l)) : [...lines, line];
}

function withoutLine(lines: readonly Line[], productId: string): Line[] {
  return lines.filter((l) => l.productId !== productId);
}

/** Percentage: subtotal × value / 100 rounded down; fixed: capped at the subtotal. */
export function couponDiscount(couponType: string, value: number, subtotal: number): number {
  if (couponType === COUPON_PERCENTAGE) return Math.floor((subtotal * value) / 100);
  return Math.min(value, subtotal);
}

// ---- commands ------------------------------------------------------------------------------

function createCart(command: CreateCart, state: CartState, ctx: CommandContext): Message[] {
  guard(!exists(state), CART_ALREADY_EXISTS);
  validate(command.customerId !== "", CUSTOMER_ID_REQUIRED);
  return [create(CartCreatedSchema, { customerId: command.customerId, createdAt: ctx.now })];
}

function addItem(command: AddItem, state: CartState, ctx: CommandContext): Message[] {
  guardOpenCart(state);
  validate(command.productId !== "", PRODUCT_ID_REQUIRED);
  validate(command.quantity > 0, QUANTITY_MUST_BE_POSITIVE);
  validate(command.unitPriceCents >= 0, UNIT_PRICE_NEGATIVE);
  const quantity = (findLine(state, command.productId)?.quantity ?? 0) + command.quantity;
  const line = { productId: command.productId, quantity, unitPriceCents: command.unitPriceCents };
  return [
    create(ItemAddedSchema, {
      productId: command.productId,
      name: command.name,
      quantity,
      unitPriceCents: command.unitPriceCents,
      newSubtotal: subtotalOf(withLine(state.items, line)),
      addedAt: ctx.now,
    }),
  ];
}

function updateQuantity(command: UpdateQuantity, state: CartState, ctx: CommandContext): Message[] {
  guardOpenCart(state);
  validate(command.newQuantity > 0, QUANTITY_MUST_BE_POSITIVE);
  const current = findLine(state, command.productId);
  require(current !== undefined, ITEM_NOT_IN_CART);
  const line = { ...current, quantity: command.newQuantity };
  return [
    create(QuantityUpdatedSchema, {
      productId: command.productId,
      oldQuantity: current.quantity,
      newQuantity: command.newQuantity,
      newSubtotal: subtotalOf(withLine(state.items, line)),
      updatedAt: ctx.now,
    }),
  ];
}

function removeItem(command: RemoveItem, state: CartState, ctx: CommandContext): Message[] {
  guardOpenCart(state);
  const current = findLine(state, command.productId);
  require(current !== undefined, ITEM_NOT_IN_CART);
  return [
    create(ItemRemovedSchema, {
      productId: command.productId,
      quantity: current.quantity,
      newSubtotal: subtotalOf(withoutLine(state.items, command.productId)),
      removedAt: ctx.now,
    }),
  ];
}

function applyCoupon(command: ApplyCoupon, state: CartState, ctx: CommandContext): Message[] {
  guardOpenCart(state);
  guard(state.couponCode === "", COUPON_ALREADY_APPLIED);
  validate(command.code !== "", COUPON_CODE_REQUIRED);
  validate(
    command.couponType === COUPON_PERCENTAGE || command.couponType === COUPON_FIXED,
    COUPON_TYPE_INVALID,
  );
  validate(command.value > 0, COUPON_VALUE_MUST_BE_POSITIVE);
  validate(command.couponType !== COUPON_PERCENTAGE || command.value <= 100, PERCENTAGE_TOO_HIGH);
  guard(state.items.length > 0, CART_IS_EMPTY);
  return [
    create(CouponAppliedSchema, {
      couponCode: command.code,
      couponType: command.couponType,
      value: command.value,
      discountCents: couponDiscount(command.couponType, command.value, state.subtotalCents),
      appliedAt: ctx.now,
    }),
  ];
}

function clearCart(_command: ClearCart, state: CartState, ctx: CommandContext): Message[] {
  guardOpenCart(state);
  return [create(CartClearedSchema, { newSubtotal: 0, clearedAt: ctx.now })];
}

function checkout(_command: Checkout, state: CartState, ctx: CommandContext): Message[] {
  guardOpenCart(state);
  guard(state.items.length > 0, CART_IS_EMPTY);
  return [
    create(CartCheckedOutSchema, {
      finalSubtotal: state.subtotalCents,
      discountCents: Math.min(state.discountCents, state.subtotalCents),
      checkedOutAt: ctx.now,
    }),
  ];
}

export const cartAggregate = defineAggregate({
  domain: "cart",
  state: CartStateSchema,
  events: cartEvents,
  commands: [
    handle(CreateCartSchema, createCart),
    handle(AddItemSchema, addItem),
    handle(UpdateQuantitySchema, updateQuantity),
    handle(RemoveItemSchema, removeItem),
    handle(ApplyCouponSchema, applyCoupon),
    handle(ClearCartSchema, clearCart),
    handle(CheckoutSchema, checkout),
  ],
});
