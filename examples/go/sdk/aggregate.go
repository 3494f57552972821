package sdk

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	"angzarr.dev/examples/gen/angzarr"
)

// State is a domain state message with its event appliers as a method (hand-written in the
// generated package): Apply assigns the facts an event carries and ignores other types.
type State interface {
	proto.Message
	Apply(event proto.Message)
}

// Context is what a command handler knows besides the command and the state.
type Context struct {
	NextSequence uint32
	Cover        *angzarr.Cover
	Now          *timestamppb.Timestamp
}

// Decide handles one decoded command: guard → validate → compute, returning the new events.
type Decide[S State] func(command proto.Message, state S, ctx Context) ([]proto.Message, error)

// Aggregate is one domain's command handling: pure functions plus the Handle RPC.
type Aggregate[S State] struct {
	Domain   string
	New      func() S
	Commands []proto.Message // one value of each command type it handles (routing, descriptor)
	Decide   Decide[S]
}

var revokeName = NameOf(&angzarr.RevokeEventCommand{})

// Rebuild is the snapshot (when it holds this domain's state), then every page in order.
func (a *Aggregate[S]) Rebuild(book *angzarr.EventBook) S {
	state := a.New()
	if snapshot := book.GetSnapshot().GetState(); snapshot != nil && FullName(snapshot.TypeUrl) == NameOf(state) {
		if err := proto.Unmarshal(snapshot.Value, state); err != nil {
			state = a.New()
		}
	}
	for _, page := range book.GetPages() {
		if event := decodeKnown(page.GetEvent().GetTypeUrl(), page.GetEvent().GetValue()); event != nil {
			state.Apply(event)
		}
	}
	return state
}

// decodeKnown decodes a payload whose type is linked into the program; nil otherwise.
func decodeKnown(typeURL string, value []byte) proto.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(FullName(typeURL)))
	if err != nil {
		return nil
	}
	m := mt.New().Interface()
	if proto.Unmarshal(value, m) != nil {
		return nil
	}
	return m
}

// NextSequence is the last numbered page + 1, else snapshot + 1, else 0.
func NextSequence(book *angzarr.EventBook) uint32 {
	pages := book.GetPages()
	for i := len(pages) - 1; i >= 0; i-- {
		if num, ok := pages[i].GetSequence().(*angzarr.EventPage_Num); ok {
			return num.Num + uint32(len(pages)-i)
		}
	}
	var base uint32
	if book.GetSnapshot() != nil {
		base = book.GetSnapshot().GetSequence() + 1
	}
	return base + uint32(len(pages))
}

// Descriptor names the domain and its commands.
func (a *Aggregate[S]) Descriptor() *angzarr.ComponentDescriptor {
	names := make([]string, 0, len(a.Commands))
	for _, c := range a.Commands {
		names = append(names, NameOf(c))
	}
	return &angzarr.ComponentDescriptor{
		Name:          a.Domain,
		ComponentType: "aggregate",
		Inputs:        []*angzarr.Subscription{{Domain: a.Domain, EventTypes: names}},
	}
}

// Handle is the whole Aggregate.Handle decision: prior history + command → response.
func (a *Aggregate[S]) Handle(request *angzarr.ContextualCommand) (*angzarr.BusinessResponse, error) {
	command := request.GetCommand()
	if len(command.GetPages()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "CommandBook has no pages")
	}
	payload := command.GetPages()[0].GetCommand()
	name := FullName(payload.GetTypeUrl())
	// The default revocation does not look at the state: the prior history is not folded (a saga's
	// compensations may each come with a history of 100,000 line items).
	if name == revokeName {
		decoded, err := Decode(payload, &angzarr.RevokeEventCommand{})
		if err != nil {
			return nil, err
		}
		revoke := decoded.(*angzarr.RevokeEventCommand)
		return &angzarr.BusinessResponse{Result: &angzarr.BusinessResponse_Revocation{Revocation: &angzarr.RevocationResponse{
			EmitSystemRevocation: true,
			Reason:               revoke.SagaName + " rejected: " + revoke.RejectionReason,
		}}}, nil
	}
	state := a.Rebuild(request.GetEvents())
	next := NextSequence(request.GetEvents())
	var prototype proto.Message
	for _, c := range a.Commands {
		if NameOf(c) == name {
			prototype = c
		}
	}
	if prototype == nil {
		return nil, status.Errorf(codes.InvalidArgument, "Unknown command type: %s", payload.GetTypeUrl())
	}
	decoded, err := Decode(payload, prototype)
	if err != nil {
		return nil, err
	}
	events, err := a.Decide(decoded, state, Context{NextSequence: next, Cover: command.GetCover(), Now: timestamppb.Now()})
	if err != nil {
		return nil, err
	}
	pages := make([]*angzarr.EventPage, len(events))
	for i, event := range events {
		pages[i] = &angzarr.EventPage{Sequence: &angzarr.EventPage_Num{Num: next + uint32(i)}, Event: Pack(event)}
		state.Apply(event)
	}
	book := &angzarr.EventBook{Cover: command.GetCover(), Pages: pages, SnapshotState: Pack(state)}
	return &angzarr.BusinessResponse{Result: &angzarr.BusinessResponse_Events{Events: book}}, nil
}

// aggregateServer adapts an Aggregate to the generated angzarr.AggregateServer.
type aggregateServer[S State] struct {
	angzarr.UnimplementedAggregateServer
	aggregate *Aggregate[S]
}

func (s aggregateServer[S]) Handle(_ context.Context, request *angzarr.ContextualCommand) (*angzarr.BusinessResponse, error) {
	return s.aggregate.Handle(request)
}

func (s aggregateServer[S]) GetDescriptor(context.Context, *angzarr.GetDescriptorRequest) (*angzarr.ComponentDescriptor, error) {
	return s.aggregate.Descriptor(), nil
}

// AggregateService registers the aggregate on a server (for Serve).
func AggregateService[S State](a *Aggregate[S]) Service {
	return Service{Name: "angzarr.Aggregate", Register: func(r Registrar) {
		angzarr.RegisterAggregateServer(r, aggregateServer[S]{aggregate: a})
	}}
}
