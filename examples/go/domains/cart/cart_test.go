package cart

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/angzarr"
	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

var created = &examples.CartCreated{CustomerId: "CUST-001"}

func added(productID string, quantity, price, subtotal int32) *examples.ItemAdded {
	return &examples.ItemAdded{ProductId: productID, Quantity: quantity, UnitPriceCents: price, NewSubtotal: subtotal}
}

func TestAddingItemsSumsLinesAndQuantities(t *testing.T) {
	out := sdk.When(Aggregate, &examples.AddItem{ProductId: "SKU-1", Quantity: 3, UnitPriceCents: 1000}, created, added("SKU-1", 2, 1000, 2000))
	e := out.Events[0].(*examples.ItemAdded)
	if e.Quantity != 5 || e.NewSubtotal != 5000 || out.Sequences[0] != 2 {
		t.Fatalf("got %v at %v", e, out.Sequences)
	}
	if !proto.Equal(out.State, out.Snapshot) {
		t.Fatalf("snapshot %v differs from the replayed state %v", out.Snapshot, out.State)
	}
}

func TestRulesInCheckOrder(t *testing.T) {
	cases := []struct {
		prior   []proto.Message
		command proto.Message
		code    codes.Code
		message string
	}{
		{nil, &examples.AddItem{ProductId: "S", Quantity: 1}, codes.FailedPrecondition, "Cart does not exist"},
		{[]proto.Message{created, &examples.CartCheckedOut{}}, &examples.AddItem{ProductId: "S", Quantity: 1}, codes.FailedPrecondition, "Cart is already checked out"},
		{[]proto.Message{created}, &examples.AddItem{Quantity: 0}, codes.InvalidArgument, "Product ID is required"},
		{[]proto.Message{created}, &examples.AddItem{ProductId: "S"}, codes.InvalidArgument, "Quantity must be positive"},
		{[]proto.Message{created}, &examples.RemoveItem{ProductId: "S"}, codes.NotFound, "Item not in cart"},
		{[]proto.Message{created}, &examples.ApplyCoupon{Code: "X", CouponType: "fixed", Value: 1}, codes.FailedPrecondition, "Cart is empty"},
		{[]proto.Message{created, added("S", 1, 100, 100)}, &examples.ApplyCoupon{Code: "X", CouponType: "bogus", Value: 1}, codes.InvalidArgument, "Coupon type must be percentage or fixed"},
		{[]proto.Message{created}, &examples.CreateCart{CustomerId: "C"}, codes.FailedPrecondition, "Cart already exists"},
		{nil, &examples.CreateCart{}, codes.InvalidArgument, "Customer ID is required"},
	}
	for _, c := range cases {
		out := sdk.When(Aggregate, c.command, c.prior...)
		if out.Code != c.code || out.Message != c.message {
			t.Errorf("%T: got %v %q, want %v %q", c.command, out.Code, out.Message, c.code, c.message)
		}
	}
}

func TestCouponsAndCheckout(t *testing.T) {
	base := []proto.Message{created, added("S", 2, 1000, 2000)}
	percent := sdk.When(Aggregate, &examples.ApplyCoupon{Code: "TEN", CouponType: "percentage", Value: 10}, base...)
	capped := sdk.When(Aggregate, &examples.ApplyCoupon{Code: "F", CouponType: "fixed", Value: 9000}, base...)
	if percent.Events[0].(*examples.CouponApplied).DiscountCents != 200 || capped.Events[0].(*examples.CouponApplied).DiscountCents != 2000 {
		t.Fatalf("discounts %v %v", percent.Events, capped.Events)
	}
	done := sdk.When(Aggregate, &examples.Checkout{}, base...)
	if e := done.Events[0].(*examples.CartCheckedOut); e.FinalSubtotal != 2000 || done.State.Status != "checked_out" {
		t.Fatalf("checkout %v %v", e, done.State)
	}
}

func TestEveryAggregateAnswersRevocationUnknownAndUndecodable(t *testing.T) {
	revoked := sdk.When(Aggregate, &angzarr.RevokeEventCommand{SagaName: "saga-x", RejectionReason: "no"})
	if revoked.Revocation == nil || !revoked.Revocation.EmitSystemRevocation || revoked.Revocation.Reason != "saga-x rejected: no" {
		t.Fatalf("revocation %v", revoked.Revocation)
	}
	unknown := sdk.When(Aggregate, &angzarr.Cover{})
	if unknown.Code != codes.InvalidArgument || unknown.Message != "Unknown command type: type.googleapis.com/angzarr.Cover" {
		t.Fatalf("unknown %v %q", unknown.Code, unknown.Message)
	}
	page := &angzarr.CommandPage{Command: sdk.Pack(&examples.AddItem{})}
	page.Command.Value = []byte{0xFF, 0xFE, 0xFD, 0x00, 0xDE, 0xAD}
	bad := sdk.WhenPage(Aggregate, page, created)
	if bad.Code != codes.InvalidArgument || len(bad.Message) < 16 || bad.Message[:16] != "failed to decode" {
		t.Fatalf("undecodable %v %q", bad.Code, bad.Message)
	}
}
