// State guards shared by the order commands; each command calls them in its table's order.
import type { OrderState } from "@angzarr/proto/examples.ts";
import { guard } from "@angzarr/sdk";
import * as Msg from "../messages";
import { exists, OrderStatus } from "../state";

export function orderExists(state: OrderState): void {
  guard(exists(state), Msg.ORDER_DOES_NOT_EXIST);
}

export function notCancelled(state: OrderState): void {
  guard(state.status !== OrderStatus.CANCELLED, Msg.ORDER_ALREADY_CANCELLED);
}

export function notCompleted(state: OrderState): void {
  guard(state.status !== OrderStatus.COMPLETED, Msg.ORDER_ALREADY_COMPLETED);
}
