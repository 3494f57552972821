"""Product logic with prior events given (example-domains §2.3, §6.4)."""
import grpc
from angzarr_sdk.testing import given
from examples import product_pb2 as pb

from domains.product.agg.aggregate import AGGREGATE

FP, IA = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT
CREATED = pb.ProductCreated(sku="SKU-1", name="Widget", description="d", price_cents=1000)


def test_create_and_its_rules():
    ok = given(AGGREGATE).when(pb.CreateProduct(sku="SKU-1", name="Widget", description="d", price_cents=1000))
    assert (ok.state.sku, ok.state.price_cents, ok.state.status) == ("SKU-1", 1000, "active")
    assert given(AGGREGATE, CREATED).when(pb.CreateProduct(sku="S", name="N", price_cents=1)).message == "Product already exists"
    assert given(AGGREGATE).when(pb.CreateProduct(name="N", price_cents=1)).message == "Product SKU is required"
    assert given(AGGREGATE).when(pb.CreateProduct(sku="S", price_cents=1)).message == "Product name is required"
    assert given(AGGREGATE).when(pb.CreateProduct(sku="S", name="N", price_cents=0)).message == "Price must be positive"


def test_update_price_and_discontinue():
    price = given(AGGREGATE, CREATED).when(pb.SetPrice(price_cents=1500))
    assert (price.events[0].price_cents, price.events[0].previous_price_cents) == (1500, 1000)
    stopped = [CREATED, pb.ProductDiscontinued(reason="old")]
    assert given(AGGREGATE, *stopped).when(pb.SetPrice(price_cents=1)).message == "Product is discontinued"
    assert given(AGGREGATE, *stopped).when(pb.UpdateProduct(name="N")).message == "Product is discontinued"
    assert given(AGGREGATE, *stopped).when(pb.Discontinue()).message == "Product is already discontinued"
    assert given(AGGREGATE).when(pb.Discontinue()).message == "Product does not exist"
    assert given(AGGREGATE, CREATED).when(pb.SetPrice(price_cents=-1)).code == IA
    updated = given(AGGREGATE, CREATED).when(pb.UpdateProduct(name="Gadget", description="new"))
    assert (updated.state.name, updated.state.description) == ("Gadget", "new")
