// The fulfillment aggregate (example-domains.md §2.6): one shipment per order, at the order's root.
import { FulfillmentStateSchema } from "@angzarr/proto/examples.ts";
import { defineAggregate } from "@angzarr/sdk";
import { createShipment } from "./commands/create-shipment";
import { markPacked } from "./commands/mark-packed";
import { markPicked } from "./commands/mark-picked";
import { recordDelivery } from "./commands/record-delivery";
import { ship } from "./commands/ship";
import { fulfillmentAppliers } from "./state";

export const FULFILLMENT_DOMAIN = "fulfillment";

export const fulfillmentAggregate = defineAggregate({
  domain: FULFILLMENT_DOMAIN,
  state: FulfillmentStateSchema,
  events: fulfillmentAppliers,
  commands: [createShipment, markPicked, markPacked, ship, recordDelivery],
});
