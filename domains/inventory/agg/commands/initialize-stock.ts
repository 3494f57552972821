// InitializeStock: opens the stock record of one product (0 units allowed).
import {
  type InitializeStock,
  InitializeStockSchema,
  type InventoryState,
  type StockInitialized,
  StockInitializedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { exists } from "../state";

function guardState(state: InventoryState): void {
  guard(!exists(state), Msg.ALREADY_INITIALIZED);
}

function validateInput(command: InitializeStock): void {
  validate(command.productId !== "", Msg.PRODUCT_ID_REQUIRED);
  validate(command.quantity >= 0, Msg.QUANTITY_NEGATIVE);
  validate(command.lowStockThreshold >= 0, Msg.THRESHOLD_NEGATIVE);
}

function compute(command: InitializeStock, context: CommandContext): StockInitialized {
  return create(StockInitializedSchema, {
    productId: command.productId,
    quantity: command.quantity,
    lowStockThreshold: command.lowStockThreshold,
    initializedAt: context.now,
  });
}

export const initializeStock = handle(InitializeStockSchema, (command, state: InventoryState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, context)];
});
