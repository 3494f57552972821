"""The order aggregate (example-domains §2.4): guard → validate → compute per command."""
from angzarr_sdk.aggregate import Aggregate, CommandContext
from angzarr_sdk.errors import guard, validate
from examples import order_pb2

from domains.shared.line_item import subtotal

from . import messages as msg
from . import order_state as s

DOMAIN = "order"


def loyalty_points_for(final_total_cents: int) -> int:
    """One point per whole 100 cents of the final total."""
    return final_total_cents // 100


def order_exists(state) -> None:
    guard(s.exists(state), msg.ORDER_DOES_NOT_EXIST)


def not_cancelled(state) -> None:
    guard(state.status != s.CANCELLED, msg.ORDER_ALREADY_CANCELLED)


def not_completed(state) -> None:
    guard(state.status != s.COMPLETED, msg.ORDER_ALREADY_COMPLETED)


def empty_or_uuid(root: bytes) -> bool:
    return len(root) in (0, 16)


def create_order(command: order_pb2.CreateOrder, state, ctx: CommandContext) -> list:
    guard(not s.exists(state), msg.ORDER_ALREADY_EXISTS)
    validate(command.customer_id != "", msg.CUSTOMER_ID_REQUIRED)
    validate(len(command.items) > 0, msg.ITEMS_REQUIRED)
    validate(all(i.product_id != "" for i in command.items), msg.ITEM_PRODUCT_ID_REQUIRED)
    validate(all(i.quantity > 0 for i in command.items), msg.ITEM_QUANTITY_NOT_POSITIVE)
    validate(all(i.unit_price_cents >= 0 for i in command.items), msg.ITEM_PRICE_NEGATIVE)
    validate(empty_or_uuid(command.customer_root), msg.CUSTOMER_ROOT_INVALID)
    validate(empty_or_uuid(command.cart_root), msg.CART_ROOT_INVALID)
    return [
        order_pb2.OrderCreated(
            customer_id=command.customer_id,
            items=command.items,
            subtotal_cents=subtotal(command.items),
            created_at=ctx.now,
            customer_root=command.customer_root,
            cart_root=command.cart_root,
        )
    ]


def apply_loyalty_discount(command: order_pb2.ApplyLoyaltyDiscount, state, ctx: CommandContext) -> list:
    order_exists(state)
    not_cancelled(state)
    not_completed(state)
    guard(state.status != s.PAYMENT_SUBMITTED, msg.PAYMENT_ALREADY_SUBMITTED)
    guard(state.loyalty_points_used <= 0, msg.DISCOUNT_ALREADY_APPLIED)
    validate(command.points > 0, msg.POINTS_NOT_POSITIVE)
    validate(command.discount_cents > 0, msg.DISCOUNT_NOT_POSITIVE)
    validate(command.discount_cents <= state.subtotal_cents, msg.DISCOUNT_EXCEEDS_SUBTOTAL)
    return [
        order_pb2.LoyaltyDiscountApplied(
            points_used=command.points, discount_cents=command.discount_cents, applied_at=ctx.now
        )
    ]


def submit_payment(command: order_pb2.SubmitPayment, state, ctx: CommandContext) -> list:
    order_exists(state)
    not_cancelled(state)
    guard(state.status not in (s.PAYMENT_SUBMITTED, s.COMPLETED), msg.PAYMENT_ALREADY_SUBMITTED)
    validate(command.payment_method != "", msg.PAYMENT_METHOD_REQUIRED)
    expected = s.total(state)
    validate(command.amount_cents == expected, msg.payment_amount_mismatch(expected, command.amount_cents))
    return [
        order_pb2.PaymentSubmitted(
            payment_method=command.payment_method, amount_cents=command.amount_cents, submitted_at=ctx.now
        )
    ]


def confirm_payment(command: order_pb2.ConfirmPayment, state, ctx: CommandContext) -> list:
    order_exists(state)
    not_completed(state)
    not_cancelled(state)
    guard(state.status != s.PENDING, msg.PAYMENT_NOT_SUBMITTED)
    validate(command.payment_reference != "", msg.PAYMENT_REFERENCE_REQUIRED)
    final_total = s.total(state)
    return [
        order_pb2.OrderCompleted(
            final_total_cents=final_total,
            payment_method=state.payment_method,
            payment_reference=command.payment_reference,
            loyalty_points_earned=loyalty_points_for(final_total),
            completed_at=ctx.now,
            customer_root=state.customer_root,
            cart_root=state.cart_root,
            items=state.items,
        )
    ]


def cancel_order(command: order_pb2.CancelOrder, state, ctx: CommandContext) -> list:
    order_exists(state)
    not_completed(state)
    not_cancelled(state)
    validate(command.reason != "", msg.CANCELLATION_REASON_REQUIRED)
    return [
        order_pb2.OrderCancelled(
            reason=command.reason,
            cancelled_at=ctx.now,
            loyalty_points_used=state.loyalty_points_used,
            customer_root=state.customer_root,
            items=state.items,
            cart_root=state.cart_root,
        )
    ]


AGGREGATE = Aggregate(
    DOMAIN,
    order_pb2.OrderState,
    s.APPLIERS,
    {
        order_pb2.CreateOrder: create_order,
        order_pb2.ApplyLoyaltyDiscount: apply_loyalty_discount,
        order_pb2.SubmitPayment: submit_payment,
        order_pb2.ConfirmPayment: confirm_payment,
        order_pb2.CancelOrder: cancel_order,
    },
)
