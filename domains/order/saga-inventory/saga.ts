// saga-order-inventory (example-domains §3.1): an order's lines become stock reservations when it
// is created and releases when it is cancelled, one command per distinct product, addressed to
// inventory root uuidv5(DNS, product_id).
import { Identity, Uuid } from "@angzarr/proto";
import {
  OrderCancelledSchema,
  OrderCreatedSchema,
  ReleaseReservationSchema,
  ReserveStockSchema,
} from "@angzarr/proto/examples.ts";
import { commandFor, defineSaga, isEvent } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { distinctProducts } from "../../shared/distinct-products";

export const SAGA_NAME = "saga-order-inventory";

export const orderInventorySaga = defineSaga({
  name: SAGA_NAME,
  input: { domain: "order", events: [OrderCreatedSchema, OrderCancelledSchema] },
  react({ event }, { sourceRoot, correlationId }) {
    if (sourceRoot === undefined) return [];
    const orderId = Uuid.toText(sourceRoot);
    const to = (productId: string) => ({
      domain: "inventory",
      root: Identity.inventoryRoot(productId),
      correlationId,
    });
    if (isEvent(event, OrderCreatedSchema)) {
      return distinctProducts(event.items).map(({ productId, quantity }) =>
        commandFor(to(productId), ReserveStockSchema, create(ReserveStockSchema, { quantity, orderId })),
      );
    }
    if (isEvent(event, OrderCancelledSchema)) {
      return distinctProducts(event.items).map(({ productId }) =>
        commandFor(to(productId), ReleaseReservationSchema, create(ReleaseReservationSchema, { orderId })),
      );
    }
    return [];
  },
});
