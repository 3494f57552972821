"""The fulfillment aggregate (example-domains §2.6): root = the order's root."""
from angzarr_sdk.aggregate import Aggregate, CommandContext
from angzarr_sdk.errors import guard, validate
from examples import fulfillment_pb2

from . import fulfillment_state as s
from . import messages as msg

DOMAIN = "fulfillment"


def shipment_exists(state) -> None:
    guard(s.exists(state), msg.SHIPMENT_DOES_NOT_EXIST)


def in_status(state, status: str, message: str) -> None:
    guard(state.status == status, message)


def create_shipment(command: fulfillment_pb2.CreateShipment, state, ctx: CommandContext) -> list:
    guard(not s.exists(state), msg.SHIPMENT_ALREADY_EXISTS)
    validate(command.order_id != "", msg.ORDER_ID_REQUIRED)
    return [
        fulfillment_pb2.ShipmentCreated(
            order_id=command.order_id, status=s.PENDING, created_at=ctx.now, items=command.items
        )
    ]


def mark_picked(command: fulfillment_pb2.MarkPicked, state, ctx: CommandContext) -> list:
    shipment_exists(state)
    in_status(state, s.PENDING, msg.NOT_PENDING)
    validate(command.picker_id != "", msg.PICKER_ID_REQUIRED)
    return [fulfillment_pb2.ItemsPicked(picker_id=command.picker_id, picked_at=ctx.now)]


def mark_packed(command: fulfillment_pb2.MarkPacked, state, ctx: CommandContext) -> list:
    shipment_exists(state)
    in_status(state, s.PICKING, msg.NOT_PICKED)
    validate(command.packer_id != "", msg.PACKER_ID_REQUIRED)
    return [fulfillment_pb2.ItemsPacked(packer_id=command.packer_id, packed_at=ctx.now)]


def ship(command: fulfillment_pb2.Ship, state, ctx: CommandContext) -> list:
    shipment_exists(state)
    in_status(state, s.PACKING, msg.NOT_PACKED)
    validate(command.carrier != "", msg.CARRIER_REQUIRED)
    return [
        fulfillment_pb2.Shipped(
            carrier=command.carrier,
            tracking_number=command.tracking_number,
            shipped_at=ctx.now,
            items=state.items,
            order_id=state.order_id,
        )
    ]


def record_delivery(command: fulfillment_pb2.RecordDelivery, state, ctx: CommandContext) -> list:
    shipment_exists(state)
    guard(state.status != s.DELIVERED, msg.ALREADY_DELIVERED)
    in_status(state, s.SHIPPED, msg.NOT_SHIPPED)
    return [fulfillment_pb2.Delivered(signature=command.signature, delivered_at=ctx.now)]


AGGREGATE = Aggregate(
    DOMAIN,
    fulfillment_pb2.FulfillmentState,
    s.APPLIERS,
    {
        fulfillment_pb2.CreateShipment: create_shipment,
        fulfillment_pb2.MarkPicked: mark_picked,
        fulfillment_pb2.MarkPacked: mark_packed,
        fulfillment_pb2.Ship: ship,
        fulfillment_pb2.RecordDelivery: record_delivery,
    },
)
