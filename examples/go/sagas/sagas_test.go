package sagas

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/angzarr"
	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

func run(saga *sdk.Saga, domain string, events ...proto.Message) []*angzarr.CommandBook {
	book := sdk.BookOf(domain, events...)
	book.Cover.Root.Value = sdk.OrderRoot("ORD-001")
	book.Cover.CorrelationId = "corr-1"
	return saga.Execute(&angzarr.SagaExecuteRequest{Source: book}).Commands
}

func TestIdentities(t *testing.T) {
	if got := sdk.UUIDText(sdk.OrderRoot("ORD-001")); got != "eb8052f7-3398-5b3a-99f8-7d84e926a184" {
		t.Fatalf("order root %s", got)
	}
	if got := sdk.UUIDText(sdk.InventoryRoot("SKU-001")); got != "934c8417-4c8b-581b-971d-000ebe80f1e3" {
		t.Fatalf("inventory root %s", got)
	}
}

func TestOrderInventoryReservesEachDistinctProduct(t *testing.T) {
	items := []*examples.LineItem{{ProductId: "SKU-001", Quantity: 2}, {ProductId: "SKU-002", Quantity: 1}, {ProductId: "SKU-001", Quantity: 3}}
	commands := run(OrderInventory, "order", &examples.OrderCreated{CustomerId: "c", Items: items}, &examples.PaymentSubmitted{})
	if len(commands) != 2 || !bytes.Equal(commands[0].Cover.Root.Value, sdk.InventoryRoot("SKU-001")) || commands[0].Cover.CorrelationId != "corr-1" {
		t.Fatalf("commands %v", commands)
	}
	reserve, _ := sdk.Decode(commands[0].Pages[0].Command, &examples.ReserveStock{})
	if r := reserve.(*examples.ReserveStock); r.Quantity != 5 || r.OrderId != "eb8052f7-3398-5b3a-99f8-7d84e926a184" {
		t.Fatalf("reserve %v", r)
	}
}

func TestOrderFulfillmentAndCustomer(t *testing.T) {
	customer := sdk.CustomerRoot("alice@example.com")
	completed := &examples.OrderCompleted{LoyaltyPointsEarned: 50, CustomerRoot: customer, Items: []*examples.LineItem{{ProductId: "A", Quantity: 1}}}
	shipments := run(OrderFulfillment, "order", completed)
	if len(shipments) != 1 || shipments[0].Cover.Domain != "fulfillment" || !bytes.Equal(shipments[0].Cover.Root.Value, sdk.OrderRoot("ORD-001")) {
		t.Fatalf("shipments %v", shipments)
	}
	credits := run(OrderCustomer, "order", completed, &examples.OrderCancelled{LoyaltyPointsUsed: 0, CustomerRoot: customer})
	if len(credits) != 1 || !bytes.Equal(credits[0].Cover.Root.Value, customer) {
		t.Fatalf("credits %v", credits)
	}
	add, _ := sdk.Decode(credits[0].Pages[0].Command, &examples.AddLoyaltyPoints{})
	if a := add.(*examples.AddLoyaltyPoints); a.Points != 50 || a.Reference != "earn:eb8052f7-3398-5b3a-99f8-7d84e926a184" {
		t.Fatalf("credit %v", a)
	}
}

func TestFulfillmentInventoryCommitsAndIgnoresEmptyShipments(t *testing.T) {
	items := []*examples.LineItem{{ProductId: "A", Quantity: 1}, {ProductId: "B", Quantity: 2}}
	if got := run(FulfillmentInventory, "fulfillment", &examples.Shipped{Carrier: "c", OrderId: "o", Items: items}); len(got) != 2 {
		t.Fatalf("commits %v", got)
	}
	if got := run(FulfillmentInventory, "fulfillment", &examples.Shipped{Carrier: "c", OrderId: "o"}); len(got) != 0 {
		t.Fatalf("expected nothing, got %v", got)
	}
}
