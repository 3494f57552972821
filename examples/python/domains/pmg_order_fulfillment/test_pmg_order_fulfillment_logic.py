"""pmg-order-fulfillment (example-domains §4, §6.9): every arrival order dispatches exactly once,
to the packed shipment's root."""
import itertools

from angzarr import process_manager_pb2 as pmpb
from angzarr_sdk import any as anys
from angzarr_sdk.identity import inventory_root, order_root, process_manager_root, uuid_text
from angzarr_sdk.testing import book_of
from examples import fulfillment_pb2, inventory_pb2, order_fulfillment_pb2, order_pb2

from domains.pmg_order_fulfillment.pm import PM

CORRELATION = "corr-1"
ORDER = order_root("ORD-001")
ORDER_ID = uuid_text(ORDER)
SHIPMENT = bytes(ORDER)
LINE = order_pb2.LineItem(product_id="SKU-001", quantity=2)


def book(domain, root, events):
    b = book_of(domain, events, correlation_id=CORRELATION)
    b.cover.root.value = root
    return b


ORDER_PAID = book("order", ORDER, [order_pb2.OrderCreated(customer_id="c", items=[LINE]), order_pb2.PaymentSubmitted(payment_method="card")])
RESERVED = book("inventory", inventory_root("SKU-001"), [inventory_pb2.StockInitialized(product_id="SKU-001", quantity=10), inventory_pb2.StockReserved(order_id=ORDER_ID, quantity=2)])
PACKED = book("fulfillment", SHIPMENT, [fulfillment_pb2.ShipmentCreated(order_id=ORDER_ID, items=[LINE]), fulfillment_pb2.ItemsPicked(), fulfillment_pb2.ItemsPacked()])


class Run:
    """The PM's own history, grown the way the runtime grows it between triggers."""

    def __init__(self):
        self.state = None
        self.ships = []

    def deliver(self, trigger):
        prepared = PM.prepare(pmpb.ProcessManagerPrepareRequest(trigger=trigger, process_state=self.state))
        destinations = [RESERVED for cover in prepared.destinations if cover.root.value == RESERVED.cover.root.value]
        request = pmpb.ProcessManagerHandleRequest(trigger=trigger, destinations=destinations)
        if self.state is not None:
            request.process_state.CopyFrom(self.state)
        response = PM.handle(request)
        if response.HasField("process_events"):
            if self.state is None:
                self.state = response.process_events
            else:
                self.state.pages.extend(response.process_events.pages)
        self.ships.extend(response.commands)
        return response


def test_every_arrival_order_dispatches_exactly_once_to_the_packed_shipment():
    for order in itertools.permutations([ORDER_PAID, RESERVED, PACKED]):
        run = Run()
        for trigger in order:
            run.deliver(trigger)
        run.deliver(PACKED)  # re-delivered after dispatch: nothing more
        assert len(run.ships) == 1, order
        ship = run.ships[0]
        assert (ship.cover.domain, ship.cover.root.value, ship.cover.correlation_id) == ("fulfillment", SHIPMENT, CORRELATION)
        assert anys.unpack(ship.pages[0].command, fulfillment_pb2.Ship).carrier == f"auto-{uuid_text(SHIPMENT)}"
        state = PM.rebuild(run.state)
        assert (list(state.completed), state.dispatched) == (["payment", "inventory", "fulfillment"], True)
        assert run.state.cover.root.value == process_manager_root(CORRELATION)


def test_two_prerequisites_dispatch_nothing_and_no_correlation_is_ignored():
    run = Run()
    run.deliver(ORDER_PAID)
    run.deliver(RESERVED)
    assert run.ships == []
    bare = book("order", ORDER, [order_pb2.OrderCreated(customer_id="c", items=[LINE])])
    bare.cover.correlation_id = ""
    response = PM.handle(pmpb.ProcessManagerHandleRequest(trigger=bare))
    assert not response.HasField("process_events") and list(response.commands) == []


def test_binding_records_the_order_and_its_products():
    response = Run().deliver(ORDER_PAID)
    tracked = anys.unpack(response.process_events.pages[0].event, order_fulfillment_pb2.OrderTracked)
    assert (tracked.order_id, list(tracked.product_ids)) == (ORDER_ID, ["SKU-001"])
    assert response.process_events.pages[0].num == 0
