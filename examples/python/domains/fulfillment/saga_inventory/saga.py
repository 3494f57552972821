"""saga-fulfillment-inventory (example-domains §3.3): a shipped shipment commits the order's
reservation of each distinct product; a shipment without order id or items yields nothing."""
from angzarr_sdk.command_book import command_for
from angzarr_sdk.identity import inventory_root
from angzarr_sdk.saga import Saga
from examples import fulfillment_pb2, inventory_pb2

from domains.shared.line_item import distinct_products

NAME = "saga-fulfillment-inventory"


def react(page, context) -> list:
    event = page.event
    if context.source_root is None or not isinstance(event, fulfillment_pb2.Shipped) or event.order_id == "":
        return []
    return [
        command_for("inventory", inventory_root(pid), context.correlation_id, inventory_pb2.CommitReservation(order_id=event.order_id))
        for pid, _q in distinct_products(event.items)
    ]


SAGA = Saga(NAME, "fulfillment", [fulfillment_pb2.Shipped], react)
