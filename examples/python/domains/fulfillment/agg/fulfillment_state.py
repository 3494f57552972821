"""Functions on examples.FulfillmentState. Status names kept from the reference: `picking`
means picked, `packing` means packed."""
from examples import fulfillment_pb2

PENDING = "pending"
PICKING = "picking"
PACKING = "packing"
SHIPPED = "shipped"
DELIVERED = "delivered"


def exists(state: fulfillment_pb2.FulfillmentState) -> bool:
    return state.order_id != ""


def apply_shipment_created(state, event: fulfillment_pb2.ShipmentCreated) -> None:
    state.order_id = event.order_id
    del state.items[:]
    state.items.extend(event.items)
    state.status = event.status


def apply_items_picked(state, event: fulfillment_pb2.ItemsPicked) -> None:
    state.picker_id = event.picker_id
    state.status = PICKING


def apply_items_packed(state, event: fulfillment_pb2.ItemsPacked) -> None:
    state.packer_id = event.packer_id
    state.status = PACKING


def apply_shipped(state, event: fulfillment_pb2.Shipped) -> None:
    state.carrier = event.carrier
    state.tracking_number = event.tracking_number
    state.status = SHIPPED


def apply_delivered(state, event: fulfillment_pb2.Delivered) -> None:
    state.signature = event.signature
    state.status = DELIVERED


APPLIERS = {
    fulfillment_pb2.ShipmentCreated: apply_shipment_created,
    fulfillment_pb2.ItemsPicked: apply_items_picked,
    fulfillment_pb2.ItemsPacked: apply_items_packed,
    fulfillment_pb2.Shipped: apply_shipped,
    fulfillment_pb2.Delivered: apply_delivered,
}
