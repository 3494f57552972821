// Ship: a carrier takes the packed shipment. The tracking number is optional (the process manager
// ships without one). The event copies the items and order id so that the inventory saga can
// commit the reservations from this event alone.
import {
  type FulfillmentState,
  type Ship,
  type Shipped,
  ShippedSchema,
  ShipSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { ShipmentStatus } from "../state";
import { inStatus, shipmentExists } from "./guards";

function guardState(state: FulfillmentState): void {
  shipmentExists(state);
  inStatus(state, ShipmentStatus.PACKING, Msg.NOT_PACKED);
}

function validateInput(command: Ship): void {
  validate(command.carrier !== "", Msg.CARRIER_REQUIRED);
}

function compute(command: Ship, state: FulfillmentState, context: CommandContext): Shipped {
  return create(ShippedSchema, {
    carrier: command.carrier,
    trackingNumber: command.trackingNumber,
    shippedAt: context.now,
    items: state.items,
    orderId: state.orderId,
  });
}

export const ship = handle(ShipSchema, (command, state: FulfillmentState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, state, context)];
});
