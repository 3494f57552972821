// Hand-written behaviour of the customer messages (not generated). Balances are facts; lifetime
// points count every credit (refunds included) and never drop on a redemption.
package examples

import "google.golang.org/protobuf/proto"

// Exists: a customer exists once created with an e-mail.
func (s *CustomerState) Exists() bool { return s.Email != "" }

// AlreadyCredited tells whether a non-empty reference was credited before.
func (s *CustomerState) AlreadyCredited(reference string) bool {
	if reference == "" {
		return false
	}
	for _, r := range s.CreditedReferences {
		if r == reference {
			return true
		}
	}
	return false
}

// Apply assigns the facts of one customer event; other types change nothing.
func (s *CustomerState) Apply(event proto.Message) {
	switch e := event.(type) {
	case *CustomerCreated:
		s.Name, s.Email, s.LoyaltyPoints, s.LifetimePoints, s.CreditedReferences = e.Name, e.Email, 0, 0, nil
	case *LoyaltyPointsAdded:
		s.LoyaltyPoints = e.NewBalance
		s.LifetimePoints += e.Points
		if e.Reference != "" && !s.AlreadyCredited(e.Reference) {
			s.CreditedReferences = append(s.CreditedReferences, e.Reference)
		}
	case *LoyaltyPointsRedeemed:
		s.LoyaltyPoints = e.NewBalance
	}
}
