"""saga-order-inventory (example-domains §3.1, §6.8)."""
from angzarr import types_pb2
from angzarr_sdk import any as anys
from angzarr_sdk.identity import inventory_root, order_root, uuid_text
from angzarr_sdk.testing import book_of
from examples import inventory_pb2, order_pb2

from domains.order.saga_inventory.saga import SAGA

ROOT = order_root("ORD-001")


def run(*events):
    book = book_of("order", list(events), correlation_id="corr-1")
    book.cover.root.value = ROOT
    return list(SAGA.execute(types_pb2.SagaExecuteRequest(source=book)).commands)


def test_creation_reserves_each_distinct_product_once():
    items = [order_pb2.LineItem(product_id="SKU-001", quantity=2), order_pb2.LineItem(product_id="SKU-002", quantity=1), order_pb2.LineItem(product_id="SKU-001", quantity=3)]
    commands = run(order_pb2.OrderCreated(customer_id="c", items=items))
    assert [c.cover.root.value for c in commands] == [inventory_root("SKU-001"), inventory_root("SKU-002")]
    assert uuid_text(inventory_root("SKU-001")) == "934c8417-4c8b-581b-971d-000ebe80f1e3"
    first = anys.unpack(commands[0].pages[0].command, inventory_pb2.ReserveStock)
    assert (first.quantity, first.order_id) == (5, "eb8052f7-3398-5b3a-99f8-7d84e926a184")
    assert all(c.cover.domain == "inventory" and c.cover.correlation_id == "corr-1" for c in commands)
    assert all(c.pages[0].sequence == 0 for c in commands)


def test_cancellation_releases_and_other_events_yield_nothing():
    commands = run(order_pb2.OrderCancelled(items=[order_pb2.LineItem(product_id="SKU-001", quantity=2)]))
    assert anys.full_name(commands[0].pages[0].command.type_url) == "examples.ReleaseReservation"
    assert run(order_pb2.PaymentSubmitted(payment_method="card")) == []
