// How each customer event applies to CustomerState. Events carry facts (the new balance), so
// applying assigns; the one accumulation is lifetime_points, which counts every credit.
import {
  type CustomerCreated,
  CustomerCreatedSchema,
  type CustomerState,
  type LoyaltyPointsAdded,
  LoyaltyPointsAddedSchema,
  type LoyaltyPointsRedeemed,
  LoyaltyPointsRedeemedSchema,
} from "@angzarr/proto/examples.ts";
import { on } from "@angzarr/sdk";

/** A customer exists once created with an e-mail. */
export const exists = (state: CustomerState): boolean => state.email !== "";

/** True when a non-empty reference has already been credited. */
export const alreadyCredited = (state: CustomerState, reference: string): boolean =>
  reference !== "" && state.creditedReferences.includes(reference);

export function applyCustomerCreated(state: CustomerState, event: CustomerCreated): void {
  state.name = event.name;
  state.email = event.email;
  state.loyaltyPoints = 0;
  state.lifetimePoints = 0;
  state.creditedReferences = [];
}

/** Balance from the fact; lifetime counts every credit, refunds included; references recorded. */
export function applyLoyaltyPointsAdded(state: CustomerState, event: LoyaltyPointsAdded): void {
  state.loyaltyPoints = event.newBalance;
  state.lifetimePoints += event.points;
  if (event.reference !== "" && !state.creditedReferences.includes(event.reference)) {
    state.creditedReferences.push(event.reference);
  }
}

/** Redemptions lower the balance and never the lifetime points. */
export function applyLoyaltyPointsRedeemed(state: CustomerState, event: LoyaltyPointsRedeemed): void {
  state.loyaltyPoints = event.newBalance;
}

export const customerEvents = [
  on(CustomerCreatedSchema, applyCustomerCreated),
  on(LoyaltyPointsAddedSchema, applyLoyaltyPointsAdded),
  on(LoyaltyPointsRedeemedSchema, applyLoyaltyPointsRedeemed),
];
