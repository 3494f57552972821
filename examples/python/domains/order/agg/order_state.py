"""Functions on examples.OrderState: existence, total, and how each order event applies."""
from examples import order_pb2

PENDING = "pending"
PAYMENT_SUBMITTED = "payment_submitted"
COMPLETED = "completed"
CANCELLED = "cancelled"


def exists(state: order_pb2.OrderState) -> bool:
    return state.customer_id != ""


def total(state: order_pb2.OrderState) -> int:
    """Amount to pay: subtotal less the loyalty discount."""
    return state.subtotal_cents - state.discount_cents


def apply_order_created(state, event: order_pb2.OrderCreated) -> None:
    state.customer_id = event.customer_id
    del state.items[:]
    state.items.extend(event.items)
    state.subtotal_cents = event.subtotal_cents
    state.customer_root = event.customer_root
    state.cart_root = event.cart_root
    state.discount_cents = 0
    state.loyalty_points_used = 0
    state.status = PENDING


def apply_loyalty_discount_applied(state, event: order_pb2.LoyaltyDiscountApplied) -> None:
    state.loyalty_points_used = event.points_used
    state.discount_cents = event.discount_cents


def apply_payment_submitted(state, event: order_pb2.PaymentSubmitted) -> None:
    state.payment_method = event.payment_method
    state.status = PAYMENT_SUBMITTED


def apply_order_completed(state, event: order_pb2.OrderCompleted) -> None:
    state.payment_reference = event.payment_reference
    state.status = COMPLETED


def apply_order_cancelled(state, _event: order_pb2.OrderCancelled) -> None:
    state.status = CANCELLED


APPLIERS = {
    order_pb2.OrderCreated: apply_order_created,
    order_pb2.LoyaltyDiscountApplied: apply_loyalty_discount_applied,
    order_pb2.PaymentSubmitted: apply_payment_submitted,
    order_pb2.OrderCompleted: apply_order_completed,
    order_pb2.OrderCancelled: apply_order_cancelled,
}
