// The order aggregate (example-domains.md §2.4): root from the order number, chosen by the client.
import { OrderStateSchema } from "@angzarr/proto/examples.ts";
import { defineAggregate } from "@angzarr/sdk";
import { applyLoyaltyDiscount } from "./commands/apply-loyalty-discount";
import { cancelOrder } from "./commands/cancel-order";
import { confirmPayment } from "./commands/confirm-payment";
import { createOrder } from "./commands/create-order";
import { submitPayment } from "./commands/submit-payment";
import { orderAppliers } from "./state";

export const ORDER_DOMAIN = "order";

export const orderAggregate = defineAggregate({
  domain: ORDER_DOMAIN,
  state: OrderStateSchema,
  events: orderAppliers,
  commands: [createOrder, applyLoyaltyDiscount, submitPayment, confirmPayment, cancelOrder],
});
