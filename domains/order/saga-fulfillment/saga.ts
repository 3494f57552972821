// saga-order-fulfillment (example-domains §3.2): a completed order becomes a shipment whose root
// is the order root's bytes. A repeat is refused by fulfillment ("Shipment already exists").
import { Identity, Uuid } from "@angzarr/proto";
import { CreateShipmentSchema, OrderCompletedSchema } from "@angzarr/proto/examples.ts";
import { commandFor, defineSaga, isEvent } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";

export const SAGA_NAME = "saga-order-fulfillment";

export const orderFulfillmentSaga = defineSaga({
  name: SAGA_NAME,
  input: { domain: "order", events: [OrderCompletedSchema] },
  react({ event }, { sourceRoot, correlationId }) {
    if (sourceRoot === undefined || !isEvent(event, OrderCompletedSchema)) return [];
    return [
      commandFor(
        { domain: "fulfillment", root: Identity.fulfillmentRoot(sourceRoot), correlationId },
        CreateShipmentSchema,
        create(CreateShipmentSchema, { orderId: Uuid.toText(sourceRoot), items: event.items }),
      ),
    ];
  },
});
