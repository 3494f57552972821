// The customer aggregate (example-domains.md §2.2). Each command handler is pure and runs
// guard (state) → validate (input, then input against state) → compute (events of facts).
import {
  type AddLoyaltyPoints,
  AddLoyaltyPointsSchema,
  type CreateCustomer,
  CreateCustomerSchema,
  CustomerCreatedSchema,
  type CustomerState,
  CustomerStateSchema,
  LoyaltyPointsAddedSchema,
  LoyaltyPointsRedeemedSchema,
  type RedeemLoyaltyPoints,
  RedeemLoyaltyPointsSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, defineAggregate, guard, handle, validate } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import {
  CUSTOMER_ALREADY_EXISTS,
  CUSTOMER_DOES_NOT_EXIST,
  CUSTOMER_EMAIL_REQUIRED,
  CUSTOMER_NAME_REQUIRED,
  insufficientPoints,
  POINTS_MUST_BE_POSITIVE,
  pointsAlreadyCredited,
} from "./messages";
import { alreadyCredited, customerEvents, exists } from "./state";

function createCustomer(command: CreateCustomer, state: CustomerState, ctx: CommandContext): Message[] {
  guard(!exists(state), CUSTOMER_ALREADY_EXISTS);
  validate(command.name !== "", CUSTOMER_NAME_REQUIRED);
  validate(command.email !== "", CUSTOMER_EMAIL_REQUIRED);
  return [create(CustomerCreatedSchema, { name: command.name, email: command.email, createdAt: ctx.now })];
}

function addLoyaltyPoints(command: AddLoyaltyPoints, state: CustomerState, _ctx: CommandContext): Message[] {
  guard(exists(state), CUSTOMER_DOES_NOT_EXIST);
  validate(command.points > 0, POINTS_MUST_BE_POSITIVE);
  guard(!alreadyCredited(state, command.reference), pointsAlreadyCredited(command.reference));
  return [
    create(LoyaltyPointsAddedSchema, {
      points: command.points,
      newBalance: state.loyaltyPoints + command.points,
      reason: command.reason,
      reference: command.reference,
    }),
  ];
}

function redeemLoyaltyPoints(
  command: RedeemLoyaltyPoints,
  state: CustomerState,
  _ctx: CommandContext,
): Message[] {
  guard(exists(state), CUSTOMER_DOES_NOT_EXIST);
  validate(command.points > 0, POINTS_MUST_BE_POSITIVE);
  guard(command.points <= state.loyaltyPoints, insufficientPoints(state.loyaltyPoints, command.points));
  return [
    create(LoyaltyPointsRedeemedSchema, {
      points: command.points,
      newBalance: state.loyaltyPoints - command.points,
      redemptionType: command.redemptionType,
    }),
  ];
}

export const customerAggregate = defineAggregate({
  domain: "customer",
  state: CustomerStateSchema,
  events: customerEvents,
  commands: [
    handle(CreateCustomerSchema, createCustomer),
    handle(AddLoyaltyPointsSchema, addLoyaltyPoints),
    handle(RedeemLoyaltyPointsSchema, redeemLoyaltyPoints),
  ],
});
