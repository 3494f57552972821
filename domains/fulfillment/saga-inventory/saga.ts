// saga-fulfillment-inventory (example-domains §3.3): a shipped shipment commits the order's
// reservation of each distinct product. A shipment without order id or items yields nothing.
import { Identity } from "@angzarr/proto";
import { CommitReservationSchema, ShippedSchema } from "@angzarr/proto/examples.ts";
import { commandFor, defineSaga, isEvent } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { distinctProducts } from "../../shared/distinct-products";

export const SAGA_NAME = "saga-fulfillment-inventory";

export const fulfillmentInventorySaga = defineSaga({
  name: SAGA_NAME,
  input: { domain: "fulfillment", events: [ShippedSchema] },
  react({ event }, { sourceRoot, correlationId }) {
    if (sourceRoot === undefined || !isEvent(event, ShippedSchema) || event.orderId === "") return [];
    const orderId = event.orderId;
    return distinctProducts(event.items).map(({ productId }) =>
      commandFor(
        { domain: "inventory", root: Identity.inventoryRoot(productId), correlationId },
        CommitReservationSchema,
        create(CommitReservationSchema, { orderId }),
      ),
    );
  },
});
