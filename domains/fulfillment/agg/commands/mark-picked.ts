// MarkPicked: a picker has collected the items of a pending shipment.
import {
  type FulfillmentState,
  type ItemsPicked,
  ItemsPickedSchema,
  type MarkPicked,
  MarkPickedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { ShipmentStatus } from "../state";
import { inStatus, shipmentExists } from "./guards";

function guardState(state: FulfillmentState): void {
  shipmentExists(state);
  inStatus(state, ShipmentStatus.PENDING, Msg.NOT_PENDING);
}

function validateInput(command: MarkPicked): void {
  validate(command.pickerId !== "", Msg.PICKER_ID_REQUIRED);
}

function compute(command: MarkPicked, context: CommandContext): ItemsPicked {
  return create(ItemsPickedSchema, { pickerId: command.pickerId, pickedAt: context.now });
}

export const markPicked = handle(MarkPickedSchema, (command, state: FulfillmentState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, context)];
});
