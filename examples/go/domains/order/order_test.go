package order

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

var (
	customerRoot = bytes.Repeat([]byte{1}, 16)
	line         = &examples.LineItem{ProductId: "SKU-1", Quantity: 2, UnitPriceCents: 2500}
	created      = &examples.OrderCreated{CustomerId: "C", Items: []*examples.LineItem{line}, SubtotalCents: 5000, CustomerRoot: customerRoot}
	paid         = &examples.PaymentSubmitted{PaymentMethod: "card", AmountCents: 5000}
)

func TestLifecycle(t *testing.T) {
	confirmed := sdk.When(Aggregate, &examples.ConfirmPayment{PaymentReference: "PAY-1"}, created, paid)
	e := confirmed.Events[0].(*examples.OrderCompleted)
	if e.FinalTotalCents != 5000 || e.LoyaltyPointsEarned != 50 || !bytes.Equal(e.CustomerRoot, customerRoot) || len(e.Items) != 1 {
		t.Fatalf("completed %v", e)
	}
	if !proto.Equal(confirmed.State, confirmed.Snapshot) || confirmed.Sequences[0] != 2 {
		t.Fatalf("snapshot or sequence wrong: %v %v", confirmed.Snapshot, confirmed.Sequences)
	}
	for total, points := range map[int32]int32{5000: 50, 4999: 49, 99: 0} {
		if LoyaltyPointsFor(total) != points {
			t.Errorf("points for %d", total)
		}
	}
}

func TestRules(t *testing.T) {
	discounted := &examples.LoyaltyDiscountApplied{PointsUsed: 500, DiscountCents: 500}
	cases := []struct {
		out     sdk.Outcome[*examples.OrderState]
		code    codes.Code
		message string
	}{
		{sdk.When(Aggregate, &examples.CreateOrder{CustomerId: "C"}), codes.InvalidArgument, "Order must have items"},
		{sdk.When(Aggregate, &examples.CreateOrder{CustomerId: "C", Items: []*examples.LineItem{{ProductId: "A", Quantity: 0}}}), codes.InvalidArgument, "Item quantity must be positive"},
		{sdk.When(Aggregate, &examples.CreateOrder{CustomerId: "C", Items: []*examples.LineItem{line}, CartRoot: []byte{1}}), codes.InvalidArgument, "Cart root must be a 16-byte UUID"},
		{sdk.When(Aggregate, &examples.SubmitPayment{PaymentMethod: "card", AmountCents: 5000}, created, discounted), codes.InvalidArgument, "Payment amount does not match order total: expected 4500, got 5000"},
		{sdk.When(Aggregate, &examples.ConfirmPayment{PaymentReference: "P"}, created), codes.FailedPrecondition, "Payment not submitted: order not paid"},
		{sdk.When(Aggregate, &examples.ApplyLoyaltyDiscount{Points: 1, DiscountCents: 1}, created, paid), codes.FailedPrecondition, "Payment already submitted"},
		{sdk.When(Aggregate, &examples.ApplyLoyaltyDiscount{Points: 5001, DiscountCents: 5001}, created), codes.InvalidArgument, "Discount cannot exceed subtotal"},
		{sdk.When(Aggregate, &examples.CancelOrder{}, created), codes.InvalidArgument, "Cancellation reason is required"},
		{sdk.When(Aggregate, &examples.CancelOrder{Reason: "x"}, created, paid, &examples.OrderCompleted{}), codes.FailedPrecondition, "Order is already completed"},
	}
	for i, c := range cases {
		if c.out.Code != c.code || c.out.Message != c.message {
			t.Errorf("case %d: got %v %q, want %v %q", i, c.out.Code, c.out.Message, c.code, c.message)
		}
	}
}
