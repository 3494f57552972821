// Package inventory is the inventory aggregate (example-domains §2.5): one per product, root
// uuidv5(DNS, product_id).
package inventory

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

// Error texts, exact.
const (
	AlreadyInitialized  = "Inventory already initialized"
	NotInitialized      = "Inventory not initialized"
	ProductIDRequired   = "Product ID is required"
	QuantityNegative    = "Quantity cannot be negative"
	ThresholdNegative   = "Low stock threshold cannot be negative"
	QuantityNotPositive = "Quantity must be positive"
	OrderIDRequired     = "Order ID is required"
	ReservationExists   = "Reservation already exists for this order"
	ReservationNotFound = "Reservation not found"
)

// IsLowStock: a positive threshold and available stock below it.
func IsLowStock(availableAfter, threshold int32) bool {
	return threshold > 0 && availableAfter < threshold
}

func initialized(s *examples.InventoryState) func() error {
	return func() error { return sdk.Guard(s.Exists(), NotInitialized) }
}

func orderID(id string) func() error {
	return func() error { return sdk.Validate(id != "", OrderIDRequired) }
}

func held(s *examples.InventoryState, id string, out *int32) func() error {
	return func() error {
		q, ok := s.Reservation(id)
		*out = q
		return sdk.Require(ok, ReservationNotFound)
	}
}

func decide(command proto.Message, s *examples.InventoryState, ctx sdk.Context) ([]proto.Message, error) {
	switch c := command.(type) {
	case *examples.InitializeStock:
		if err := sdk.First(
			func() error { return sdk.Guard(!s.Exists(), AlreadyInitialized) },
			func() error { return sdk.Validate(c.ProductId != "", ProductIDRequired) },
			func() error { return sdk.Validate(c.Quantity >= 0, QuantityNegative) },
			func() error { return sdk.Validate(c.LowStockThreshold >= 0, ThresholdNegative) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.StockInitialized{
			ProductId: c.ProductId, Quantity: c.Quantity, LowStockThreshold: c.LowStockThreshold, InitializedAt: ctx.Now,
		}}, nil
	case *examples.ReceiveStock:
		if err := sdk.First(initialized(s), func() error { return sdk.Validate(c.Quantity > 0, QuantityNotPositive) }); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.StockReceived{
			Quantity: c.Quantity, NewOnHand: s.OnHand + c.Quantity, Reference: c.Reference, ReceivedAt: ctx.Now,
		}}, nil
	case *examples.ReserveStock:
		free := s.Available()
		if err := sdk.First(initialized(s),
			func() error { return sdk.Validate(c.Quantity > 0, QuantityNotPositive) },
			orderID(c.OrderId),
			func() error { _, taken := s.Reservation(c.OrderId); return sdk.Guard(!taken, ReservationExists) },
			func() error {
				return sdk.Guard(c.Quantity <= free, fmt.Sprintf("Insufficient available stock: have %d, need %d", free, c.Quantity))
			},
		); err != nil {
			return nil, err
		}
		reserved := &examples.StockReserved{
			Quantity: c.Quantity, OrderId: c.OrderId, NewAvailable: free - c.Quantity, ReservedAt: ctx.Now,
			NewReserved: s.Reserved + c.Quantity, NewOnHand: s.OnHand,
		}
		if !IsLowStock(reserved.NewAvailable, s.LowStockThreshold) {
			return []proto.Message{reserved}, nil
		}
		alert := &examples.LowStockAlert{
			ProductId: s.ProductId, Available: reserved.NewAvailable, Threshold: s.LowStockThreshold, AlertedAt: ctx.Now,
		}
		return []proto.Message{reserved, alert}, nil
	case *examples.ReleaseReservation:
		var q int32
		if err := sdk.First(initialized(s), orderID(c.OrderId), held(s, c.OrderId, &q)); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ReservationReleased{
			OrderId: c.OrderId, Quantity: q, NewAvailable: s.Available() + q, ReleasedAt: ctx.Now,
			NewReserved: s.Reserved - q, NewOnHand: s.OnHand,
		}}, nil
	case *examples.CommitReservation:
		var q int32
		if err := sdk.First(initialized(s), orderID(c.OrderId), held(s, c.OrderId, &q)); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ReservationCommitted{
			OrderId: c.OrderId, Quantity: q, NewOnHand: s.OnHand - q, CommittedAt: ctx.Now, NewReserved: s.Reserved - q,
		}}, nil
	}
	return nil, nil
}

// Aggregate is the inventory domain.
var Aggregate = &sdk.Aggregate[*examples.InventoryState]{
	Domain: "inventory",
	New:    func() *examples.InventoryState { return &examples.InventoryState{} },
	Commands: []proto.Message{
		&examples.InitializeStock{}, &examples.ReceiveStock{}, &examples.ReserveStock{},
		&examples.ReleaseReservation{}, &examples.CommitReservation{},
	},
	Decide: decide,
}

// Upcaster reads StockInitializedV1 (first release: no threshold, time at field 3) as a current
// StockInitialized with threshold 0.
var Upcaster = &sdk.Upcaster{
	Domain: "inventory",
	Rules: map[string]sdk.UpcastRule{
		"examples.StockInitializedV1": {Old: &examples.StockInitializedV1{}, Convert: func(old proto.Message) proto.Message {
			v1 := old.(*examples.StockInitializedV1)
			return &examples.StockInitialized{ProductId: v1.ProductId, Quantity: v1.Quantity, InitializedAt: v1.InitializedAt}
		}},
	},
}
