// Hand-written behaviour of the order messages (not generated): existence, total, order lines,
// and how each order event applies to OrderState.
package examples

import "google.golang.org/protobuf/proto"

// Order statuses.
const (
	OrderStatusPending          = "pending"
	OrderStatusPaymentSubmitted = "payment_submitted"
	OrderStatusCompleted        = "completed"
	OrderStatusCancelled        = "cancelled"
)

// Exists: an order exists once it has a customer.
func (s *OrderState) Exists() bool { return s.CustomerId != "" }

// Total is the amount to pay: subtotal less the loyalty discount.
func (s *OrderState) Total() int32 { return s.SubtotalCents - s.DiscountCents }

// Apply assigns the facts of one order event; other types change nothing.
func (s *OrderState) Apply(event proto.Message) {
	switch e := event.(type) {
	case *OrderCreated:
		s.CustomerId, s.Items, s.SubtotalCents = e.CustomerId, e.Items, e.SubtotalCents
		s.CustomerRoot, s.CartRoot, s.DiscountCents, s.LoyaltyPointsUsed, s.Status = e.CustomerRoot, e.CartRoot, 0, 0, OrderStatusPending
	case *LoyaltyDiscountApplied:
		s.LoyaltyPointsUsed, s.DiscountCents = e.PointsUsed, e.DiscountCents
	case *PaymentSubmitted:
		s.PaymentMethod, s.Status = e.PaymentMethod, OrderStatusPaymentSubmitted
	case *OrderCompleted:
		s.PaymentReference, s.Status = e.PaymentReference, OrderStatusCompleted
	case *OrderCancelled:
		s.Status = OrderStatusCancelled
	}
}

// Subtotal of order lines: Σ quantity × unit price.
func Subtotal(items []*LineItem) int32 {
	var sum int32
	for _, item := range items {
		sum += item.Quantity * item.UnitPriceCents
	}
	return sum
}

// ProductQuantity is one distinct product of a list of lines.
type ProductQuantity struct {
	ProductID string
	Quantity  int32
}

// DistinctProducts groups lines by product_id, summing quantities, in first-appearance order;
// lines without a product id are left out.
func DistinctProducts(items []*LineItem) []ProductQuantity {
	var out []ProductQuantity
	index := map[string]int{}
	for _, item := range items {
		if item.ProductId == "" {
			continue
		}
		if i, seen := index[item.ProductId]; seen {
			out[i].Quantity += item.Quantity
			continue
		}
		index[item.ProductId] = len(out)
		out = append(out, ProductQuantity{ProductID: item.ProductId, Quantity: item.Quantity})
	}
	return out
}
