"""Functions on examples.OrderFulfillmentState: the fold of the PM's own events."""
from examples import order_fulfillment_pb2 as pb

PREREQUISITES = ("payment", "inventory", "fulfillment")


def in_canonical_order(names) -> list[str]:
    names = set(names)
    return [p for p in PREREQUISITES if p in names]


def apply_order_tracked(state: pb.OrderFulfillmentState, event: pb.OrderTracked) -> None:
    state.order_id = event.order_id
    del state.product_ids[:]
    state.product_ids.extend(event.product_ids)


def apply_prerequisite_completed(state: pb.OrderFulfillmentState, event: pb.PrerequisiteCompleted) -> None:
    completed = in_canonical_order([*state.completed, event.prerequisite])
    del state.completed[:]
    state.completed.extend(completed)
    if event.prerequisite == "fulfillment":
        state.fulfillment_root = event.source_root


def apply_dispatch_issued(state: pb.OrderFulfillmentState, _event: pb.DispatchIssued) -> None:
    state.dispatched = True


APPLIERS = {
    pb.OrderTracked: apply_order_tracked,
    pb.PrerequisiteCompleted: apply_prerequisite_completed,
    pb.DispatchIssued: apply_dispatch_issued,
}
