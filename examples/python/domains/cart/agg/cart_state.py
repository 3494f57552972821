"""Functions on examples.CartState: existence, and how each cart event applies (facts are
assigned, never added)."""
from examples import cart_pb2

STATUS_ACTIVE = "active"
STATUS_CHECKED_OUT = "checked_out"


def exists(state: cart_pb2.CartState) -> bool:
    return state.customer_id != ""


def find_line(state: cart_pb2.CartState, product_id: str):
    return next((item for item in state.items if item.product_id == product_id), None)


def apply_cart_created(state: cart_pb2.CartState, event: cart_pb2.CartCreated) -> None:
    state.customer_id = event.customer_id
    state.status = STATUS_ACTIVE
    del state.items[:]
    state.subtotal_cents = 0
    state.coupon_code = ""
    state.discount_cents = 0


def apply_item_added(state: cart_pb2.CartState, event: cart_pb2.ItemAdded) -> None:
    """Replaces the product's line in place or appends it; the event's values win."""
    line = cart_pb2.CartItem(
        product_id=event.product_id, name=event.name, quantity=event.quantity, unit_price_cents=event.unit_price_cents
    )
    for item in state.items:
        if item.product_id == event.product_id:
            item.CopyFrom(line)
            break
    else:
        state.items.append(line)
    state.subtotal_cents = event.new_subtotal


def apply_quantity_updated(state: cart_pb2.CartState, event: cart_pb2.QuantityUpdated) -> None:
    for item in state.items:
        if item.product_id == event.product_id:
            item.quantity = event.new_quantity
    state.subtotal_cents = event.new_subtotal


def apply_item_removed(state: cart_pb2.CartState, event: cart_pb2.ItemRemoved) -> None:
    kept = [item for item in state.items if item.product_id != event.product_id]
    del state.items[:]
    state.items.extend(kept)
    state.subtotal_cents = event.new_subtotal


def apply_coupon_applied(state: cart_pb2.CartState, event: cart_pb2.CouponApplied) -> None:
    state.coupon_code = event.coupon_code
    state.discount_cents = event.discount_cents


def apply_cart_cleared(state: cart_pb2.CartState, event: cart_pb2.CartCleared) -> None:
    del state.items[:]
    state.subtotal_cents = event.new_subtotal
    state.coupon_code = ""
    state.discount_cents = 0


def apply_cart_checked_out(state: cart_pb2.CartState, _event: cart_pb2.CartCheckedOut) -> None:
    state.status = STATUS_CHECKED_OUT


APPLIERS = {
    cart_pb2.CartCreated: apply_cart_created,
    cart_pb2.ItemAdded: apply_item_added,
    cart_pb2.QuantityUpdated: apply_quantity_updated,
    cart_pb2.ItemRemoved: apply_item_removed,
    cart_pb2.CouponApplied: apply_coupon_applied,
    cart_pb2.CartCleared: apply_cart_cleared,
    cart_pb2.CartCheckedOut: apply_cart_checked_out,
}
