// Package customer is the customer aggregate (example-domains §2.2): guard → validate → compute.
package customer

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

// Error texts, exact.
const (
	AlreadyExists  = "Customer already exists"
	DoesNotExist   = "Customer does not exist"
	NameRequired   = "Customer name is required"
	EmailRequired  = "Customer email is required"
	PointsNotValid = "Points must be positive"
)

func decide(command proto.Message, s *examples.CustomerState, ctx sdk.Context) ([]proto.Message, error) {
	switch c := command.(type) {
	case *examples.CreateCustomer:
		if err := sdk.First(
			func() error { return sdk.Guard(!s.Exists(), AlreadyExists) },
			func() error { return sdk.Validate(c.Name != "", NameRequired) },
			func() error { return sdk.Validate(c.Email != "", EmailRequired) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.CustomerCreated{Name: c.Name, Email: c.Email, CreatedAt: ctx.Now}}, nil
	case *examples.AddLoyaltyPoints:
		if err := sdk.First(
			func() error { return sdk.Guard(s.Exists(), DoesNotExist) },
			func() error { return sdk.Validate(c.Points > 0, PointsNotValid) },
			func() error {
				return sdk.Guard(!s.AlreadyCredited(c.Reference), "Points already credited for reference "+c.Reference)
			},
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.LoyaltyPointsAdded{
			Points: c.Points, NewBalance: s.LoyaltyPoints + c.Points, Reason: c.Reason, Reference: c.Reference,
		}}, nil
	case *examples.RedeemLoyaltyPoints:
		if err := sdk.First(
			func() error { return sdk.Guard(s.Exists(), DoesNotExist) },
			func() error { return sdk.Validate(c.Points > 0, PointsNotValid) },
			func() error {
				return sdk.Guard(c.Points <= s.LoyaltyPoints, fmt.Sprintf("Insufficient points: have %d, need %d", s.LoyaltyPoints, c.Points))
			},
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.LoyaltyPointsRedeemed{
			Points: c.Points, NewBalance: s.LoyaltyPoints - c.Points, RedemptionType: c.RedemptionType,
		}}, nil
	}
	return nil, nil
}

// Aggregate is the customer domain.
var Aggregate = &sdk.Aggregate[*examples.CustomerState]{
	Domain:   "customer",
	New:      func() *examples.CustomerState { return &examples.CustomerState{} },
	Commands: []proto.Message{&examples.CreateCustomer{}, &examples.AddLoyaltyPoints{}, &examples.RedeemLoyaltyPoints{}},
	Decide:   decide,
}
