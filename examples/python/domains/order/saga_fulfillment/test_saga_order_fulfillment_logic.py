"""saga-order-fulfillment (example-domains §3.2, §6.8)."""
from angzarr import types_pb2
from angzarr_sdk import any as anys
from angzarr_sdk.identity import order_root
from angzarr_sdk.testing import book_of
from examples import fulfillment_pb2, order_pb2

from domains.order.saga_fulfillment.saga import SAGA

ROOT = order_root("ORD-001")


def run(*events):
    book = book_of("order", list(events), correlation_id="corr-2")
    book.cover.root.value = ROOT
    return list(SAGA.execute(types_pb2.SagaExecuteRequest(source=book)).commands)


def test_completion_opens_one_shipment_at_the_order_root():
    line = order_pb2.LineItem(product_id="SKU-001", quantity=2)
    [command] = run(order_pb2.OrderCompleted(items=[line]))
    assert (command.cover.domain, command.cover.root.value, command.cover.correlation_id) == ("fulfillment", ROOT, "corr-2")
    shipment = anys.unpack(command.pages[0].command, fulfillment_pb2.CreateShipment)
    assert (shipment.order_id, list(shipment.items)) == ("eb8052f7-3398-5b3a-99f8-7d84e926a184", [line])


def test_creation_and_cancellation_yield_nothing():
    assert run(order_pb2.OrderCreated(customer_id="c"), order_pb2.OrderCancelled(reason="x")) == []
