package customer

import (
	"testing"

	"google.golang.org/grpc/codes"

	"angzarr.dev/examples/gen/examples"
	"angzarr.dev/examples/sdk"
)

var created = &examples.CustomerCreated{Name: "Alice", Email: "alice@example.com"}

func TestPointsAccumulateAndReferencesCreditOnce(t *testing.T) {
	out := sdk.When(Aggregate, &examples.AddLoyaltyPoints{Points: 30, Reference: "earn:1"}, created, &examples.LoyaltyPointsAdded{Points: 50, NewBalance: 50})
	if e := out.Events[0].(*examples.LoyaltyPointsAdded); e.NewBalance != 80 || out.State.LifetimePoints != 80 {
		t.Fatalf("got %v, state %v", e, out.State)
	}
	again := sdk.When(Aggregate, &examples.AddLoyaltyPoints{Points: 30, Reference: "earn:1"}, created, &examples.LoyaltyPointsAdded{Points: 30, NewBalance: 30, Reference: "earn:1"})
	if again.Code != codes.FailedPrecondition || again.Message != "Points already credited for reference earn:1" {
		t.Fatalf("got %v %q", again.Code, again.Message)
	}
}

func TestRedeemingAndItsRules(t *testing.T) {
	rich := &examples.LoyaltyPointsAdded{Points: 100, NewBalance: 100}
	out := sdk.When(Aggregate, &examples.RedeemLoyaltyPoints{Points: 50}, created, rich)
	if out.State.LoyaltyPoints != 50 || out.State.LifetimePoints != 100 {
		t.Fatalf("state %v", out.State)
	}
	tooMuch := sdk.When(Aggregate, &examples.RedeemLoyaltyPoints{Points: 101}, created, rich)
	if tooMuch.Message != "Insufficient points: have 100, need 101" {
		t.Fatalf("got %q", tooMuch.Message)
	}
	for _, c := range []struct {
		out     sdk.Outcome[*examples.CustomerState]
		message string
	}{
		{sdk.When(Aggregate, &examples.CreateCustomer{Name: "A", Email: "a"}, created), "Customer already exists"},
		{sdk.When(Aggregate, &examples.CreateCustomer{Email: "a"}), "Customer name is required"},
		{sdk.When(Aggregate, &examples.CreateCustomer{Name: "A"}), "Customer email is required"},
		{sdk.When(Aggregate, &examples.AddLoyaltyPoints{Points: 1}), "Customer does not exist"},
		{sdk.When(Aggregate, &examples.AddLoyaltyPoints{Points: 0}, created), "Points must be positive"},
	} {
		if c.out.Message != c.message {
			t.Errorf("got %q, want %q", c.out.Message, c.message)
		}
	}
}
