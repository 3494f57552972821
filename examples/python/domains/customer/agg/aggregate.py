"""The customer aggregate (example-domains §2.2): guard → validate → compute."""
from angzarr_sdk.aggregate import Aggregate, CommandContext
from angzarr_sdk.errors import guard, validate
from examples import customer_pb2

from . import messages as msg
from .customer_state import APPLIERS, already_credited, exists

DOMAIN = "customer"


def create_customer(command: customer_pb2.CreateCustomer, state, ctx: CommandContext) -> list:
    guard(not exists(state), msg.CUSTOMER_ALREADY_EXISTS)
    validate(command.name != "", msg.CUSTOMER_NAME_REQUIRED)
    validate(command.email != "", msg.CUSTOMER_EMAIL_REQUIRED)
    return [customer_pb2.CustomerCreated(name=command.name, email=command.email, created_at=ctx.now)]


def add_loyalty_points(command: customer_pb2.AddLoyaltyPoints, state, _ctx: CommandContext) -> list:
    guard(exists(state), msg.CUSTOMER_DOES_NOT_EXIST)
    validate(command.points > 0, msg.POINTS_MUST_BE_POSITIVE)
    guard(not already_credited(state, command.reference), msg.points_already_credited(command.reference))
    return [
        customer_pb2.LoyaltyPointsAdded(
            points=command.points,
            new_balance=state.loyalty_points + command.points,
            reason=command.reason,
            reference=command.reference,
        )
    ]


def redeem_loyalty_points(command: customer_pb2.RedeemLoyaltyPoints, state, _ctx: CommandContext) -> list:
    guard(exists(state), msg.CUSTOMER_DOES_NOT_EXIST)
    validate(command.points > 0, msg.POINTS_MUST_BE_POSITIVE)
    guard(command.points <= state.loyalty_points, msg.insufficient_points(state.loyalty_points, command.points))
    return [
        customer_pb2.LoyaltyPointsRedeemed(
            points=command.points,
            new_balance=state.loyalty_points - command.points,
            redemption_type=command.redemption_type,
        )
    ]


AGGREGATE = Aggregate(
    DOMAIN,
    customer_pb2.CustomerState,
    APPLIERS,
    {
        customer_pb2.CreateCustomer: create_customer,
        customer_pb2.AddLoyaltyPoints: add_loyalty_points,
        customer_pb2.RedeemLoyaltyPoints: redeem_loyalty_points,
    },
)
