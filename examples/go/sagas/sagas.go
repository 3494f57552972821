// Package sagas holds the four example sagas (example-domains §3): stateless translators from one
// domain's events to commands for another, one program each (cmd/saga-*).
package sagas

import (
	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/angzarr"
	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

// OrderInventory (saga-order-inventory): reservations per distinct product when an order is
// created, releases when it is cancelled; to inventory root uuidv5(DNS, product_id).
var OrderInventory = &sdk.Saga{
	Name:        "saga-order-inventory",
	InputDomain: "order",
	Events:      []proto.Message{&examples.OrderCreated{}, &examples.OrderCancelled{}},
	React: func(event proto.Message, ctx sdk.SagaContext) []*angzarr.CommandBook {
		if ctx.SourceRoot == nil {
			return nil
		}
		orderID := sdk.UUIDText(ctx.SourceRoot)
		var out []*angzarr.CommandBook
		switch e := event.(type) {
		case *examples.OrderCreated:
			for _, p := range examples.DistinctProducts(e.Items) {
				out = append(out, sdk.CommandFor("inventory", sdk.InventoryRoot(p.ProductID), ctx.CorrelationID,
					&examples.ReserveStock{Quantity: p.Quantity, OrderId: orderID}))
			}
		case *examples.OrderCancelled:
			for _, p := range examples.DistinctProducts(e.Items) {
				out = append(out, sdk.CommandFor("inventory", sdk.InventoryRoot(p.ProductID), ctx.CorrelationID,
					&examples.ReleaseReservation{OrderId: orderID}))
			}
		}
		return out
	},
}

// OrderFulfillment (saga-order-fulfillment): a completed order becomes a shipment at the order
// root's bytes; a repeat is refused by fulfillment ("Shipment already exists").
var OrderFulfillment = &sdk.Saga{
	Name:        "saga-order-fulfillment",
	InputDomain: "order",
	Events:      []proto.Message{&examples.OrderCompleted{}},
	React: func(event proto.Message, ctx sdk.SagaContext) []*angzarr.CommandBook {
		e, ok := event.(*examples.OrderCompleted)
		if ctx.SourceRoot == nil || !ok {
			return nil
		}
		command := &examples.CreateShipment{OrderId: sdk.UUIDText(ctx.SourceRoot), Items: e.Items}
		return []*angzarr.CommandBook{sdk.CommandFor("fulfillment", ctx.SourceRoot, ctx.CorrelationID, command)}
	},
}

// OrderCustomer (saga-order-customer): points earned by a completed order, and points refunded
// for a cancelled one, credited to the event's customer_root with a reference that makes a
// re-delivered credit a refused duplicate.
var OrderCustomer = &sdk.Saga{
	Name:        "saga-order-customer",
	InputDomain: "order",
	Events:      []proto.Message{&examples.OrderCompleted{}, &examples.OrderCancelled{}},
	React: func(event proto.Message, ctx sdk.SagaContext) []*angzarr.CommandBook {
		if ctx.SourceRoot == nil {
			return nil
		}
		orderID := sdk.UUIDText(ctx.SourceRoot)
		var credit *examples.AddLoyaltyPoints
		var customerRoot []byte
		switch e := event.(type) {
		case *examples.OrderCompleted:
			customerRoot = e.CustomerRoot
			credit = &examples.AddLoyaltyPoints{Points: e.LoyaltyPointsEarned, Reason: "Earned from order " + orderID, Reference: "earn:" + orderID}
		case *examples.OrderCancelled:
			customerRoot = e.CustomerRoot
			credit = &examples.AddLoyaltyPoints{Points: e.LoyaltyPointsUsed, Reason: "Refund for cancelled order " + orderID, Reference: "refund:" + orderID}
		}
		if credit == nil || credit.Points <= 0 || !sdk.IsUUID(customerRoot) {
			return nil
		}
		return []*angzarr.CommandBook{sdk.CommandFor("customer", customerRoot, ctx.CorrelationID, credit)}
	},
}

// FulfillmentInventory (saga-fulfillment-inventory): a shipped shipment commits the order's
// reservation of each distinct product; nothing without order id or items.
var FulfillmentInventory = &sdk.Saga{
	Name:        "saga-fulfillment-inventory",
	InputDomain: "fulfillment",
	Events:      []proto.Message{&examples.Shipped{}},
	React: func(event proto.Message, ctx sdk.SagaContext) []*angzarr.CommandBook {
		e, ok := event.(*examples.Shipped)
		if ctx.SourceRoot == nil || !ok || e.OrderId == "" {
			return nil
		}
		var out []*angzarr.CommandBook
		for _, p := range examples.DistinctProducts(e.Items) {
			out = append(out, sdk.CommandFor("inventory", sdk.InventoryRoot(p.ProductID), ctx.CorrelationID,
				&examples.CommitReservation{OrderId: e.OrderId}))
		}
		return out
	},
}
