// ReleaseReservation: gives an order's held units back to available stock.
import {
  type InventoryState,
  type ReleaseReservation,
  ReleaseReservationSchema,
  type ReservationReleased,
  ReservationReleasedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, handle } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { available } from "../state";
import { heldFor, initialized, orderIdGiven } from "./guards";

function compute(
  command: ReleaseReservation,
  held: number,
  state: InventoryState,
  context: CommandContext,
): ReservationReleased {
  return create(ReservationReleasedSchema, {
    orderId: command.orderId,
    quantity: held,
    newAvailable: available(state) + held,
    releasedAt: context.now,
    newReserved: state.reserved - held,
    newOnHand: state.onHand,
  });
}

export const releaseReservation = handle(
  ReleaseReservationSchema,
  (command, state: InventoryState, context) => {
    initialized(state);
    orderIdGiven(command.orderId);
    const held = heldFor(state, command.orderId);
    return [compute(command, held, state, context)];
  },
);
