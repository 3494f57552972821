"""Customer logic with prior events given (example-domains §2.2, §6.3)."""
import grpc
from angzarr_sdk.testing import given
from examples import customer_pb2 as pb

from domains.customer.agg.aggregate import AGGREGATE

FP, IA = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT
CREATED = pb.CustomerCreated(name="Alice", email="alice@example.com")


def test_create_and_its_rules():
    ok = given(AGGREGATE).when(pb.CreateCustomer(name="Alice", email="alice@example.com"))
    assert (ok.state.name, ok.state.email, ok.state.loyalty_points) == ("Alice", "alice@example.com", 0)
    assert given(AGGREGATE, CREATED).when(pb.CreateCustomer(name="A", email="a")).message == "Customer already exists"
    assert given(AGGREGATE).when(pb.CreateCustomer(email="a")).message == "Customer name is required"
    assert given(AGGREGATE).when(pb.CreateCustomer(name="A")).message == "Customer email is required"


def test_points_accumulate_and_references_are_credited_once():
    first = given(AGGREGATE, CREATED, pb.LoyaltyPointsAdded(points=50, new_balance=50)).when(
        pb.AddLoyaltyPoints(points=30, reason="promo", reference="earn:1")
    )
    assert (first.events[0].points, first.events[0].new_balance, first.events[0].reason) == (30, 80, "promo")
    again = given(AGGREGATE, CREATED, pb.LoyaltyPointsAdded(points=30, new_balance=30, reference="earn:1")).when(
        pb.AddLoyaltyPoints(points=30, reference="earn:1")
    )
    assert (again.code, again.message) == (FP, "Points already credited for reference earn:1")
    assert again.state.loyalty_points == 30
    assert given(AGGREGATE).when(pb.AddLoyaltyPoints(points=1)).message == "Customer does not exist"
    zero = given(AGGREGATE, CREATED).when(pb.AddLoyaltyPoints(points=0))
    assert (zero.code, zero.message) == (IA, "Points must be positive")


def test_redeeming():
    rich = [CREATED, pb.LoyaltyPointsAdded(points=100, new_balance=100)]
    ok = given(AGGREGATE, *rich).when(pb.RedeemLoyaltyPoints(points=50, redemption_type="discount"))
    assert (ok.events[0].new_balance, ok.events[0].redemption_type) == (50, "discount")
    too_much = given(AGGREGATE, *rich).when(pb.RedeemLoyaltyPoints(points=101))
    assert (too_much.code, too_much.message) == (FP, "Insufficient points: have 100, need 101")
    assert given(AGGREGATE, *rich).when(pb.RedeemLoyaltyPoints(points=0)).code == IA
    assert given(AGGREGATE).when(pb.RedeemLoyaltyPoints(points=1)).code == FP


def test_lifetime_points_count_credits_never_redemptions():
    g = given(AGGREGATE, CREATED, pb.LoyaltyPointsAdded(points=100, new_balance=100), pb.LoyaltyPointsRedeemed(points=40, new_balance=60))
    state = g.state()
    assert (state.loyalty_points, state.lifetime_points) == (60, 100)
    outcome = g.when(pb.AddLoyaltyPoints(points=10, reference="refund:1"))
    assert (outcome.state.loyalty_points, outcome.state.lifetime_points) == (70, 110)
    assert g.snapshot_consistent(outcome)
