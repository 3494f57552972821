// Guards shared by the shipment commands.
import type { FulfillmentState } from "@angzarr/proto/examples.ts";
import { guard } from "@angzarr/sdk";
import * as Msg from "../messages";
import { exists } from "../state";

export function shipmentExists(state: FulfillmentState): void {
  guard(exists(state), Msg.SHIPMENT_DOES_NOT_EXIST);
}

/** The shipment must be in `status`; `message` names the step it is missing. */
export function inStatus(state: FulfillmentState, status: string, message: string): void {
  guard(state.status === status, message);
}
