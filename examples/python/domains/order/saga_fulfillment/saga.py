"""saga-order-fulfillment (example-domains §3.2): a completed order becomes a shipment whose root
is the order root's bytes; a repeat is refused by fulfillment ("Shipment already exists")."""
from angzarr_sdk.command_book import command_for
from angzarr_sdk.identity import fulfillment_root, uuid_text
from angzarr_sdk.saga import Saga
from examples import fulfillment_pb2, order_pb2

NAME = "saga-order-fulfillment"


def react(page, context) -> list:
    event = page.event
    if context.source_root is None or not isinstance(event, order_pb2.OrderCompleted):
        return []
    command = fulfillment_pb2.CreateShipment(order_id=uuid_text(context.source_root), items=event.items)
    return [command_for("fulfillment", fulfillment_root(context.source_root), context.correlation_id, command)]


SAGA = Saga(NAME, "order", [order_pb2.OrderCompleted], react)
