package sdk

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/angzarr"
)

// Outcome of one command in a unit test: the new events and their sequences, the post-command
// state, and the rejection (code and message) or the revocation.
type Outcome[S State] struct {
	Events     []proto.Message
	Sequences  []uint32
	State      S
	Snapshot   S
	Code       codes.Code
	Message    string
	Revocation *angzarr.RevocationResponse
}

// BookOf is a book of prior events numbered from 0 at a fixed 16-byte root.
func BookOf(domain string, events ...proto.Message) *angzarr.EventBook {
	book := &angzarr.EventBook{Cover: &angzarr.Cover{Domain: domain, Root: &angzarr.UUID{Value: make([]byte, 16)}}}
	for i, e := range events {
		book.Pages = append(book.Pages, &angzarr.EventPage{Sequence: &angzarr.EventPage_Num{Num: uint32(i)}, Event: Pack(e)})
	}
	return book
}

// When runs command through Handle (the RPC's own path) after the prior events.
func When[S State](a *Aggregate[S], command proto.Message, prior ...proto.Message) Outcome[S] {
	return WhenPage(a, &angzarr.CommandPage{Command: Pack(command)}, prior...)
}

// WhenPage is When with a raw command page (undecodable bytes, other type URLs).
func WhenPage[S State](a *Aggregate[S], page *angzarr.CommandPage, prior ...proto.Message) Outcome[S] {
	book := BookOf(a.Domain, prior...)
	request := &angzarr.ContextualCommand{
		Events:  book,
		Command: &angzarr.CommandBook{Cover: book.Cover, Pages: []*angzarr.CommandPage{page}},
	}
	response, err := a.Handle(request)
	out := Outcome[S]{State: a.Rebuild(book)}
	if err != nil {
		st, _ := status.FromError(err)
		out.Code, out.Message = st.Code(), st.Message()
		return out
	}
	if r, ok := response.Result.(*angzarr.BusinessResponse_Revocation); ok {
		out.Revocation = r.Revocation
		return out
	}
	events := response.GetEvents()
	for _, p := range events.Pages {
		out.Sequences = append(out.Sequences, p.GetNum())
		out.Events = append(out.Events, decodeKnown(p.Event.TypeUrl, p.Event.Value))
		out.State.Apply(out.Events[len(out.Events)-1])
	}
	out.Snapshot = a.New()
	_ = proto.Unmarshal(events.SnapshotState.Value, out.Snapshot)
	return out
}
