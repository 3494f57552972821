// ApplyLoyaltyDiscount: records points spent (already redeemed on the customer) as a discount.
// Only one, only while pending, never above the subtotal.
import {
  type ApplyLoyaltyDiscount,
  ApplyLoyaltyDiscountSchema,
  type LoyaltyDiscountApplied,
  LoyaltyDiscountAppliedSchema,
  type OrderState,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { OrderStatus } from "../state";
import { notCancelled, notCompleted, orderExists } from "./guards";

function guardState(state: OrderState): void {
  orderExists(state);
  notCancelled(state);
  notCompleted(state);
  guard(state.status !== OrderStatus.PAYMENT_SUBMITTED, Msg.PAYMENT_ALREADY_SUBMITTED);
  guard(state.loyaltyPointsUsed <= 0, Msg.DISCOUNT_ALREADY_APPLIED);
}

function validateInput(command: ApplyLoyaltyDiscount, state: OrderState): void {
  validate(command.points > 0, Msg.POINTS_NOT_POSITIVE);
  validate(command.discountCents > 0, Msg.DISCOUNT_NOT_POSITIVE);
  validate(command.discountCents <= state.subtotalCents, Msg.DISCOUNT_EXCEEDS_SUBTOTAL);
}

function compute(command: ApplyLoyaltyDiscount, context: CommandContext): LoyaltyDiscountApplied {
  return create(LoyaltyDiscountAppliedSchema, {
    pointsUsed: command.points,
    discountCents: command.discountCents,
    appliedAt: context.now,
  });
}

export const applyLoyaltyDiscount = handle(
  ApplyLoyaltyDiscountSchema,
  (command, state: OrderState, context) => {
    guardState(state);
    validateInput(command, state);
    return [compute(command, context)];
  },
);
