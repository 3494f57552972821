"""saga-order-inventory (example-domains §3.1): an order's lines become stock reservations when it
is created and releases when it is cancelled, one command per distinct product, to inventory root
uuidv5(DNS, product_id)."""
from angzarr_sdk.command_book import command_for
from angzarr_sdk.identity import inventory_root, uuid_text
from angzarr_sdk.saga import Saga
from examples import inventory_pb2, order_pb2

from domains.shared.line_item import distinct_products

NAME = "saga-order-inventory"


def react(page, context) -> list:
    if context.source_root is None:
        return []
    order_id = uuid_text(context.source_root)
    event = page.event
    if isinstance(event, order_pb2.OrderCreated):
        return [
            command_for("inventory", inventory_root(pid), context.correlation_id, inventory_pb2.ReserveStock(quantity=q, order_id=order_id))
            for pid, q in distinct_products(event.items)
        ]
    if isinstance(event, order_pb2.OrderCancelled):
        return [
            command_for("inventory", inventory_root(pid), context.correlation_id, inventory_pb2.ReleaseReservation(order_id=order_id))
            for pid, _q in distinct_products(event.items)
        ]
    return []


SAGA = Saga(NAME, "order", [order_pb2.OrderCreated, order_pb2.OrderCancelled], react)
