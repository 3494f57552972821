// ReserveStock: holds units for one order (one reservation per order). When the reservation leaves
// available stock below a positive threshold, a LowStockAlert follows in the same response.
import {
  type InventoryState,
  type LowStockAlert,
  LowStockAlertSchema,
  type ReserveStock,
  ReserveStockSchema,
  type StockReserved,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle, validate } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { available, reservationOf } from "../state";
import { initialized, orderIdGiven } from "./guards";

/** True when a positive threshold is set and `availableAfter` is below it. */
export const isLowStock = (availableAfter: number, threshold: number): boolean =>
  threshold > 0 && availableAfter < threshold;

function validateInput(command: ReserveStock, state: InventoryState): void {
  validate(command.quantity > 0, Msg.QUANTITY_NOT_POSITIVE);
  orderIdGiven(command.orderId);
  guard(reservationOf(state, command.orderId) === undefined, Msg.RESERVATION_EXISTS);
  const free = available(state);
  guard(command.quantity <= free, Msg.insufficientStock(free, command.quantity));
}

function reserved(command: ReserveStock, state: InventoryState, context: CommandContext): StockReserved {
  return create(StockReservedSchema, {
    quantity: command.quantity,
    orderId: command.orderId,
    newAvailable: available(state) - command.quantity,
    reservedAt: context.now,
    newReserved: state.reserved + command.quantity,
    newOnHand: state.onHand,
  });
}

function lowStockAlert(
  state: InventoryState,
  availableAfter: number,
  context: CommandContext,
): LowStockAlert {
  return create(LowStockAlertSchema, {
    productId: state.productId,
    available: availableAfter,
    threshold: state.lowStockThreshold,
    alertedAt: context.now,
  });
}

function compute(command: ReserveStock, state: InventoryState, context: CommandContext): Message[] {
  const event = reserved(command, state, context);
  if (!isLowStock(event.newAvailable, state.lowStockThreshold)) return [event];
  return [event, lowStockAlert(state, event.newAvailable, context)];
}

export const reserveStock = handle(ReserveStockSchema, (command, state: InventoryState, context) => {
  initialized(state);
  validateInput(command, state);
  return compute(command, state, context);
});
