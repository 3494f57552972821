"""Functions on examples.InventoryState. Stock events carry the resulting on-hand and reserved
counts; applying them assigns those facts."""
from examples import inventory_pb2


def exists(state: inventory_pb2.InventoryState) -> bool:
    return state.product_id != ""


def available(state: inventory_pb2.InventoryState) -> int:
    return state.on_hand - state.reserved


def reservation_of(state: inventory_pb2.InventoryState, order_id: str) -> int | None:
    return state.reservations[order_id] if order_id in state.reservations else None


def apply_stock_initialized(state, event: inventory_pb2.StockInitialized) -> None:
    state.product_id = event.product_id
    state.on_hand = event.quantity
    state.reserved = 0
    state.low_stock_threshold = event.low_stock_threshold
    state.reservations.clear()


def apply_stock_received(state, event: inventory_pb2.StockReceived) -> None:
    state.on_hand = event.new_on_hand


def apply_stock_reserved(state, event: inventory_pb2.StockReserved) -> None:
    state.on_hand = event.new_on_hand
    state.reserved = event.new_reserved
    state.reservations[event.order_id] = event.quantity


def apply_reservation_released(state, event: inventory_pb2.ReservationReleased) -> None:
    state.on_hand = event.new_on_hand
    state.reserved = event.new_reserved
    state.reservations.pop(event.order_id, None)


def apply_reservation_committed(state, event: inventory_pb2.ReservationCommitted) -> None:
    state.on_hand = event.new_on_hand
    state.reserved = event.new_reserved
    state.reservations.pop(event.order_id, None)


def apply_low_stock_alert(_state, _event: inventory_pb2.LowStockAlert) -> None:
    """A notification for consumers: changes nothing."""


APPLIERS = {
    inventory_pb2.StockInitialized: apply_stock_initialized,
    inventory_pb2.StockReceived: apply_stock_received,
    inventory_pb2.StockReserved: apply_stock_reserved,
    inventory_pb2.ReservationReleased: apply_reservation_released,
    inventory_pb2.ReservationCommitted: apply_reservation_committed,
    inventory_pb2.LowStockAlert: apply_low_stock_alert,
}
