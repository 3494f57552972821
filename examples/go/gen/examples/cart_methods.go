// Hand-written behaviour of the cart messages (not generated): existence and how each cart event
// applies to CartState. Events carry facts, so applying assigns them.
package examples

import "google.golang.org/protobuf/proto"

// Cart statuses.
const (
	CartStatusActive     = "active"
	CartStatusCheckedOut = "checked_out"
)

// Exists: a cart exists once created for a customer.
func (s *CartState) Exists() bool { return s.CustomerId != "" }

// Line is the cart's line for a product, or nil.
func (s *CartState) Line(productID string) *CartItem {
	for _, item := range s.Items {
		if item.ProductId == productID {
			return item
		}
	}
	return nil
}

// Apply assigns the facts of one cart event; other types change nothing.
func (s *CartState) Apply(event proto.Message) {
	switch e := event.(type) {
	case *CartCreated:
		s.CustomerId, s.Status, s.Items, s.SubtotalCents, s.CouponCode, s.DiscountCents = e.CustomerId, CartStatusActive, nil, 0, "", 0
	case *ItemAdded:
		line := &CartItem{ProductId: e.ProductId, Name: e.Name, Quantity: e.Quantity, UnitPriceCents: e.UnitPriceCents}
		if i := s.lineIndex(e.ProductId); i >= 0 {
			s.Items[i] = line
		} else {
			s.Items = append(s.Items, line)
		}
		s.SubtotalCents = e.NewSubtotal
	case *QuantityUpdated:
		for _, item := range s.Items {
			if item.ProductId == e.ProductId {
				item.Quantity = e.NewQuantity
			}
		}
		s.SubtotalCents = e.NewSubtotal
	case *ItemRemoved:
		kept := s.Items[:0:0]
		for _, item := range s.Items {
			if item.ProductId != e.ProductId {
				kept = append(kept, item)
			}
		}
		s.Items, s.SubtotalCents = kept, e.NewSubtotal
	case *CouponApplied:
		s.CouponCode, s.DiscountCents = e.CouponCode, e.DiscountCents
	case *CartCleared:
		s.Items, s.SubtotalCents, s.CouponCode, s.DiscountCents = nil, e.NewSubtotal, "", 0
	case *CartCheckedOut:
		s.Status = CartStatusCheckedOut
	}
}

func (s *CartState) lineIndex(productID string) int {
	for i, item := range s.Items {
		if item.ProductId == productID {
			return i
		}
	}
	return -1
}
