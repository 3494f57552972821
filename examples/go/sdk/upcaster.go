package sdk

import (
	"context"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/angzarr"
)

// Upcaster turns a domain's old event versions into current ones: Rules maps an old message
// (one value of its type) to its conversion; pages of other types pass unchanged.
type Upcaster struct {
	Domain string
	Rules  map[string]UpcastRule
}

// UpcastRule converts one old event type.
type UpcastRule struct {
	Old     proto.Message
	Convert func(old proto.Message) proto.Message
}

// Upcast upgrades every page it has a rule for; an old page that does not decode fails the call.
func (u *Upcaster) Upcast(request *angzarr.UpcastRequest) (*angzarr.UpcastResponse, error) {
	out := make([]*angzarr.EventPage, 0, len(request.GetEvents()))
	for _, page := range request.GetEvents() {
		rule, ok := u.Rules[FullName(page.GetEvent().GetTypeUrl())]
		if !ok {
			out = append(out, page)
			continue
		}
		old, err := Decode(page.GetEvent(), rule.Old)
		if err != nil {
			return nil, err
		}
		current := proto.Clone(page).(*angzarr.EventPage)
		current.Event = Pack(rule.Convert(old))
		out = append(out, current)
	}
	return &angzarr.UpcastResponse{Events: out}, nil
}

type upcasterServer struct {
	angzarr.UnimplementedUpcasterServer
	upcaster *Upcaster
}

func (s upcasterServer) Upcast(_ context.Context, request *angzarr.UpcastRequest) (*angzarr.UpcastResponse, error) {
	return s.upcaster.Upcast(request)
}

// UpcasterService registers the upcaster on a server (for Serve); health reports it SERVING,
// which is how the runtime finds it.
func UpcasterService(u *Upcaster) Service {
	return Service{Name: "angzarr.Upcaster", Register: func(r Registrar) {
		angzarr.RegisterUpcasterServer(r, upcasterServer{upcaster: u})
	}}
}
