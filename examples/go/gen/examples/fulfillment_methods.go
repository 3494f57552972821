// Hand-written behaviour of the fulfillment messages (not generated). Status names kept from the
// reference: `picking` means picked, `packing` means packed.
package examples

import "google.golang.org/protobuf/proto"

// Shipment statuses.
const (
	ShipmentStatusPending   = "pending"
	ShipmentStatusPicking   = "picking"
	ShipmentStatusPacking   = "packing"
	ShipmentStatusShipped   = "shipped"
	ShipmentStatusDelivered = "delivered"
)

// Exists: a shipment exists once created for an order.
func (s *FulfillmentState) Exists() bool { return s.OrderId != "" }

// Apply assigns the facts of one shipment event; other types change nothing.
func (s *FulfillmentState) Apply(event proto.Message) {
	switch e := event.(type) {
	case *ShipmentCreated:
		s.OrderId, s.Items, s.Status = e.OrderId, e.Items, e.Status
	case *ItemsPicked:
		s.PickerId, s.Status = e.PickerId, ShipmentStatusPicking
	case *ItemsPacked:
		s.PackerId, s.Status = e.PackerId, ShipmentStatusPacking
	case *Shipped:
		s.Carrier, s.TrackingNumber, s.Status = e.Carrier, e.TrackingNumber, ShipmentStatusShipped
	case *Delivered:
		s.Signature, s.Status = e.Signature, ShipmentStatusDelivered
	}
}
