// Package fulfillment is the shipment aggregate (example-domains §2.6): root = the order's root.
package fulfillment

import (
	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

// Error texts, exact.
const (
	AlreadyExists    = "Shipment already exists"
	DoesNotExist     = "Shipment does not exist"
	NotPending       = "Shipment is not pending"
	NotPicked        = "Shipment is not picked"
	NotPacked        = "Shipment is not packed"
	NotShipped       = "Shipment is not shipped"
	AlreadyDelivered = "Shipment is already delivered"
	OrderIDRequired  = "Order ID is required"
	PickerIDRequired = "Picker ID is required"
	PackerIDRequired = "Packer ID is required"
	CarrierRequired  = "Carrier is required"
)

func exists(s *examples.FulfillmentState) func() error {
	return func() error { return sdk.Guard(s.Exists(), DoesNotExist) }
}

func in(s *examples.FulfillmentState, status, message string) func() error {
	return func() error { return sdk.Guard(s.Status == status, message) }
}

func decide(command proto.Message, s *examples.FulfillmentState, ctx sdk.Context) ([]proto.Message, error) {
	switch c := command.(type) {
	case *examples.CreateShipment:
		if err := sdk.First(
			func() error { return sdk.Guard(!s.Exists(), AlreadyExists) },
			func() error { return sdk.Validate(c.OrderId != "", OrderIDRequired) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ShipmentCreated{OrderId: c.OrderId, Status: examples.ShipmentStatusPending, CreatedAt: ctx.Now, Items: c.Items}}, nil
	case *examples.MarkPicked:
		if err := sdk.First(exists(s), in(s, examples.ShipmentStatusPending, NotPending),
			func() error { return sdk.Validate(c.PickerId != "", PickerIDRequired) }); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ItemsPicked{PickerId: c.PickerId, PickedAt: ctx.Now}}, nil
	case *examples.MarkPacked:
		if err := sdk.First(exists(s), in(s, examples.ShipmentStatusPicking, NotPicked),
			func() error { return sdk.Validate(c.PackerId != "", PackerIDRequired) }); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ItemsPacked{PackerId: c.PackerId, PackedAt: ctx.Now}}, nil
	case *examples.Ship:
		if err := sdk.First(exists(s), in(s, examples.ShipmentStatusPacking, NotPacked),
			func() error { return sdk.Validate(c.Carrier != "", CarrierRequired) }); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.Shipped{
			Carrier: c.Carrier, TrackingNumber: c.TrackingNumber, ShippedAt: ctx.Now, Items: s.Items, OrderId: s.OrderId,
		}}, nil
	case *examples.RecordDelivery:
		if err := sdk.First(exists(s),
			func() error { return sdk.Guard(s.Status != examples.ShipmentStatusDelivered, AlreadyDelivered) },
			in(s, examples.ShipmentStatusShipped, NotShipped)); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.Delivered{Signature: c.Signature, DeliveredAt: ctx.Now}}, nil
	}
	return nil, nil
}

// Aggregate is the fulfillment domain.
var Aggregate = &sdk.Aggregate[*examples.FulfillmentState]{
	Domain: "fulfillment",
	New:    func() *examples.FulfillmentState { return &examples.FulfillmentState{} },
	Commands: []proto.Message{
		&examples.CreateShipment{}, &examples.MarkPicked{}, &examples.MarkPacked{}, &examples.Ship{}, &examples.RecordDelivery{},
	},
	Decide: decide,
}
