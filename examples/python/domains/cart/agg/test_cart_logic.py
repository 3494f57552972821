"""Cart logic with prior events given (example-domains §2.1, §6.2)."""
import grpc
from angzarr_sdk.testing import given
from examples import cart_pb2

from domains.cart.agg.aggregate import AGGREGATE

FP, IA, NF = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND


def created():
    return cart_pb2.CartCreated(customer_id="CUST-001")


def added(product_id="SKU-1", quantity=2, price=1000, subtotal=2000):
    return cart_pb2.ItemAdded(product_id=product_id, name=product_id, quantity=quantity, unit_price_cents=price, new_subtotal=subtotal)


def test_create_records_the_customer_active_and_empty():
    outcome = given(AGGREGATE).when(cart_pb2.CreateCart(customer_id="CUST-001"))
    assert outcome.sequences == [0]
    assert outcome.state.customer_id == "CUST-001" and outcome.state.status == "active"
    assert len(outcome.state.items) == 0 and outcome.state.subtotal_cents == 0


def test_create_twice_or_without_customer_fails():
    twice = given(AGGREGATE, created()).when(cart_pb2.CreateCart(customer_id="CUST-001"))
    assert (twice.code, twice.message) == (FP, "Cart already exists")
    missing = given(AGGREGATE).when(cart_pb2.CreateCart())
    assert (missing.code, missing.message) == (IA, "Customer ID is required")


def test_adding_items_sums_lines_and_quantities():
    first = given(AGGREGATE, created()).when(cart_pb2.AddItem(product_id="SKU-1", quantity=2, unit_price_cents=1000))
    assert first.events[0].new_subtotal == 2000
    second = given(AGGREGATE, created(), added()).when(cart_pb2.AddItem(product_id="SKU-2", quantity=1, unit_price_cents=2500))
    assert second.events[0].new_subtotal == 4500
    same = given(AGGREGATE, created(), added()).when(cart_pb2.AddItem(product_id="SKU-1", quantity=3, unit_price_cents=1000))
    assert (same.events[0].quantity, same.events[0].new_subtotal) == (5, 5000)
    assert same.sequences == [2]


def test_adding_fails_in_check_order():
    cases = [
        ([], cart_pb2.AddItem(product_id="SKU-1", quantity=1), FP, "Cart does not exist"),
        ([created(), cart_pb2.CartCheckedOut()], cart_pb2.AddItem(product_id="SKU-1", quantity=1), FP, "Cart is already checked out"),
        ([created()], cart_pb2.AddItem(quantity=1), IA, "Product ID is required"),
        ([created()], cart_pb2.AddItem(product_id="SKU-1", quantity=0), IA, "Quantity must be positive"),
        ([created()], cart_pb2.AddItem(product_id="SKU-1", quantity=1, unit_price_cents=-1), IA, "Unit price cannot be negative"),
    ]
    for prior, command, code, message in cases:
        outcome = given(AGGREGATE, *prior).when(command)
        assert (outcome.code, outcome.message) == (code, message)


def test_update_and_remove():
    update = given(AGGREGATE, created(), added()).when(cart_pb2.UpdateQuantity(product_id="SKU-1", new_quantity=5))
    assert (update.events[0].old_quantity, update.events[0].new_quantity, update.events[0].new_subtotal) == (2, 5, 5000)
    assert given(AGGREGATE, created()).when(cart_pb2.UpdateQuantity(product_id="X", new_quantity=1)).code == NF
    assert given(AGGREGATE, created(), added()).when(cart_pb2.UpdateQuantity(product_id="SKU-1")).message == "Quantity must be positive"
    two = [created(), added(), added("SKU-2", 1, 2500, 4500)]
    removed = given(AGGREGATE, *two).when(cart_pb2.RemoveItem(product_id="SKU-1"))
    assert removed.events[0].new_subtotal == 2500 and removed.events[0].quantity == 2
    missing = given(AGGREGATE, created()).when(cart_pb2.RemoveItem(product_id="SKU-1"))
    assert (missing.code, missing.message) == (NF, "Item not in cart")


def test_coupons():
    base = [created(), added()]
    percent = given(AGGREGATE, *base).when(cart_pb2.ApplyCoupon(code="TEN", coupon_type="percentage", value=10))
    assert percent.events[0].discount_cents == 200
    fixed = given(AGGREGATE, *base).when(cart_pb2.ApplyCoupon(code="F", coupon_type="fixed", value=500))
    assert fixed.events[0].discount_cents == 500
    capped = given(AGGREGATE, *base).when(cart_pb2.ApplyCoupon(code="F", coupon_type="fixed", value=9000))
    assert capped.events[0].discount_cents == 2000
    again = given(AGGREGATE, *base, cart_pb2.CouponApplied(coupon_code="TEN", discount_cents=200)).when(
        cart_pb2.ApplyCoupon(code="X", coupon_type="fixed", value=1)
    )
    assert (again.code, again.message) == (FP, "Coupon already applied")
    empty = given(AGGREGATE, created()).when(cart_pb2.ApplyCoupon(code="X", coupon_type="fixed", value=1))
    assert (empty.code, empty.message) == (FP, "Cart is empty")
    bad = given(AGGREGATE, *base).when(cart_pb2.ApplyCoupon(code="X", coupon_type="bogus", value=1))
    assert (bad.code, bad.message) == (IA, "Coupon type must be percentage or fixed")
    high = given(AGGREGATE, *base).when(cart_pb2.ApplyCoupon(code="X", coupon_type="percentage", value=101))
    assert high.message == "Percentage cannot exceed 100"


def test_clear_and_checkout():
    with_coupon = [created(), added(), cart_pb2.CouponApplied(coupon_code="TEN", discount_cents=200)]
    cleared = given(AGGREGATE, *with_coupon).when(cart_pb2.ClearCart())
    assert (len(cleared.state.items), cleared.state.subtotal_cents, cleared.state.coupon_code, cleared.state.discount_cents) == (0, 0, "", 0)
    done = given(AGGREGATE, created(), added()).when(cart_pb2.Checkout())
    assert (done.events[0].final_subtotal, done.events[0].discount_cents, done.state.status) == (2000, 0, "checked_out")
    assert given(AGGREGATE, created()).when(cart_pb2.Checkout()).message == "Cart is empty"
    twice = given(AGGREGATE, created(), added(), cart_pb2.CartCheckedOut()).when(cart_pb2.Checkout())
    assert (twice.code, twice.message) == (FP, "Cart is already checked out")


def test_snapshot_rebuilds_like_a_full_replay():
    g = given(AGGREGATE, created(), added())
    outcome = g.when(cart_pb2.ApplyCoupon(code="TEN", coupon_type="percentage", value=10))
    assert g.snapshot_consistent(outcome)
