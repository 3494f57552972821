package fulfillment

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

func TestTheShipmentWalksThroughItsStatuses(t *testing.T) {
	var history []proto.Message
	for _, step := range []struct {
		command proto.Message
		status  string
	}{
		{&examples.CreateShipment{OrderId: "order-1", Items: []*examples.LineItem{{ProductId: "A", Quantity: 1}}}, "pending"},
		{&examples.MarkPicked{PickerId: "p"}, "picking"},
		{&examples.MarkPacked{PackerId: "q"}, "packing"},
		{&examples.Ship{Carrier: "ups"}, "shipped"},
		{&examples.RecordDelivery{Signature: "s"}, "delivered"},
	} {
		out := sdk.When(Aggregate, step.command, history...)
		if out.Message != "" || out.State.Status != step.status {
			t.Fatalf("%T: %q, status %q", step.command, out.Message, out.State.Status)
		}
		history = append(history, out.Events...)
	}
	if shipped := history[3].(*examples.Shipped); shipped.OrderId != "order-1" || len(shipped.Items) != 1 {
		t.Fatalf("shipped %v", shipped)
	}
	if again := sdk.When(Aggregate, &examples.RecordDelivery{}, history...); again.Message != "Shipment is already delivered" {
		t.Fatalf("got %q", again.Message)
	}
	if early := sdk.When(Aggregate, &examples.Ship{Carrier: "c"}, history[:2]...); early.Message != "Shipment is not packed" {
		t.Fatalf("got %q", early.Message)
	}
}
