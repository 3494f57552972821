"""Inventory logic with prior events given (example-domains §2.5, §6.6)."""
import grpc
from angzarr_sdk import any as anys
from angzarr_sdk.testing import given
from angzarr import types_pb2, upcaster_pb2
from examples import inventory_pb2 as pb

from domains.inventory.agg.aggregate import AGGREGATE
from domains.inventory.agg.upcaster import UPCASTER

FP, IA, NF = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND


def stocked(quantity=100, threshold=0):
    return pb.StockInitialized(product_id="SKU-1", quantity=quantity, low_stock_threshold=threshold)


def reserved(order_id, quantity, on_hand, total_reserved):
    return pb.StockReserved(order_id=order_id, quantity=quantity, new_on_hand=on_hand, new_reserved=total_reserved, new_available=on_hand - total_reserved)


def test_initialize_and_receive():
    assert given(AGGREGATE).when(pb.InitializeStock(product_id="SKU-1", quantity=0)).state.on_hand == 0
    assert given(AGGREGATE, stocked()).when(pb.InitializeStock(product_id="SKU-1")).message == "Inventory already initialized"
    assert given(AGGREGATE).when(pb.InitializeStock(product_id="S", quantity=-1)).message == "Quantity cannot be negative"
    received = given(AGGREGATE, stocked(50)).when(pb.ReceiveStock(quantity=25))
    assert received.events[0].new_on_hand == 75
    assert given(AGGREGATE).when(pb.ReceiveStock(quantity=1)).message == "Inventory not initialized"
    assert given(AGGREGATE, stocked()).when(pb.ReceiveStock(quantity=-1)).code == IA


def test_reservations_stack_and_are_refused_in_check_order():
    ok = given(AGGREGATE, stocked(), reserved("o1", 20, 100, 20)).when(pb.ReserveStock(quantity=30, order_id="o2"))
    assert (ok.events[0].new_available, ok.events[0].new_reserved) == (50, 50)
    cases = [
        ([], pb.ReserveStock(quantity=1, order_id="o"), FP, "Inventory not initialized"),
        ([stocked()], pb.ReserveStock(quantity=0, order_id="o"), IA, "Quantity must be positive"),
        ([stocked()], pb.ReserveStock(quantity=1), IA, "Order ID is required"),
        ([stocked(), reserved("o", 1, 100, 1)], pb.ReserveStock(quantity=1, order_id="o"), FP, "Reservation already exists for this order"),
        ([stocked(10)], pb.ReserveStock(quantity=11, order_id="o"), FP, "Insufficient available stock: have 10, need 11"),
    ]
    for prior, command, code, message in cases:
        outcome = given(AGGREGATE, *prior).when(command)
        assert (outcome.code, outcome.message) == (code, message)


def test_low_stock_alert_follows_in_the_same_response():
    outcome = given(AGGREGATE, stocked(20, 10)).when(pb.ReserveStock(quantity=15, order_id="o"))
    assert [type(e).__name__ for e in outcome.events] == ["StockReserved", "LowStockAlert"]
    assert outcome.sequences == [1, 2]
    assert (outcome.events[1].available, outcome.events[1].threshold) == (5, 10)
    assert len(given(AGGREGATE, stocked(20, 0)).when(pb.ReserveStock(quantity=15, order_id="o")).events) == 1


def test_release_and_commit():
    held = [stocked(), reserved("o", 25, 100, 25)]
    released = given(AGGREGATE, *held).when(pb.ReleaseReservation(order_id="o"))
    assert (released.events[0].new_available, released.state.reserved, dict(released.state.reservations)) == (100, 0, {})
    committed = given(AGGREGATE, stocked(), reserved("o", 15, 100, 15)).when(pb.CommitReservation(order_id="o"))
    assert (committed.state.on_hand, committed.state.reserved) == (85, 0)
    missing = given(AGGREGATE, stocked()).when(pb.CommitReservation(order_id="o"))
    assert (missing.code, missing.message) == (NF, "Reservation not found")


def test_upcaster_reads_v1_as_current_with_threshold_zero():
    v1 = pb.StockInitializedV1(product_id="SKU-1", quantity=7)
    other = pb.StockReceived(quantity=1, new_on_hand=8)
    request = upcaster_pb2.UpcastRequest(
        domain="inventory",
        events=[types_pb2.EventPage(num=0, event=anys.pack(v1)), types_pb2.EventPage(num=1, event=anys.pack(other))],
    )
    pages = UPCASTER.upcast(request).events
    current = anys.unpack(pages[0].event, pb.StockInitialized)
    assert anys.full_name(pages[0].event.type_url) == "examples.StockInitialized"
    assert (current.product_id, current.quantity, current.low_stock_threshold, pages[0].num) == ("SKU-1", 7, 0, 0)
    assert pages[1] == request.events[1]
