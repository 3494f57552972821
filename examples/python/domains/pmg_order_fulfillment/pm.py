"""pmg-order-fulfillment (example-domains §4): one order per correlation id. Binds to the order
from the triggering history, records payment, inventory and fulfillment as they become
satisfied, and sends exactly one Ship to the recorded shipment root once all three hold.
State lives in domain `order-fulfillment` at uuidv5(OID, correlation id)."""
from dataclasses import dataclass, field

from angzarr_sdk import cover as covers
from angzarr_sdk.command_book import command_for
from angzarr_sdk.components import EventTypes
from angzarr_sdk.identity import inventory_root, is_uuid, process_manager_root, uuid_text
from angzarr_sdk.process_manager import ProcessManager
from examples import fulfillment_pb2, inventory_pb2, order_fulfillment_pb2 as pb, order_pb2

from domains.shared.line_item import distinct_products

from .order_fulfillment_state import APPLIERS, PREREQUISITES, in_canonical_order

NAME = "pmg-order-fulfillment"
STATE_DOMAIN = "order-fulfillment"

INPUTS = [
    ("order", [order_pb2.OrderCreated, order_pb2.LoyaltyDiscountApplied, order_pb2.PaymentSubmitted, order_pb2.OrderCompleted, order_pb2.OrderCancelled]),
    (
        "inventory",
        [
            inventory_pb2.StockInitialized,
            inventory_pb2.StockReceived,
            inventory_pb2.StockReserved,
            inventory_pb2.ReservationReleased,
            inventory_pb2.ReservationCommitted,
            inventory_pb2.LowStockAlert,
        ],
    ),
    ("fulfillment", [fulfillment_pb2.ShipmentCreated, fulfillment_pb2.ItemsPicked, fulfillment_pb2.ItemsPacked, fulfillment_pb2.Shipped, fulfillment_pb2.Delivered]),
]
TYPES = EventTypes([t for _domain, types in INPUTS for t in types])


@dataclass
class Binding:
    order_id: str
    product_ids: list


@dataclass
class History:
    """What one aggregate history (the trigger or a Prepare destination) tells the PM."""

    domain: str
    root: bytes | None
    binding: Binding | None = None
    paid: bool = False
    packed: bool = False
    reserved_for: set = field(default_factory=set)


def read(book) -> History:
    domain = book.cover.domain
    history = History(domain=domain, root=covers.root_of(book.cover))
    for page in TYPES.decode(book, NAME):
        event = page.event
        if domain == "order" and history.root and isinstance(event, order_pb2.OrderCreated):
            if history.binding is None:
                history.binding = Binding(uuid_text(history.root), [p for p, _q in distinct_products(event.items)])
        elif domain == "order" and isinstance(event, order_pb2.PaymentSubmitted):
            history.paid = True
        elif domain == "fulfillment" and isinstance(event, fulfillment_pb2.ShipmentCreated) and event.order_id:
            if history.binding is None:
                history.binding = Binding(event.order_id, [p for p, _q in distinct_products(event.items)])
        elif domain == "fulfillment" and isinstance(event, fulfillment_pb2.ItemsPacked):
            history.packed = True
        elif domain == "inventory" and isinstance(event, inventory_pb2.StockReserved):
            history.reserved_for.add(event.order_id)
    return history


def resolve(state, trigger: History):
    """(binding, newly_bound) for the order this trigger works for, or None."""
    if state.order_id != "":
        if trigger.binding and trigger.binding.order_id != state.order_id:
            return None
        return Binding(state.order_id, list(state.product_ids)), False
    return (trigger.binding, True) if trigger.binding else None


def satisfied(prerequisite: str, binding: Binding, trigger: History, inventory: list):
    """The source root when the prerequisite now holds, else None."""
    if prerequisite == "payment":
        ok = trigger.domain == "order" and trigger.root and uuid_text(trigger.root) == binding.order_id and trigger.paid
        return trigger.root if ok else None
    if prerequisite == "inventory":
        for product_id in binding.product_ids:
            root = inventory_root(product_id)
            if not any(h.root == root and binding.order_id in h.reserved_for for h in inventory):
                return None
        return b""
    ok = (
        trigger.domain == "fulfillment"
        and trigger.root
        and trigger.binding is not None
        and trigger.binding.order_id == binding.order_id
        and trigger.packed
    )
    return trigger.root if ok else None


def prepare(trigger_book, state) -> list:
    correlation_id = trigger_book.cover.correlation_id
    if correlation_id == "" or state.dispatched or "inventory" in state.completed:
        return []
    trigger = read(trigger_book)
    resolved = resolve(state, trigger)
    if resolved is None:
        return []
    roots = [inventory_root(p) for p in resolved[0].product_ids]
    return [
        covers.make("inventory", root, correlation_id)
        for root in roots
        if not (trigger.domain == "inventory" and trigger.root == root)
    ]


def handle(trigger_book, state, destinations) -> tuple[list, list]:
    correlation_id = trigger_book.cover.correlation_id
    # 1. Exactly once: nothing without a correlation id or after dispatch.
    if correlation_id == "" or state.dispatched:
        return [], []
    trigger = read(trigger_book)
    resolved = resolve(state, trigger)
    if resolved is None:
        return [], []
    binding, newly_bound = resolved
    events = []
    # 2. Bind.
    if newly_bound:
        events.append(pb.OrderTracked(order_id=binding.order_id, product_ids=binding.product_ids))
    # 3. Prerequisites now satisfied, in canonical order.
    inventory = [h for h in [trigger, *map(read, destinations)] if h.domain == "inventory"]
    completed = set(state.completed)
    fulfillment_root = bytes(state.fulfillment_root)
    for prerequisite in PREREQUISITES:
        if prerequisite in completed:
            continue
        source_root = satisfied(prerequisite, binding, trigger, inventory)
        if source_root is None:
            continue
        completed.add(prerequisite)
        if prerequisite == "fulfillment":
            fulfillment_root = source_root
        events.append(
            pb.PrerequisiteCompleted(
                prerequisite=prerequisite,
                completed=in_canonical_order(completed),
                remaining=[p for p in PREREQUISITES if p not in completed],
                source_root=source_root,
            )
        )
    # 4. Dispatch once, to the recorded shipment root.
    commands = []
    if all(p in completed for p in PREREQUISITES) and is_uuid(fulfillment_root):
        events.append(
            pb.DispatchIssued(completed=in_canonical_order(completed), fulfillment_root=fulfillment_root, order_id=binding.order_id)
        )
        ship = fulfillment_pb2.Ship(carrier=f"auto-{uuid_text(fulfillment_root)}", tracking_number="")
        commands.append(command_for("fulfillment", fulfillment_root, correlation_id, ship))
    return commands, events


PM = ProcessManager(NAME, STATE_DOMAIN, process_manager_root, INPUTS, pb.OrderFulfillmentState, APPLIERS, prepare, handle)
