"""What every aggregate does the same way (example-domains §1.1, §1.4, §6.1)."""
import grpc
import pytest
from angzarr import types_pb2
from angzarr_sdk import any as anys
from angzarr_sdk.testing import given
from examples import order_pb2

from domains.cart.agg.aggregate import AGGREGATE as CART
from domains.customer.agg.aggregate import AGGREGATE as CUSTOMER
from domains.fulfillment.agg.aggregate import AGGREGATE as FULFILLMENT
from domains.inventory.agg.aggregate import AGGREGATE as INVENTORY
from domains.order.agg.aggregate import AGGREGATE as ORDER
from domains.product.agg.aggregate import AGGREGATE as PRODUCT

ALL = [CART, CUSTOMER, PRODUCT, ORDER, INVENTORY, FULFILLMENT]


@pytest.mark.parametrize("aggregate", ALL, ids=lambda a: a.domain)
def test_unknown_command_type_is_invalid_argument(aggregate):
    outcome = given(aggregate).when(types_pb2.Cover(domain="x"))
    assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT
    assert outcome.message == "Unknown command type: type.googleapis.com/angzarr.Cover"


@pytest.mark.parametrize("aggregate", ALL, ids=lambda a: a.domain)
def test_revocation_answers_a_system_revocation_and_changes_nothing(aggregate):
    revoke = types_pb2.RevokeEventCommand(saga_name="saga-x", rejection_reason="Inventory not initialized")
    outcome = given(aggregate).when(revoke)
    assert outcome.revocation.emit_system_revocation
    assert outcome.revocation.reason == "saga-x rejected: Inventory not initialized"
    assert outcome.events == []


@pytest.mark.parametrize("aggregate", ALL, ids=lambda a: a.domain)
def test_descriptor_names_the_domain_and_its_commands(aggregate):
    descriptor = aggregate.descriptor()
    assert (descriptor.name, descriptor.component_type) == (aggregate.domain, "aggregate")
    assert descriptor.inputs[0].event_types == list(aggregate.handlers)


def test_undecodable_command_bytes_fail_to_decode():
    page = types_pb2.CommandPage(sequence=0)
    page.command.type_url = "type.googleapis.com/examples.SubmitPayment"
    page.command.value = bytes([0xFF, 0xFE, 0xFD, 0x00, 0xDE, 0xAD])
    outcome = given(ORDER).when(None, raw=page)
    assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT
    assert outcome.message.startswith("failed to decode examples.SubmitPayment")


def test_any_type_url_prefix_routes_by_the_whole_name():
    command = order_pb2.CancelOrder(reason="x")
    page = types_pb2.CommandPage(sequence=0, command=anys.pack(command))
    page.command.type_url = "type.examples/examples.CancelOrder"
    assert given(ORDER).when(None, raw=page).message == "Order does not exist"
    page.command.type_url = "type.googleapis.com/other.examples.CancelOrder"
    assert given(ORDER).when(None, raw=page).message.startswith("Unknown command type")


def test_a_book_without_pages_is_refused():
    request = types_pb2.ContextualCommand(command=types_pb2.CommandBook())
    with pytest.raises(Exception) as raised:
        ORDER.handle(request)
    assert raised.value.message == "CommandBook has no pages"
