"""Fulfillment logic with prior events given (example-domains §2.6, §6.7)."""
import grpc
from angzarr_sdk.testing import given
from examples import fulfillment_pb2 as pb
from examples import order_pb2

from domains.fulfillment.agg.aggregate import AGGREGATE

FP, IA = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT
LINE = order_pb2.LineItem(product_id="SKU-1", quantity=2)
CREATED = pb.ShipmentCreated(order_id="order-1", status="pending", items=[LINE])
PICKED, PACKED = pb.ItemsPicked(picker_id="p"), pb.ItemsPacked(packer_id="q")


def test_the_shipment_walks_through_its_statuses():
    history = []
    for command, status in [
        (pb.CreateShipment(order_id="order-1", items=[LINE]), "pending"),
        (pb.MarkPicked(picker_id="p"), "picking"),
        (pb.MarkPacked(packer_id="q"), "packing"),
        (pb.Ship(carrier="ups", tracking_number="T1"), "shipped"),
        (pb.RecordDelivery(signature="sig"), "delivered"),
    ]:
        outcome = given(AGGREGATE, *history).when(command)
        assert outcome.code is None and outcome.state.status == status
        history.extend(outcome.events)
    shipped = history[3]
    assert (shipped.order_id, list(shipped.items), shipped.tracking_number) == ("order-1", [LINE], "T1")


def test_rules():
    assert given(AGGREGATE, CREATED).when(pb.CreateShipment(order_id="x")).message == "Shipment already exists"
    assert given(AGGREGATE).when(pb.CreateShipment()).code == IA
    assert given(AGGREGATE).when(pb.MarkPicked(picker_id="p")).message == "Shipment does not exist"
    assert given(AGGREGATE, CREATED, PICKED).when(pb.MarkPicked(picker_id="p")).message == "Shipment is not pending"
    assert given(AGGREGATE, CREATED).when(pb.MarkPacked(packer_id="q")).message == "Shipment is not picked"
    assert given(AGGREGATE, CREATED, PICKED, PACKED).when(pb.MarkPacked(packer_id="q")).message == "Shipment is not picked"
    assert given(AGGREGATE, CREATED, PICKED).when(pb.Ship(carrier="c")).message == "Shipment is not packed"
    assert given(AGGREGATE, CREATED, PICKED, PACKED).when(pb.Ship()).message == "Carrier is required"
    assert given(AGGREGATE, CREATED).when(pb.RecordDelivery()).message == "Shipment is not shipped"
    delivered = [CREATED, PICKED, PACKED, pb.Shipped(carrier="c"), pb.Delivered()]
    assert given(AGGREGATE, *delivered).when(pb.RecordDelivery()).message == "Shipment is already delivered"
