"""The cart aggregate (example-domains §2.1): each handler runs guard (state) → validate
(input, then input against state) → compute (events of facts)."""
from angzarr_sdk.aggregate import Aggregate, CommandContext
from angzarr_sdk.errors import guard, require, validate
from examples import cart_pb2

from . import messages as msg
from .cart_state import APPLIERS, STATUS_CHECKED_OUT, exists, find_line

DOMAIN = "cart"
COUPON_PERCENTAGE = "percentage"
COUPON_FIXED = "fixed"


def subtotal_of(lines) -> int:
    """Σ quantity × unit price; lines are (product_id, quantity, unit_price_cents)."""
    return sum(quantity * price for _pid, quantity, price in lines)


def lines_of(state: cart_pb2.CartState) -> list:
    return [(i.product_id, i.quantity, i.unit_price_cents) for i in state.items]


def with_line(lines: list, line: tuple) -> list:
    if any(pid == line[0] for pid, _q, _p in lines):
        return [line if pid == line[0] else (pid, q, p) for pid, q, p in lines]
    return [*lines, line]


def coupon_discount(coupon_type: str, value: int, subtotal: int) -> int:
    """Percentage: subtotal × value / 100 rounded down; fixed: capped at the subtotal."""
    if coupon_type == COUPON_PERCENTAGE:
        return subtotal * value // 100
    return min(value, subtotal)


def guard_open_cart(state: cart_pb2.CartState) -> None:
    guard(exists(state), msg.CART_DOES_NOT_EXIST)
    guard(state.status != STATUS_CHECKED_OUT, msg.CART_ALREADY_CHECKED_OUT)


def create_cart(command: cart_pb2.CreateCart, state: cart_pb2.CartState, ctx: CommandContext) -> list:
    guard(not exists(state), msg.CART_ALREADY_EXISTS)
    validate(command.customer_id != "", msg.CUSTOMER_ID_REQUIRED)
    return [cart_pb2.CartCreated(customer_id=command.customer_id, created_at=ctx.now)]


def add_item(command: cart_pb2.AddItem, state: cart_pb2.CartState, ctx: CommandContext) -> list:
    guard_open_cart(state)
    validate(command.product_id != "", msg.PRODUCT_ID_REQUIRED)
    validate(command.quantity > 0, msg.QUANTITY_MUST_BE_POSITIVE)
    validate(command.unit_price_cents >= 0, msg.UNIT_PRICE_NEGATIVE)
    current = find_line(state, command.product_id)
    quantity = (current.quantity if current else 0) + command.quantity
    lines = with_line(lines_of(state), (command.product_id, quantity, command.unit_price_cents))
    return [
        cart_pb2.ItemAdded(
            product_id=command.product_id,
            name=command.name,
            quantity=quantity,
            unit_price_cents=command.unit_price_cents,
            new_subtotal=subtotal_of(lines),
            added_at=ctx.now,
        )
    ]


def update_quantity(command: cart_pb2.UpdateQuantity, state: cart_pb2.CartState, ctx: CommandContext) -> list:
    guard_open_cart(state)
    validate(command.new_quantity > 0, msg.QUANTITY_MUST_BE_POSITIVE)
    current = find_line(state, command.product_id)
    require(current is not None, msg.ITEM_NOT_IN_CART)
    lines = with_line(lines_of(state), (command.product_id, command.new_quantity, current.unit_price_cents))
    return [
        cart_pb2.QuantityUpdated(
            product_id=command.product_id,
            old_quantity=current.quantity,
            new_quantity=command.new_quantity,
            new_subtotal=subtotal_of(lines),
            updated_at=ctx.now,
        )
    ]


def remove_item(command: cart_pb2.RemoveItem, state: cart_pb2.CartState, ctx: CommandContext) -> list:
    guard_open_cart(state)
    current = find_line(state, command.product_id)
    require(current is not None, msg.ITEM_NOT_IN_CART)
    lines = [line for line in lines_of(state) if line[0] != command.product_id]
    return [
        cart_pb2.ItemRemoved(
            product_id=command.product_id,
            quantity=current.quantity,
            new_subtotal=subtotal_of(lines),
            removed_at=ctx.now,
        )
    ]


def apply_coupon(command: cart_pb2.ApplyCoupon, state: cart_pb2.CartState, ctx: CommandContext) -> list:
    guard_open_cart(state)
    guard(state.coupon_code == "", msg.COUPON_ALREADY_APPLIED)
    validate(command.code != "", msg.COUPON_CODE_REQUIRED)
    validate(command.coupon_type in (COUPON_PERCENTAGE, COUPON_FIXED), msg.COUPON_TYPE_INVALID)
    validate(command.value > 0, msg.COUPON_VALUE_MUST_BE_POSITIVE)
    validate(command.coupon_type != COUPON_PERCENTAGE or command.value <= 100, msg.PERCENTAGE_TOO_HIGH)
    guard(len(state.items) > 0, msg.CART_IS_EMPTY)
    return [
        cart_pb2.CouponApplied(
            coupon_code=command.code,
            coupon_type=command.coupon_type,
            value=command.value,
            discount_cents=coupon_discount(command.coupon_type, command.value, state.subtotal_cents),
            applied_at=ctx.now,
        )
    ]


def clear_cart(_command: cart_pb2.ClearCart, state: cart_pb2.CartState, ctx: CommandContext) -> list:
    guard_open_cart(state)
    return [cart_pb2.CartCleared(new_subtotal=0, cleared_at=ctx.now)]


def checkout(_command: cart_pb2.Checkout, state: cart_pb2.CartState, ctx: CommandContext) -> list:
    guard_open_cart(state)
    guard(len(state.items) > 0, msg.CART_IS_EMPTY)
    return [
        cart_pb2.CartCheckedOut(
            final_subtotal=state.subtotal_cents,
            discount_cents=min(state.discount_cents, state.subtotal_cents),
            checked_out_at=ctx.now,
        )
    ]


AGGREGATE = Aggregate(
    DOMAIN,
    cart_pb2.CartState,
    APPLIERS,
    {
        cart_pb2.CreateCart: create_cart,
        cart_pb2.AddItem: add_item,
        cart_pb2.UpdateQuantity: update_quantity,
        cart_pb2.RemoveItem: remove_item,
        cart_pb2.ApplyCoupon: apply_coupon,
        cart_pb2.ClearCart: clear_cart,
        cart_pb2.Checkout: checkout,
    },
)
