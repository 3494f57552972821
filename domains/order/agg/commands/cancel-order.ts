// CancelOrder: from pending or payment_submitted. The event carries what the compensating sagas
// need (items to release, points to refund, customer and cart roots).
import {
  type CancelOrder,
  CancelOrderSchema,
  type OrderCancelled,
  OrderCancelledSchema,
  type OrderState,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { notCancelled, notCompleted, orderExists } from "./guards";

function guardState(state: OrderState): void {
  orderExists(state);
  notCompleted(state);
  notCancelled(state);
}

function validateInput(command: CancelOrder): void {
  validate(command.reason !== "", Msg.CANCELLATION_REASON_REQUIRED);
}

function compute(command: CancelOrder, state: OrderState, context: CommandContext): OrderCancelled {
  return create(OrderCancelledSchema, {
    reason: command.reason,
    cancelledAt: context.now,
    loyaltyPointsUsed: state.loyaltyPointsUsed,
    customerRoot: state.customerRoot,
    items: state.items,
    cartRoot: state.cartRoot,
  });
}

export const cancelOrder = handle(CancelOrderSchema, (command, state: OrderState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, state, context)];
});
