"""Functions on examples.ProductState: existence, status, and how each event applies."""
from examples import product_pb2

STATUS_ACTIVE = "active"
STATUS_DISCONTINUED = "discontinued"


def exists(state: product_pb2.ProductState) -> bool:
    return state.sku != ""


def is_discontinued(state: product_pb2.ProductState) -> bool:
    return state.status == STATUS_DISCONTINUED


def apply_product_created(state, event: product_pb2.ProductCreated) -> None:
    state.sku = event.sku
    state.name = event.name
    state.description = event.description
    state.price_cents = event.price_cents
    state.status = STATUS_ACTIVE


def apply_product_updated(state, event: product_pb2.ProductUpdated) -> None:
    state.name = event.name
    state.description = event.description


def apply_price_set(state, event: product_pb2.PriceSet) -> None:
    state.price_cents = event.price_cents


def apply_product_discontinued(state, _event: product_pb2.ProductDiscontinued) -> None:
    state.status = STATUS_DISCONTINUED


APPLIERS = {
    product_pb2.ProductCreated: apply_product_created,
    product_pb2.ProductUpdated: apply_product_updated,
    product_pb2.PriceSet: apply_price_set,
    product_pb2.ProductDiscontinued: apply_product_discontinued,
}
