package inventory

import (
	"testing"

	"google.golang.org/grpc/codes"

	"angzarr.dev/examples/gen/angzarr"
	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

func stocked(quantity, threshold int32) *examples.StockInitialized {
	return &examples.StockInitialized{ProductId: "SKU-1", Quantity: quantity, LowStockThreshold: threshold}
}

func TestReserveWithLowStockAlert(t *testing.T) {
	out := sdk.When(Aggregate, &examples.ReserveStock{Quantity: 15, OrderId: "o"}, stocked(20, 10))
	if len(out.Events) != 2 || out.Sequences[1] != 2 {
		t.Fatalf("events %v at %v", out.Events, out.Sequences)
	}
	if alert := out.Events[1].(*examples.LowStockAlert); alert.Available != 5 || alert.Threshold != 10 {
		t.Fatalf("alert %v", alert)
	}
	if quiet := sdk.When(Aggregate, &examples.ReserveStock{Quantity: 15, OrderId: "o"}, stocked(20, 0)); len(quiet.Events) != 1 {
		t.Fatalf("no alert expected at threshold 0")
	}
}

func TestReleaseCommitAndRules(t *testing.T) {
	held := &examples.StockReserved{OrderId: "o", Quantity: 15, NewOnHand: 100, NewReserved: 15}
	committed := sdk.When(Aggregate, &examples.CommitReservation{OrderId: "o"}, stocked(100, 0), held)
	if committed.State.OnHand != 85 || committed.State.Reserved != 0 {
		t.Fatalf("state %v", committed.State)
	}
	cases := []struct {
		out     sdk.Outcome[*examples.InventoryState]
		code    codes.Code
		message string
	}{
		{sdk.When(Aggregate, &examples.ReserveStock{Quantity: 1, OrderId: "o"}), codes.FailedPrecondition, "Inventory not initialized"},
		{sdk.When(Aggregate, &examples.ReserveStock{Quantity: 1}, stocked(10, 0)), codes.InvalidArgument, "Order ID is required"},
		{sdk.When(Aggregate, &examples.ReserveStock{Quantity: 1, OrderId: "o"}, stocked(100, 0), held), codes.FailedPrecondition, "Reservation already exists for this order"},
		{sdk.When(Aggregate, &examples.ReserveStock{Quantity: 11, OrderId: "x"}, stocked(10, 0)), codes.FailedPrecondition, "Insufficient available stock: have 10, need 11"},
		{sdk.When(Aggregate, &examples.ReleaseReservation{OrderId: "o"}, stocked(10, 0)), codes.NotFound, "Reservation not found"},
		{sdk.When(Aggregate, &examples.InitializeStock{ProductId: "S", Quantity: -1}), codes.InvalidArgument, "Quantity cannot be negative"},
	}
	for i, c := range cases {
		if c.out.Code != c.code || c.out.Message != c.message {
			t.Errorf("case %d: got %v %q, want %v %q", i, c.out.Code, c.out.Message, c.code, c.message)
		}
	}
}

func TestUpcasterReadsV1AsCurrent(t *testing.T) {
	request := &angzarr.UpcastRequest{Events: []*angzarr.EventPage{
		{Sequence: &angzarr.EventPage_Num{Num: 0}, Event: sdk.Pack(&examples.StockInitializedV1{ProductId: "SKU-1", Quantity: 7})},
	}}
	response, err := Upcaster.Upcast(request)
	if err != nil {
		t.Fatal(err)
	}
	current, err := sdk.Decode(response.Events[0].Event, &examples.StockInitialized{})
	if err != nil || sdk.FullName(response.Events[0].Event.TypeUrl) != "examples.StockInitialized" || current.(*examples.StockInitialized).Quantity != 7 {
		t.Fatalf("upcast to %v (%v)", current, err)
	}
}
