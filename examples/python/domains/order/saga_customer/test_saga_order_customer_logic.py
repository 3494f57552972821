"""saga-order-customer (example-domains §3.4, §6.8)."""
from angzarr import types_pb2
from angzarr_sdk import any as anys
from angzarr_sdk.identity import customer_root, order_root
from angzarr_sdk.testing import book_of
from examples import customer_pb2, order_pb2

from domains.order.saga_customer.saga import SAGA

CUSTOMER = customer_root("alice@example.com")


def run(*events):
    book = book_of("order", list(events), correlation_id="corr-3")
    book.cover.root.value = order_root("ORD-001")
    return list(SAGA.execute(types_pb2.SagaExecuteRequest(source=book)).commands)


def test_completion_credits_the_points_earned():
    [command] = run(order_pb2.OrderCompleted(loyalty_points_earned=50, customer_root=CUSTOMER))
    credit = anys.unpack(command.pages[0].command, customer_pb2.AddLoyaltyPoints)
    assert command.cover.root.value == CUSTOMER and command.cover.domain == "customer"
    assert credit.points == 50 and "order" in credit.reason
    assert credit.reference == "earn:eb8052f7-3398-5b3a-99f8-7d84e926a184"


def test_cancellation_refunds_points_used_and_zero_points_yield_nothing():
    [command] = run(order_pb2.OrderCancelled(loyalty_points_used=200, customer_root=CUSTOMER))
    refund = anys.unpack(command.pages[0].command, customer_pb2.AddLoyaltyPoints)
    assert refund.points == 200 and "Refund" in refund.reason and refund.reference.startswith("refund:")
    assert run(order_pb2.OrderCompleted(loyalty_points_earned=0, customer_root=CUSTOMER)) == []
    assert run(order_pb2.OrderCancelled(loyalty_points_used=0, customer_root=CUSTOMER)) == []
    assert run(order_pb2.OrderCompleted(loyalty_points_earned=5, customer_root=b"short")) == []
