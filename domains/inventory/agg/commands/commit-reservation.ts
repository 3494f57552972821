// CommitReservation: the order's held units leave the warehouse (on-hand and reserved both drop).
import {
  type CommitReservation,
  CommitReservationSchema,
  type InventoryState,
  type ReservationCommitted,
  ReservationCommittedSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, handle } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { heldFor, initialized, orderIdGiven } from "./guards";

function compute(
  command: CommitReservation,
  held: number,
  state: InventoryState,
  context: CommandContext,
): ReservationCommitted {
  return create(ReservationCommittedSchema, {
    orderId: command.orderId,
    quantity: held,
    newOnHand: state.onHand - held,
    committedAt: context.now,
    newReserved: state.reserved - held,
  });
}

export const commitReservation = handle(
  CommitReservationSchema,
  (command, state: InventoryState, context) => {
    initialized(state);
    orderIdGiven(command.orderId);
    const held = heldFor(state, command.orderId);
    return [compute(command, held, state, context)];
  },
);
