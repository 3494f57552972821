// CreateOrder: opens a pending order with its lines and their subtotal.
import {
  type CreateOrder,
  CreateOrderSchema,
  type LineItem,
  type OrderCreated,
  OrderCreatedSchema,
  type OrderState,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { exists } from "../state";

/** Subtotal = Σ quantity × unit price. */
export const subtotalOf = (items: LineItem[]): number =>
  items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);

const isEmptyOrUuid = (bytes: Uint8Array): boolean => bytes.length === 0 || bytes.length === 16;

function guardState(state: OrderState): void {
  guard(!exists(state), Msg.ORDER_ALREADY_EXISTS);
}

function validateInput(command: CreateOrder): void {
  validate(command.customerId !== "", Msg.CUSTOMER_ID_REQUIRED);
  validate(command.items.length > 0, Msg.ITEMS_REQUIRED);
  validate(
    command.items.every((item) => item.productId !== ""),
    Msg.ITEM_PRODUCT_ID_REQUIRED,
  );
  validate(
    command.items.every((item) => item.quantity > 0),
    Msg.ITEM_QUANTITY_NOT_POSITIVE,
  );
  validate(
    command.items.every((item) => item.unitPriceCents >= 0),
    Msg.ITEM_PRICE_NEGATIVE,
  );
  validate(isEmptyOrUuid(command.customerRoot), Msg.CUSTOMER_ROOT_INVALID);
  validate(isEmptyOrUuid(command.cartRoot), Msg.CART_ROOT_INVALID);
}

function compute(command: CreateOrder, context: CommandContext): OrderCreated {
  return create(OrderCreatedSchema, {
    customerId: command.customerId,
    items: command.items,
    subtotalCents: subtotalOf(command.items),
    createdAt: context.now,
    customerRoot: command.customerRoot,
    cartRoot: command.cartRoot,
  });
}

export const createOrder = handle(CreateOrderSchema, (command, state: OrderState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, context)];
});
