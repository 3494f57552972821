// Package cart is the cart aggregate (example-domains §2.1): guard → validate → compute.
package cart

import (
	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

// Error texts, exact.
const (
	AlreadyExists        = "Cart already exists"
	DoesNotExist         = "Cart does not exist"
	AlreadyCheckedOut    = "Cart is already checked out"
	IsEmpty              = "Cart is empty"
	CustomerIDRequired   = "Customer ID is required"
	ProductIDRequired    = "Product ID is required"
	QuantityNotPositive  = "Quantity must be positive"
	UnitPriceNegative    = "Unit price cannot be negative"
	ItemNotInCart        = "Item not in cart"
	CouponAlreadyApplied = "Coupon already applied"
	CouponCodeRequired   = "Coupon code is required"
	CouponTypeInvalid    = "Coupon type must be percentage or fixed"
	CouponValueNotPos    = "Coupon value must be positive"
	PercentageTooHigh    = "Percentage cannot exceed 100"
)

// Coupon types.
const (
	Percentage = "percentage"
	Fixed      = "fixed"
)

type line struct {
	productID string
	quantity  int32
	price     int32
}

func linesOf(s *examples.CartState) []line {
	out := make([]line, len(s.Items))
	for i, item := range s.Items {
		out[i] = line{item.ProductId, item.Quantity, item.UnitPriceCents}
	}
	return out
}

func subtotal(lines []line) int32 {
	var sum int32
	for _, l := range lines {
		sum += l.quantity * l.price
	}
	return sum
}

func withLine(lines []line, l line) []line {
	for i := range lines {
		if lines[i].productID == l.productID {
			out := append([]line(nil), lines...)
			out[i] = l
			return out
		}
	}
	return append(append([]line(nil), lines...), l)
}

// CouponDiscount: percentage of the subtotal rounded down, or a fixed amount capped at it.
func CouponDiscount(couponType string, value, subtotal int32) int32 {
	if couponType == Percentage {
		return subtotal * value / 100
	}
	if value < subtotal {
		return value
	}
	return subtotal
}

func open(s *examples.CartState) error {
	return sdk.First(
		func() error { return sdk.Guard(s.Exists(), DoesNotExist) },
		func() error { return sdk.Guard(s.Status != examples.CartStatusCheckedOut, AlreadyCheckedOut) },
	)
}

func decide(command proto.Message, s *examples.CartState, ctx sdk.Context) ([]proto.Message, error) {
	switch c := command.(type) {
	case *examples.CreateCart:
		if err := sdk.First(
			func() error { return sdk.Guard(!s.Exists(), AlreadyExists) },
			func() error { return sdk.Validate(c.CustomerId != "", CustomerIDRequired) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.CartCreated{CustomerId: c.CustomerId, CreatedAt: ctx.Now}}, nil
	case *examples.AddItem:
		if err := sdk.First(
			func() error { return open(s) },
			func() error { return sdk.Validate(c.ProductId != "", ProductIDRequired) },
			func() error { return sdk.Validate(c.Quantity > 0, QuantityNotPositive) },
			func() error { return sdk.Validate(c.UnitPriceCents >= 0, UnitPriceNegative) },
		); err != nil {
			return nil, err
		}
		quantity := c.Quantity
		if current := s.Line(c.ProductId); current != nil {
			quantity += current.Quantity
		}
		lines := withLine(linesOf(s), line{c.ProductId, quantity, c.UnitPriceCents})
		return []proto.Message{&examples.ItemAdded{
			ProductId: c.ProductId, Name: c.Name, Quantity: quantity, UnitPriceCents: c.UnitPriceCents,
			NewSubtotal: subtotal(lines), AddedAt: ctx.Now,
		}}, nil
	case *examples.UpdateQuantity:
		current := s.Line(c.ProductId)
		if err := sdk.First(
			func() error { return open(s) },
			func() error { return sdk.Validate(c.NewQuantity > 0, QuantityNotPositive) },
			func() error { return sdk.Require(current != nil, ItemNotInCart) },
		); err != nil {
			return nil, err
		}
		lines := withLine(linesOf(s), line{c.ProductId, c.NewQuantity, current.UnitPriceCents})
		return []proto.Message{&examples.QuantityUpdated{
			ProductId: c.ProductId, OldQuantity: current.Quantity, NewQuantity: c.NewQuantity,
			NewSubtotal: subtotal(lines), UpdatedAt: ctx.Now,
		}}, nil
	case *examples.RemoveItem:
		current := s.Line(c.ProductId)
		if err := sdk.First(
			func() error { return open(s) },
			func() error { return sdk.Require(current != nil, ItemNotInCart) },
		); err != nil {
			return nil, err
		}
		var kept []line
		for _, l := range linesOf(s) {
			if l.productID != c.ProductId {
				kept = append(kept, l)
			}
		}
		return []proto.Message{&examples.ItemRemoved{
			ProductId: c.ProductId, Quantity: current.Quantity, NewSubtotal: subtotal(kept), RemovedAt: ctx.Now,
		}}, nil
	case *examples.ApplyCoupon:
		if err := sdk.First(
			func() error { return open(s) },
			func() error { return sdk.Guard(s.CouponCode == "", CouponAlreadyApplied) },
			func() error { return sdk.Validate(c.Code != "", CouponCodeRequired) },
			func() error {
				return sdk.Validate(c.CouponType == Percentage || c.CouponType == Fixed, CouponTypeInvalid)
			},
			func() error { return sdk.Validate(c.Value > 0, CouponValueNotPos) },
			func() error { return sdk.Validate(c.CouponType != Percentage || c.Value <= 100, PercentageTooHigh) },
			func() error { return sdk.Guard(len(s.Items) > 0, IsEmpty) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.CouponApplied{
			CouponCode: c.Code, CouponType: c.CouponType, Value: c.Value,
			DiscountCents: CouponDiscount(c.CouponType, c.Value, s.SubtotalCents), AppliedAt: ctx.Now,
		}}, nil
	case *examples.ClearCart:
		if err := open(s); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.CartCleared{NewSubtotal: 0, ClearedAt: ctx.Now}}, nil
	case *examples.Checkout:
		if err := sdk.First(
			func() error { return open(s) },
			func() error { return sdk.Guard(len(s.Items) > 0, IsEmpty) },
		); err != nil {
			return nil, err
		}
		discount := s.DiscountCents
		if discount > s.SubtotalCents {
			discount = s.SubtotalCents
		}
		return []proto.Message{&examples.CartCheckedOut{FinalSubtotal: s.SubtotalCents, DiscountCents: discount, CheckedOutAt: ctx.Now}}, nil
	}
	return nil, nil
}

// Aggregate is the cart domain.
var Aggregate = &sdk.Aggregate[*examples.CartState]{
	Domain: "cart",
	New:    func() *examples.CartState { return &examples.CartState{} },
	Commands: []proto.Message{
		&examples.CreateCart{}, &examples.AddItem{}, &examples.UpdateQuantity{}, &examples.RemoveItem{},
		&examples.ApplyCoupon{}, &examples.ClearCart{}, &examples.Checkout{},
	},
	Decide: decide,
}
