// Package order is the order aggregate (example-domains §2.4): guard → validate → compute.
package order

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

// Error texts, exact.
const (
	AlreadyExists           = "Order already exists"
	DoesNotExist            = "Order does not exist"
	AlreadyCancelled        = "Order is already cancelled"
	AlreadyCompleted        = "Order is already completed"
	PaymentAlreadySubmitted = "Payment already submitted"
	PaymentNotSubmitted     = "Payment not submitted: order not paid"
	CustomerIDRequired      = "Customer ID is required"
	ItemsRequired           = "Order must have items"
	ItemProductIDRequired   = "Item product ID is required"
	ItemQuantityNotPositive = "Item quantity must be positive"
	ItemPriceNegative       = "Item price cannot be negative"
	CustomerRootInvalid     = "Customer root must be a 16-byte UUID"
	CartRootInvalid         = "Cart root must be a 16-byte UUID"
	DiscountAlreadyApplied  = "Loyalty discount already applied"
	PointsNotPositive       = "Points must be positive"
	DiscountNotPositive     = "Discount must be positive"
	DiscountExceedsSubtotal = "Discount cannot exceed subtotal"
	PaymentMethodRequired   = "Payment method is required"
	PaymentRefRequired      = "Payment reference is required"
	ReasonRequired          = "Cancellation reason is required"
)

// LoyaltyPointsFor is one point per whole 100 cents of the final total.
func LoyaltyPointsFor(finalTotalCents int32) int32 { return finalTotalCents / 100 }

func every(items []*examples.LineItem, ok func(*examples.LineItem) bool) bool {
	for _, item := range items {
		if !ok(item) {
			return false
		}
	}
	return true
}

func emptyOrUUID(b []byte) bool { return len(b) == 0 || len(b) == 16 }

func exists(s *examples.OrderState) func() error {
	return func() error { return sdk.Guard(s.Exists(), DoesNotExist) }
}
func notCancelled(s *examples.OrderState) func() error {
	return func() error { return sdk.Guard(s.Status != examples.OrderStatusCancelled, AlreadyCancelled) }
}
func notCompleted(s *examples.OrderState) func() error {
	return func() error { return sdk.Guard(s.Status != examples.OrderStatusCompleted, AlreadyCompleted) }
}

func decide(command proto.Message, s *examples.OrderState, ctx sdk.Context) ([]proto.Message, error) {
	switch c := command.(type) {
	case *examples.CreateOrder:
		if err := sdk.First(
			func() error { return sdk.Guard(!s.Exists(), AlreadyExists) },
			func() error { return sdk.Validate(c.CustomerId != "", CustomerIDRequired) },
			func() error { return sdk.Validate(len(c.Items) > 0, ItemsRequired) },
			func() error {
				return sdk.Validate(every(c.Items, func(i *examples.LineItem) bool { return i.ProductId != "" }), ItemProductIDRequired)
			},
			func() error {
				return sdk.Validate(every(c.Items, func(i *examples.LineItem) bool { return i.Quantity > 0 }), ItemQuantityNotPositive)
			},
			func() error {
				return sdk.Validate(every(c.Items, func(i *examples.LineItem) bool { return i.UnitPriceCents >= 0 }), ItemPriceNegative)
			},
			func() error { return sdk.Validate(emptyOrUUID(c.CustomerRoot), CustomerRootInvalid) },
			func() error { return sdk.Validate(emptyOrUUID(c.CartRoot), CartRootInvalid) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.OrderCreated{
			CustomerId: c.CustomerId, Items: c.Items, SubtotalCents: examples.Subtotal(c.Items), CreatedAt: ctx.Now,
			CustomerRoot: c.CustomerRoot, CartRoot: c.CartRoot,
		}}, nil
	case *examples.ApplyLoyaltyDiscount:
		if err := sdk.First(exists(s), notCancelled(s), notCompleted(s),
			func() error {
				return sdk.Guard(s.Status != examples.OrderStatusPaymentSubmitted, PaymentAlreadySubmitted)
			},
			func() error { return sdk.Guard(s.LoyaltyPointsUsed <= 0, DiscountAlreadyApplied) },
			func() error { return sdk.Validate(c.Points > 0, PointsNotPositive) },
			func() error { return sdk.Validate(c.DiscountCents > 0, DiscountNotPositive) },
			func() error { return sdk.Validate(c.DiscountCents <= s.SubtotalCents, DiscountExceedsSubtotal) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.LoyaltyDiscountApplied{PointsUsed: c.Points, DiscountCents: c.DiscountCents, AppliedAt: ctx.Now}}, nil
	case *examples.SubmitPayment:
		if err := sdk.First(exists(s), notCancelled(s),
			func() error {
				return sdk.Guard(s.Status != examples.OrderStatusPaymentSubmitted && s.Status != examples.OrderStatusCompleted, PaymentAlreadySubmitted)
			},
			func() error { return sdk.Validate(c.PaymentMethod != "", PaymentMethodRequired) },
			func() error {
				return sdk.Validate(c.AmountCents == s.Total(),
					fmt.Sprintf("Payment amount does not match order total: expected %d, got %d", s.Total(), c.AmountCents))
			},
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.PaymentSubmitted{PaymentMethod: c.PaymentMethod, AmountCents: c.AmountCents, SubmittedAt: ctx.Now}}, nil
	case *examples.ConfirmPayment:
		if err := sdk.First(exists(s), notCompleted(s), notCancelled(s),
			func() error { return sdk.Guard(s.Status != examples.OrderStatusPending, PaymentNotSubmitted) },
			func() error { return sdk.Validate(c.PaymentReference != "", PaymentRefRequired) },
		); err != nil {
			return nil, err
		}
		total := s.Total()
		return []proto.Message{&examples.OrderCompleted{
			FinalTotalCents: total, PaymentMethod: s.PaymentMethod, PaymentReference: c.PaymentReference,
			LoyaltyPointsEarned: LoyaltyPointsFor(total), CompletedAt: ctx.Now,
			CustomerRoot: s.CustomerRoot, CartRoot: s.CartRoot, Items: s.Items,
		}}, nil
	case *examples.CancelOrder:
		if err := sdk.First(exists(s), notCompleted(s), notCancelled(s),
			func() error { return sdk.Validate(c.Reason != "", ReasonRequired) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.OrderCancelled{
			Reason: c.Reason, CancelledAt: ctx.Now, LoyaltyPointsUsed: s.LoyaltyPointsUsed,
			CustomerRoot: s.CustomerRoot, Items: s.Items, CartRoot: s.CartRoot,
		}}, nil
	}
	return nil, nil
}

// Aggregate is the order domain.
var Aggregate = &sdk.Aggregate[*examples.OrderState]{
	Domain: "order",
	New:    func() *examples.OrderState { return &examples.OrderState{} },
	Commands: []proto.Message{
		&examples.CreateOrder{}, &examples.ApplyLoyaltyDiscount{}, &examples.SubmitPayment{},
		&examples.ConfirmPayment{}, &examples.CancelOrder{},
	},
	Decide: decide,
}
