package product

import (
	"testing"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

var created = &examples.ProductCreated{Sku: "SKU-1", Name: "Widget", PriceCents: 1000}

func TestPriceAndDiscontinuation(t *testing.T) {
	out := sdk.When(Aggregate, &examples.SetPrice{PriceCents: 1500}, created)
	if e := out.Events[0].(*examples.PriceSet); e.PreviousPriceCents != 1000 || out.State.PriceCents != 1500 {
		t.Fatalf("got %v", e)
	}
	stopped := &examples.ProductDiscontinued{Reason: "old"}
	for _, c := range []struct {
		out     sdk.Outcome[*examples.ProductState]
		message string
	}{
		{sdk.When(Aggregate, &examples.SetPrice{PriceCents: 1}, created, stopped), "Product is discontinued"},
		{sdk.When(Aggregate, &examples.Discontinue{}, created, stopped), "Product is already discontinued"},
		{sdk.When(Aggregate, &examples.Discontinue{}), "Product does not exist"},
		{sdk.When(Aggregate, &examples.CreateProduct{Sku: "S", Name: "N"}), "Price must be positive"},
		{sdk.When(Aggregate, &examples.CreateProduct{Name: "N", PriceCents: 1}), "Product SKU is required"},
		{sdk.When(Aggregate, &examples.UpdateProduct{}, created), "Product name is required"},
	} {
		if c.out.Message != c.message {
			t.Errorf("got %q, want %q", c.out.Message, c.message)
		}
	}
}
