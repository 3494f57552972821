"""The inventory domain's upcaster: StockInitializedV1 (first release: no threshold, time at
field 3) reads back as a current StockInitialized with threshold 0."""
from angzarr_sdk.upcaster import Upcaster
from examples import inventory_pb2


def stock_initialized_from_v1(v1: inventory_pb2.StockInitializedV1) -> inventory_pb2.StockInitialized:
    current = inventory_pb2.StockInitialized(product_id=v1.product_id, quantity=v1.quantity, low_stock_threshold=0)
    if v1.HasField("initialized_at"):
        current.initialized_at.CopyFrom(v1.initialized_at)
    return current


UPCASTER = Upcaster("inventory", {inventory_pb2.StockInitializedV1: stock_initialized_from_v1})
