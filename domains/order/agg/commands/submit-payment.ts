// SubmitPayment: the customer pays exactly the order total (subtotal less discount).
import {
  type OrderState,
  type PaymentSubmitted,
  PaymentSubmittedSchema,
  type SubmitPayment,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { OrderStatus, total } from "../state";
import { notCancelled, orderExists } from "./guards";

function guardState(state: OrderState): void {
  orderExists(state);
  notCancelled(state);
  guard(
    state.status !== OrderStatus.PAYMENT_SUBMITTED && state.status !== OrderStatus.COMPLETED,
    Msg.PAYMENT_ALREADY_SUBMITTED,
  );
}

function validateInput(command: SubmitPayment, state: OrderState): void {
  validate(command.paymentMethod !== "", Msg.PAYMENT_METHOD_REQUIRED);
  const expected = total(state);
  validate(command.amountCents === expected, Msg.paymentAmountMismatch(expected, command.amountCents));
}

function compute(command: SubmitPayment, context: CommandContext): PaymentSubmitted {
  return create(PaymentSubmittedSchema, {
    paymentMethod: command.paymentMethod,
    amountCents: command.amountCents,
    submittedAt: context.now,
  });
}

export const submitPayment = handle(SubmitPaymentSchema, (command, state: OrderState, context) => {
  guardState(state);
  validateInput(command, state);
  return [compute(command, context)];
});
