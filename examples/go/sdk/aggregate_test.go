package sdk

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/angzarr"
)

// countingState is a state (a Cover) that counts the events folded into it.
type countingState struct {
	*angzarr.Cover
	folded *int
}

func (s *countingState) Apply(proto.Message) { *s.folded++ }

const prior = 2000

func countingAggregate(folded *int) *Aggregate[*countingState] {
	return &Aggregate[*countingState]{
		Domain:   "counted",
		New:      func() *countingState { return &countingState{Cover: &angzarr.Cover{}, folded: folded} },
		Commands: []proto.Message{&angzarr.Edition{}},
		Decide: func(proto.Message, *countingState, Context) ([]proto.Message, error) {
			return nil, nil
		},
	}
}

func requestAfterPrior(command proto.Message) *angzarr.ContextualCommand {
	events := make([]proto.Message, prior)
	for i := range events {
		events[i] = &angzarr.UUID{Value: []byte{byte(i >> 8), byte(i)}}
	}
	book := BookOf("counted", events...)
	page := &angzarr.CommandPage{Command: Pack(command)}
	return &angzarr.ContextualCommand{Events: book, Command: &angzarr.CommandBook{Cover: book.Cover, Pages: []*angzarr.CommandPage{page}}}
}

func TestRevocationDoesNotFoldThePriorHistory(t *testing.T) {
	folded := 0
	revoke := &angzarr.RevokeEventCommand{SagaName: "saga-x", RejectionReason: "no stock"}
	response, err := countingAggregate(&folded).Handle(requestAfterPrior(revoke))
	if err != nil {
		t.Fatal(err)
	}
	revocation := response.GetRevocation()
	if revocation == nil || !revocation.EmitSystemRevocation || revocation.Reason != "saga-x rejected: no stock" {
		t.Fatalf("revocation %v", response)
	}
	if folded != 0 {
		t.Fatalf("folded %d events of the prior history, want 0", folded)
	}
}

func TestOtherCommandsStillFoldThePriorHistory(t *testing.T) {
	folded := 0
	if _, err := countingAggregate(&folded).Handle(requestAfterPrior(&angzarr.Edition{Name: "x"})); err != nil {
		t.Fatal(err)
	}
	if folded != prior {
		t.Fatalf("folded %d events, want %d", folded, prior)
	}
}
