// saga-order-customer (example-domains §3.4): loyalty points earned by a completed order, and
// points refunded for a cancelled one, credited to the event's customer_root. The reference
// ("earn:{order id}" / "refund:{order id}") makes a re-delivered credit a refused duplicate.
import { Uuid } from "@angzarr/proto";
import {
  AddLoyaltyPointsSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
} from "@angzarr/proto/examples.ts";
import { commandFor, defineSaga, isEvent } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";

export const SAGA_NAME = "saga-order-customer";

export const orderCustomerSaga = defineSaga({
  name: SAGA_NAME,
  input: { domain: "order", events: [OrderCompletedSchema, OrderCancelledSchema] },
  react({ event }, { sourceRoot, correlationId }) {
    if (sourceRoot === undefined) return [];
    const orderId = Uuid.toText(sourceRoot);
    let credit: { customerRoot: Uint8Array; points: number; reason: string; reference: string } | undefined;
    if (isEvent(event, OrderCompletedSchema)) {
      credit = {
        customerRoot: event.customerRoot,
        points: event.loyaltyPointsEarned,
        reason: `Earned from order ${orderId}`,
        reference: `earn:${orderId}`,
      };
    } else if (isEvent(event, OrderCancelledSchema)) {
      credit = {
        customerRoot: event.customerRoot,
        points: event.loyaltyPointsUsed,
        reason: `Refund for cancelled order ${orderId}`,
        reference: `refund:${orderId}`,
      };
    }
    if (credit === undefined || credit.points <= 0 || !Uuid.isValid(credit.customerRoot)) return [];
    const { customerRoot, points, reason, reference } = credit;
    return [
      commandFor(
        { domain: "customer", root: customerRoot, correlationId },
        AddLoyaltyPointsSchema,
        create(AddLoyaltyPointsSchema, { points, reason, reference }),
      ),
    ];
  },
});
