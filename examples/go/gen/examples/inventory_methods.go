// Hand-written behaviour of the inventory messages (not generated). Stock events carry the
// resulting on-hand and reserved counts; applying them assigns those facts.
package examples

import "google.golang.org/protobuf/proto"

// Exists: inventory exists once initialised with a product id.
func (s *InventoryState) Exists() bool { return s.ProductId != "" }

// Available is on_hand − reserved.
func (s *InventoryState) Available() int32 { return s.OnHand - s.Reserved }

// Reservation is the quantity held for an order and whether there is one.
func (s *InventoryState) Reservation(orderID string) (int32, bool) {
	q, ok := s.Reservations[orderID]
	return q, ok
}

// Apply assigns the facts of one inventory event; other types (LowStockAlert) change nothing.
func (s *InventoryState) Apply(event proto.Message) {
	switch e := event.(type) {
	case *StockInitialized:
		s.ProductId, s.OnHand, s.Reserved, s.LowStockThreshold, s.Reservations = e.ProductId, e.Quantity, 0, e.LowStockThreshold, nil
	case *StockReceived:
		s.OnHand = e.NewOnHand
	case *StockReserved:
		s.OnHand, s.Reserved = e.NewOnHand, e.NewReserved
		if s.Reservations == nil {
			s.Reservations = map[string]int32{}
		}
		s.Reservations[e.OrderId] = e.Quantity
	case *ReservationReleased:
		s.OnHand, s.Reserved = e.NewOnHand, e.NewReserved
		delete(s.Reservations, e.OrderId)
	case *ReservationCommitted:
		s.OnHand, s.Reserved = e.NewOnHand, e.NewReserved
		delete(s.Reservations, e.OrderId)
	}
}
