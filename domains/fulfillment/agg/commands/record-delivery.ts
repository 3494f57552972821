// RecordDelivery: the customer signed for the shipment. "Already delivered" is checked before
// "not shipped", so a second delivery names the real reason.
import {
  type Delivered,
  DeliveredSchema,
  type FulfillmentState,
  type RecordDelivery,
  RecordDeliverySchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { ShipmentStatus } from "../state";
import { inStatus, shipmentExists } from "./guards";

function guardState(state: FulfillmentState): void {
  shipmentExists(state);
  guard(state.status !== ShipmentStatus.DELIVERED, Msg.ALREADY_DELIVERED);
  inStatus(state, ShipmentStatus.SHIPPED, Msg.NOT_SHIPPED);
}

function compute(command: RecordDelivery, context: CommandContext): Delivered {
  return create(DeliveredSchema, { signature: command.signature, deliveredAt: context.now });
}

export const recordDelivery = handle(RecordDeliverySchema, (command, state: FulfillmentState, context) => {
  guardState(state);
  return [compute(command, context)];
});
