// Package product is the product aggregate (example-domains §2.3): guard → validate → compute.
package product

import (
	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

// Error texts, exact.
const (
	AlreadyExists       = "Product already exists"
	DoesNotExist        = "Product does not exist"
	IsDiscontinued      = "Product is discontinued"
	AlreadyDiscontinued = "Product is already discontinued"
	SkuRequired         = "Product SKU is required"
	NameRequired        = "Product name is required"
	PriceMustBePositive = "Price must be positive"
)

func active(s *examples.ProductState) error {
	return sdk.First(
		func() error { return sdk.Guard(s.Exists(), DoesNotExist) },
		func() error { return sdk.Guard(!s.Discontinued(), IsDiscontinued) },
	)
}

func decide(command proto.Message, s *examples.ProductState, ctx sdk.Context) ([]proto.Message, error) {
	switch c := command.(type) {
	case *examples.CreateProduct:
		if err := sdk.First(
			func() error { return sdk.Guard(!s.Exists(), AlreadyExists) },
			func() error { return sdk.Validate(c.Sku != "", SkuRequired) },
			func() error { return sdk.Validate(c.Name != "", NameRequired) },
			func() error { return sdk.Validate(c.PriceCents > 0, PriceMustBePositive) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ProductCreated{
			Sku: c.Sku, Name: c.Name, Description: c.Description, PriceCents: c.PriceCents, CreatedAt: ctx.Now,
		}}, nil
	case *examples.UpdateProduct:
		if err := sdk.First(
			func() error { return active(s) },
			func() error { return sdk.Validate(c.Name != "", NameRequired) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ProductUpdated{Name: c.Name, Description: c.Description, UpdatedAt: ctx.Now}}, nil
	case *examples.SetPrice:
		if err := sdk.First(
			func() error { return active(s) },
			func() error { return sdk.Validate(c.PriceCents > 0, PriceMustBePositive) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.PriceSet{PriceCents: c.PriceCents, PreviousPriceCents: s.PriceCents, SetAt: ctx.Now}}, nil
	case *examples.Discontinue:
		if err := sdk.First(
			func() error { return sdk.Guard(s.Exists(), DoesNotExist) },
			func() error { return sdk.Guard(!s.Discontinued(), AlreadyDiscontinued) },
		); err != nil {
			return nil, err
		}
		return []proto.Message{&examples.ProductDiscontinued{Reason: c.Reason, DiscontinuedAt: ctx.Now}}, nil
	}
	return nil, nil
}

// Aggregate is the product domain.
var Aggregate = &sdk.Aggregate[*examples.ProductState]{
	Domain:   "product",
	New:      func() *examples.ProductState { return &examples.ProductState{} },
	Commands: []proto.Message{&examples.CreateProduct{}, &examples.UpdateProduct{}, &examples.SetPrice{}, &examples.Discontinue{}},
	Decide:   decide,
}
