// MarkPacked: a packer has boxed the picked items.
import {
  type FulfillmentState,
  type ItemsPacked,
  ItemsPackedSchema,
  type MarkPacked,
  MarkPackedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { ShipmentStatus } from "../state";
import { inStatus, shipmentExists } from "./guards";

function guardState(state: FulfillmentState): void {
  shipmentExists(state);
  inStatus(state, ShipmentStatus.PICKING, Msg.NOT_PICKED);
}

function validateInput(command: MarkPacked): void {
  validate(command.packerId !== "", Msg.PACKER_ID_REQUIRED);
}

function compute(command: MarkPacked, context: CommandContext): ItemsPacked {
  return create(ItemsPackedSchema, { packerId: command.packerId, packedAt: context.now });
}

export const markPacked = handle(MarkPackedSchema, (command, state: FulfillmentState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, context)];
});
