"""The product aggregate (example-domains §2.3): guard → validate → compute."""
from angzarr_sdk.aggregate import Aggregate, CommandContext
from angzarr_sdk.errors import guard, validate
from examples import product_pb2

from . import messages as msg
from .product_state import APPLIERS, exists, is_discontinued

DOMAIN = "product"


def guard_active_product(state) -> None:
    guard(exists(state), msg.PRODUCT_DOES_NOT_EXIST)
    guard(not is_discontinued(state), msg.PRODUCT_IS_DISCONTINUED)


def create_product(command: product_pb2.CreateProduct, state, ctx: CommandContext) -> list:
    guard(not exists(state), msg.PRODUCT_ALREADY_EXISTS)
    validate(command.sku != "", msg.PRODUCT_SKU_REQUIRED)
    validate(command.name != "", msg.PRODUCT_NAME_REQUIRED)
    validate(command.price_cents > 0, msg.PRICE_MUST_BE_POSITIVE)
    return [
        product_pb2.ProductCreated(
            sku=command.sku,
            name=command.name,
            description=command.description,
            price_cents=command.price_cents,
            created_at=ctx.now,
        )
    ]


def update_product(command: product_pb2.UpdateProduct, state, ctx: CommandContext) -> list:
    guard_active_product(state)
    validate(command.name != "", msg.PRODUCT_NAME_REQUIRED)
    return [product_pb2.ProductUpdated(name=command.name, description=command.description, updated_at=ctx.now)]


def set_price(command: product_pb2.SetPrice, state, ctx: CommandContext) -> list:
    guard_active_product(state)
    validate(command.price_cents > 0, msg.PRICE_MUST_BE_POSITIVE)
    return [
        product_pb2.PriceSet(price_cents=command.price_cents, previous_price_cents=state.price_cents, set_at=ctx.now)
    ]


def discontinue(command: product_pb2.Discontinue, state, ctx: CommandContext) -> list:
    guard(exists(state), msg.PRODUCT_DOES_NOT_EXIST)
    guard(not is_discontinued(state), msg.PRODUCT_ALREADY_DISCONTINUED)
    return [product_pb2.ProductDiscontinued(reason=command.reason, discontinued_at=ctx.now)]


AGGREGATE = Aggregate(
    DOMAIN,
    product_pb2.ProductState,
    APPLIERS,
    {
        product_pb2.CreateProduct: create_product,
        product_pb2.UpdateProduct: update_product,
        product_pb2.SetPrice: set_price,
        product_pb2.Discontinue: discontinue,
    },
)
