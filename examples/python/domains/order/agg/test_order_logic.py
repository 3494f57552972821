"""Order logic with prior events given (example-domains §2.4, §6.5)."""
import grpc
from angzarr_sdk.testing import given
from examples import order_pb2 as pb

from domains.order.agg.aggregate import AGGREGATE, loyalty_points_for

FP, IA = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT
CUSTOMER_ROOT, CART_ROOT = bytes([1] * 16), bytes([2] * 16)
LINE = pb.LineItem(product_id="SKU-1", name="Widget", quantity=2, unit_price_cents=2500)


def created(subtotal=5000):
    return pb.OrderCreated(customer_id="CUST-1", items=[LINE], subtotal_cents=subtotal, customer_root=CUSTOMER_ROOT, cart_root=CART_ROOT)


def paid(amount=5000):
    return pb.PaymentSubmitted(payment_method="card", amount_cents=amount)


def test_create_sums_the_lines():
    items = [pb.LineItem(product_id="A", quantity=2, unit_price_cents=1000), pb.LineItem(product_id="B", quantity=1, unit_price_cents=2500)]
    outcome = given(AGGREGATE).when(pb.CreateOrder(customer_id="C", items=items, customer_root=CUSTOMER_ROOT))
    assert (outcome.events[0].subtotal_cents, len(outcome.state.items), outcome.state.status) == (4500, 2, "pending")


def test_create_rules_in_check_order():
    cases = [
        ([created()], pb.CreateOrder(customer_id="", items=[LINE]), FP, "Order already exists"),
        ([], pb.CreateOrder(items=[]), IA, "Customer ID is required"),
        ([], pb.CreateOrder(customer_id="C"), IA, "Order must have items"),
        ([], pb.CreateOrder(customer_id="C", items=[pb.LineItem(quantity=0), pb.LineItem(product_id="")]), IA, "Item product ID is required"),
        ([], pb.CreateOrder(customer_id="C", items=[pb.LineItem(product_id="A", quantity=0)]), IA, "Item quantity must be positive"),
        ([], pb.CreateOrder(customer_id="C", items=[pb.LineItem(product_id="A", quantity=1, unit_price_cents=-1)]), IA, "Item price cannot be negative"),
        ([], pb.CreateOrder(customer_id="C", items=[LINE], customer_root=b"abc"), IA, "Customer root must be a 16-byte UUID"),
        ([], pb.CreateOrder(customer_id="C", items=[LINE], cart_root=bytes(17)), IA, "Cart root must be a 16-byte UUID"),
    ]
    for prior, command, code, message in cases:
        outcome = given(AGGREGATE, *prior).when(command)
        assert (outcome.code, outcome.message) == (code, message)


def test_discount_rules():
    ok = given(AGGREGATE, created()).when(pb.ApplyLoyaltyDiscount(points=200, discount_cents=200))
    assert (ok.state.loyalty_points_used, ok.state.discount_cents) == (200, 200)
    discounted = pb.LoyaltyDiscountApplied(points_used=200, discount_cents=200)
    assert given(AGGREGATE, created(), discounted).when(pb.ApplyLoyaltyDiscount(points=1, discount_cents=1)).message == "Loyalty discount already applied"
    assert given(AGGREGATE).when(pb.ApplyLoyaltyDiscount(points=1, discount_cents=1)).message == "Order does not exist"
    assert given(AGGREGATE, created(), paid()).when(pb.ApplyLoyaltyDiscount(points=1, discount_cents=1)).message == "Payment already submitted"
    above = given(AGGREGATE, created()).when(pb.ApplyLoyaltyDiscount(points=5001, discount_cents=5001))
    assert (above.code, above.message) == (IA, "Discount cannot exceed subtotal")


def test_payment_must_equal_the_total():
    discounted = pb.LoyaltyDiscountApplied(points_used=500, discount_cents=500)
    assert given(AGGREGATE, created(), discounted).when(pb.SubmitPayment(payment_method="card", amount_cents=4500)).code is None
    wrong = given(AGGREGATE, created()).when(pb.SubmitPayment(payment_method="card", amount_cents=4999))
    assert (wrong.code, wrong.message) == (IA, "Payment amount does not match order total: expected 5000, got 4999")
    assert given(AGGREGATE, created(), paid()).when(pb.SubmitPayment(payment_method="card", amount_cents=5000)).message == "Payment already submitted"
    cancelled = [created(), pb.OrderCancelled(reason="x")]
    assert given(AGGREGATE, *cancelled).when(pb.SubmitPayment(payment_method="card", amount_cents=5000)).message == "Order is already cancelled"


def test_confirm_completes_with_points_and_copies():
    outcome = given(AGGREGATE, created(), paid()).when(pb.ConfirmPayment(payment_reference="PAY-1"))
    event = outcome.events[0]
    assert (event.final_total_cents, event.loyalty_points_earned, event.payment_method) == (5000, 50, "card")
    assert (event.customer_root, event.cart_root, list(event.items)) == (CUSTOMER_ROOT, CART_ROOT, [LINE])
    assert outcome.state.status == "completed"
    unpaid = given(AGGREGATE, created()).when(pb.ConfirmPayment(payment_reference="P"))
    assert (unpaid.code, unpaid.message) == (FP, "Payment not submitted: order not paid")
    done = [created(), paid(), pb.OrderCompleted()]
    assert given(AGGREGATE, *done).when(pb.ConfirmPayment(payment_reference="P")).message == "Order is already completed"
    assert [loyalty_points_for(t) for t in (5000, 4999, 99, 0)] == [50, 49, 0, 0]


def test_cancel_carries_what_compensation_needs():
    discounted = pb.LoyaltyDiscountApplied(points_used=200, discount_cents=200)
    g = given(AGGREGATE, created(), discounted, paid(4800))
    outcome = g.when(pb.CancelOrder(reason="changed mind"))
    event = outcome.events[0]
    assert (event.reason, event.loyalty_points_used, list(event.items)) == ("changed mind", 200, [LINE])
    assert outcome.sequences == [3] and outcome.state.status == "cancelled"
    assert g.snapshot_consistent(outcome)
    assert given(AGGREGATE, created()).when(pb.CancelOrder()).code == IA
    done = [created(), paid(), pb.OrderCompleted()]
    assert given(AGGREGATE, *done).when(pb.CancelOrder(reason="x")).message == "Order is already completed"
