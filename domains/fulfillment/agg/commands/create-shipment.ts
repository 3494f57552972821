// CreateShipment: opens the shipment of one order (root = the order's root), status pending.
import {
  type CreateShipment,
  CreateShipmentSchema,
  type FulfillmentState,
  type ShipmentCreated,
  ShipmentCreatedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, guard, handle, validate } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import * as Msg from "../messages";
import { exists, ShipmentStatus } from "../state";

function guardState(state: FulfillmentState): void {
  guard(!exists(state), Msg.SHIPMENT_ALREADY_EXISTS);
}

function validateInput(command: CreateShipment): void {
  validate(command.orderId !== "", Msg.ORDER_ID_REQUIRED);
}

function compute(command: CreateShipment, context: CommandContext): ShipmentCreated {
  return create(ShipmentCreatedSchema, {
    orderId: command.orderId,
    status: ShipmentStatus.PENDING,
    createdAt: context.now,
    items: command.items,
  });
}

export const createShipment = handle(CreateShipmentSchema, (command, state: FulfillmentState, context) => {
  guardState(state);
  validateInput(command);
  return [compute(command, context)];
});
