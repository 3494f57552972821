"""saga-fulfillment-inventory (example-domains §3.3, §6.8)."""
from angzarr import types_pb2
from angzarr_sdk import any as anys
from angzarr_sdk.identity import inventory_root, order_root
from angzarr_sdk.testing import book_of
from examples import fulfillment_pb2, inventory_pb2, order_pb2

from domains.fulfillment.saga_inventory.saga import SAGA


def run(*events):
    book = book_of("fulfillment", list(events), correlation_id="corr-4")
    book.cover.root.value = order_root("ORD-001")
    return list(SAGA.execute(types_pb2.SagaExecuteRequest(source=book)).commands)


def test_shipping_commits_each_product_for_the_order():
    items = [order_pb2.LineItem(product_id="A", quantity=1), order_pb2.LineItem(product_id="B", quantity=2), order_pb2.LineItem(product_id="A", quantity=1)]
    commands = run(fulfillment_pb2.Shipped(carrier="c", order_id="order-1", items=items))
    assert [c.cover.root.value for c in commands] == [inventory_root("A"), inventory_root("B")]
    assert all(anys.unpack(c.pages[0].command, inventory_pb2.CommitReservation).order_id == "order-1" for c in commands)


def test_a_shipment_without_items_or_order_yields_nothing():
    assert run(fulfillment_pb2.Shipped(carrier="c", order_id="order-1")) == []
    assert run(fulfillment_pb2.Shipped(carrier="c", items=[order_pb2.LineItem(product_id="A", quantity=1)])) == []
