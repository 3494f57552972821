// ReceiveStock: goods arrive; on-hand grows by the received quantity.
import {
  type InventoryState,
  type ReceiveStock,
  ReceiveStockSchema,
  type StockReceived,
  StockReceivedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { initialized } from "./guards";

function validateInput(command: ReceiveStock): void {
  validate(command.quantity > 0, Msg.QUANTITY_NOT_POSITIVE);
}

function compute(command: ReceiveStock, state: InventoryState, context: CommandContext): StockReceived {
  return create(StockReceivedSchema, {
    quantity: command.quantity,
    newOnHand: state.onHand + command.quantity,
    reference: command.reference,
    receivedAt: context.now,
  });
}

export const receiveStock = handle(ReceiveStockSchema, (command, state: InventoryState, context) => {
  initialized(state);
  validateInput(command);
  return [compute(command, state, context)];
});
