// Guards and input checks shared by the inventory commands.
import type { InventoryState } from "@angzarr/proto/examples.ts";
import { guard, require, validate } from "@angzarr/sdk";
import * as Msg from "../messages";
import { exists, reservationOf } from "../state";

export function initialized(state: InventoryState): void {
  guard(exists(state), Msg.NOT_INITIALIZED);
}

export function orderIdGiven(orderId: string): void {
  validate(orderId !== "", Msg.ORDER_ID_REQUIRED);
}

/** The quantity held for `orderId`; NOT_FOUND when there is none. */
export function heldFor(state: InventoryState, orderId: string): number {
  const held = reservationOf(state, orderId);
  require(held !== undefined, Msg.RESERVATION_NOT_FOUND);
  return held;
}
