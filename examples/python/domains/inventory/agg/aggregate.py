"""The inventory aggregate (example-domains §2.5): one per product, root uuidv5(DNS, product_id)."""
from angzarr_sdk.aggregate import Aggregate, CommandContext
from angzarr_sdk.errors import guard, require, validate
from examples import inventory_pb2

from . import inventory_state as s
from . import messages as msg

DOMAIN = "inventory"


def is_low_stock(available_after: int, threshold: int) -> bool:
    return threshold > 0 and available_after < threshold


def initialized(state) -> None:
    guard(s.exists(state), msg.NOT_INITIALIZED)


def order_id_given(order_id: str) -> None:
    validate(order_id != "", msg.ORDER_ID_REQUIRED)


def held_for(state, order_id: str) -> int:
    held = s.reservation_of(state, order_id)
    require(held is not None, msg.RESERVATION_NOT_FOUND)
    return held


def initialize_stock(command: inventory_pb2.InitializeStock, state, ctx: CommandContext) -> list:
    guard(not s.exists(state), msg.ALREADY_INITIALIZED)
    validate(command.product_id != "", msg.PRODUCT_ID_REQUIRED)
    validate(command.quantity >= 0, msg.QUANTITY_NEGATIVE)
    validate(command.low_stock_threshold >= 0, msg.THRESHOLD_NEGATIVE)
    return [
        inventory_pb2.StockInitialized(
            product_id=command.product_id,
            quantity=command.quantity,
            low_stock_threshold=command.low_stock_threshold,
            initialized_at=ctx.now,
        )
    ]


def receive_stock(command: inventory_pb2.ReceiveStock, state, ctx: CommandContext) -> list:
    initialized(state)
    validate(command.quantity > 0, msg.QUANTITY_NOT_POSITIVE)
    return [
        inventory_pb2.StockReceived(
            quantity=command.quantity,
            new_on_hand=state.on_hand + command.quantity,
            reference=command.reference,
            received_at=ctx.now,
        )
    ]


def reserve_stock(command: inventory_pb2.ReserveStock, state, ctx: CommandContext) -> list:
    initialized(state)
    validate(command.quantity > 0, msg.QUANTITY_NOT_POSITIVE)
    order_id_given(command.order_id)
    guard(s.reservation_of(state, command.order_id) is None, msg.RESERVATION_EXISTS)
    free = s.available(state)
    guard(command.quantity <= free, msg.insufficient_stock(free, command.quantity))
    reserved = inventory_pb2.StockReserved(
        quantity=command.quantity,
        order_id=command.order_id,
        new_available=free - command.quantity,
        reserved_at=ctx.now,
        new_reserved=state.reserved + command.quantity,
        new_on_hand=state.on_hand,
    )
    if not is_low_stock(reserved.new_available, state.low_stock_threshold):
        return [reserved]
    alert = inventory_pb2.LowStockAlert(
        product_id=state.product_id,
        available=reserved.new_available,
        threshold=state.low_stock_threshold,
        alerted_at=ctx.now,
    )
    return [reserved, alert]


def release_reservation(command: inventory_pb2.ReleaseReservation, state, ctx: CommandContext) -> list:
    initialized(state)
    order_id_given(command.order_id)
    held = held_for(state, command.order_id)
    return [
        inventory_pb2.ReservationReleased(
            order_id=command.order_id,
            quantity=held,
            new_available=s.available(state) + held,
            released_at=ctx.now,
            new_reserved=state.reserved - held,
            new_on_hand=state.on_hand,
        )
    ]


def commit_reservation(command: inventory_pb2.CommitReservation, state, ctx: CommandContext) -> list:
    initialized(state)
    order_id_given(command.order_id)
    held = held_for(state, command.order_id)
    return [
        inventory_pb2.ReservationCommitted(
            order_id=command.order_id,
            quantity=held,
            new_on_hand=state.on_hand - held,
            committed_at=ctx.now,
            new_reserved=state.reserved - held,
        )
    ]


AGGREGATE = Aggregate(
    DOMAIN,
    inventory_pb2.InventoryState,
    s.APPLIERS,
    {
        inventory_pb2.InitializeStock: initialize_stock,
        inventory_pb2.ReceiveStock: receive_stock,
        inventory_pb2.ReserveStock: reserve_stock,
        inventory_pb2.ReleaseReservation: release_reservation,
        inventory_pb2.CommitReservation: commit_reservation,
    },
)
