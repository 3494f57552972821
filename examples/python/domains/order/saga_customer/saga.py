"""saga-order-customer (example-domains §3.4): points earned by a completed order, and points
refunded for a cancelled one, credited to the event's customer_root. The reference
("earn:{order id}" / "refund:{order id}") makes a re-delivered credit a refused duplicate."""
from angzarr_sdk.command_book import command_for
from angzarr_sdk.identity import is_uuid, uuid_text
from angzarr_sdk.saga import Saga
from examples import customer_pb2, order_pb2

NAME = "saga-order-customer"


def react(page, context) -> list:
    if context.source_root is None:
        return []
    order_id = uuid_text(context.source_root)
    event = page.event
    if isinstance(event, order_pb2.OrderCompleted):
        points, reason, reference = event.loyalty_points_earned, f"Earned from order {order_id}", f"earn:{order_id}"
    elif isinstance(event, order_pb2.OrderCancelled):
        points, reason, reference = event.loyalty_points_used, f"Refund for cancelled order {order_id}", f"refund:{order_id}"
    else:
        return []
    if points <= 0 or not is_uuid(event.customer_root):
        return []
    command = customer_pb2.AddLoyaltyPoints(points=points, reason=reason, reference=reference)
    return [command_for("customer", bytes(event.customer_root), context.correlation_id, command)]


SAGA = Saga(NAME, "order", [order_pb2.OrderCompleted, order_pb2.OrderCancelled], react)
