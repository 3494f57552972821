"""Functions on examples.CustomerState. Balances are facts (assigned); lifetime_points is the one
accumulation: every credit counts, refunds included, redemptions never lower it."""
from examples import customer_pb2


def exists(state: customer_pb2.CustomerState) -> bool:
    return state.email != ""


def already_credited(state: customer_pb2.CustomerState, reference: str) -> bool:
    return reference != "" and reference in state.credited_references


def apply_customer_created(state: customer_pb2.CustomerState, event: customer_pb2.CustomerCreated) -> None:
    state.name = event.name
    state.email = event.email
    state.loyalty_points = 0
    state.lifetime_points = 0
    del state.credited_references[:]


def apply_loyalty_points_added(state: customer_pb2.CustomerState, event: customer_pb2.LoyaltyPointsAdded) -> None:
    state.loyalty_points = event.new_balance
    state.lifetime_points += event.points
    if event.reference != "" and event.reference not in state.credited_references:
        state.credited_references.append(event.reference)


def apply_loyalty_points_redeemed(state: customer_pb2.CustomerState, event: customer_pb2.LoyaltyPointsRedeemed) -> None:
    state.loyalty_points = event.new_balance


APPLIERS = {
    customer_pb2.CustomerCreated: apply_customer_created,
    customer_pb2.LoyaltyPointsAdded: apply_loyalty_points_added,
    customer_pb2.LoyaltyPointsRedeemed: apply_loyalty_points_redeemed,
}
