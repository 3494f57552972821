// ConfirmPayment: completes a paid order. The event carries everything the downstream sagas need
// (items, customer and cart roots, points earned).
import {
  type ConfirmPayment,
  ConfirmPaymentSchema,
  type OrderCompleted,
  OrderCompletedSchema,
  type OrderState,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { OrderStatus, total } from "../state";
import { notCancelled, notCompleted, orderExists } from "./guards";

/** One loyalty point per whole 100 cents of the final total. */
export const loyaltyPointsFor = (finalTotalCents: number): number => Math.floor(finalTotalCents / 100);

function guardState(state: OrderState): void {
  orderExists(state);
  notCompleted(state);
  notCancelled(state);
  guard(state.status !== OrderStatus.PENDING, Msg.PAYMENT_NOT_SUBMITTED);
}

function validateInput(command: ConfirmPayment): void {
  validate(command.paymentReference !== "", Msg.PAYMENT_REFERENCE_REQUIRED);
}

function compute(command: ConfirmPayment, state: OrderState, context: CommandContext): OrderCompleted {
  const finalTotalCents = total(state);
  return create(OrderCompletedSchema, {
    finalTotalCents,
    paymentMethod: state.paymentMethod,
    paymentReference: command.paymentReference,
    loyaltyPointsEarned: loyaltyPointsFor(finalTotalCents),
    completedAt: context.now,
    customerRoot: state.customerRoot,
    cartRoot: state.cartRoot,
    items: state.items,
  });
}

export const confirmPayment = handle(ConfirmPaymentSchema, (command, state: OrderState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, state, context)];
});
