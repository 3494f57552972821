// Hand-written behaviour of the product messages (not generated).
package examples

import "google.golang.org/protobuf/proto"

// Product statuses.
const (
	ProductStatusActive       = "active"
	ProductStatusDiscontinued = "discontinued"
)

// Exists: a product exists once created with a SKU.
func (s *ProductState) Exists() bool { return s.Sku != "" }

// Discontinued tells whether the product was discontinued.
func (s *ProductState) Discontinued() bool { return s.Status == ProductStatusDiscontinued }

// Apply assigns the facts of one product event; other types change nothing.
func (s *ProductState) Apply(event proto.Message) {
	switch e := event.(type) {
	case *ProductCreated:
		s.Sku, s.Name, s.Description, s.PriceCents, s.Status = e.Sku, e.Name, e.Description, e.PriceCents, ProductStatusActive
	case *ProductUpdated:
		s.Name, s.Description = e.Name, e.Description
	case *PriceSet:
		s.PriceCents = e.PriceCents
	case *ProductDiscontinued:
		s.Status = ProductStatusDiscontinued
	}
}
