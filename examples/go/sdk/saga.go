package sdk

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"angzarr.dev/examples/gen/angzarr"
)

// SagaContext is what a saga knows besides the decoded event.
type SagaContext struct {
	Source        *angzarr.EventBook
	SourceRoot    []byte // nil when the cover's root is not 16 bytes
	CorrelationID string
}

// Saga translates one domain's events into commands for another, page by page.
type Saga struct {
	Name        string
	InputDomain string
	Events      []proto.Message // one value of each event type it consumes
	React       func(event proto.Message, ctx SagaContext) []*angzarr.CommandBook
}

func (s *Saga) names() []string {
	out := make([]string, len(s.Events))
	for i, e := range s.Events {
		out[i] = NameOf(e)
	}
	return out
}

// Descriptor names the saga and the events it consumes.
func (s *Saga) Descriptor() *angzarr.ComponentDescriptor {
	return &angzarr.ComponentDescriptor{
		Name:          s.Name,
		ComponentType: "saga",
		Inputs:        []*angzarr.Subscription{{Domain: s.InputDomain, EventTypes: s.names()}},
	}
}

// Execute reacts to each page it handles; other or undecodable pages are skipped and logged.
func (s *Saga) Execute(request *angzarr.SagaExecuteRequest) *angzarr.SagaResponse {
	source := request.GetSource()
	ctx := SagaContext{Source: source, CorrelationID: source.GetCover().GetCorrelationId()}
	if root := source.GetCover().GetRoot().GetValue(); IsUUID(root) {
		ctx.SourceRoot = root
	}
	response := &angzarr.SagaResponse{}
	for _, page := range source.GetPages() {
		name := FullName(page.GetEvent().GetTypeUrl())
		var prototype proto.Message
		for _, e := range s.Events {
			if NameOf(e) == name {
				prototype = e
			}
		}
		if prototype == nil {
			skip(s.Name, fmt.Sprintf("unhandled event type %q", name))
			continue
		}
		event, err := Decode(page.GetEvent(), prototype)
		if err != nil {
			skip(s.Name, err.Error())
			continue
		}
		response.Commands = append(response.Commands, s.React(event, ctx)...)
	}
	return response
}

func skip(component, reason string) {
	fmt.Fprintf(os.Stderr, "{\"event\":\"component.page_skipped\",\"component\":%q,\"reason\":%q}\n", component, reason)
}

// CommandFor is one command page at sequence 0 (the runtime stamps the real sequence).
func CommandFor(domain string, root []byte, correlationID string, command proto.Message) *angzarr.CommandBook {
	return &angzarr.CommandBook{
		Cover: &angzarr.Cover{Domain: domain, Root: &angzarr.UUID{Value: root}, CorrelationId: correlationID},
		Pages: []*angzarr.CommandPage{{Sequence: 0, Command: Pack(command)}},
	}
}

type sagaServer struct {
	angzarr.UnimplementedSagaServer
	saga *Saga
}

func (s sagaServer) GetDescriptor(context.Context, *angzarr.GetDescriptorRequest) (*angzarr.ComponentDescriptor, error) {
	return s.saga.Descriptor(), nil
}

func (s sagaServer) Prepare(context.Context, *angzarr.SagaPrepareRequest) (*angzarr.SagaPrepareResponse, error) {
	return &angzarr.SagaPrepareResponse{}, nil
}

func (s sagaServer) Execute(_ context.Context, request *angzarr.SagaExecuteRequest) (*angzarr.SagaResponse, error) {
	return s.saga.Execute(request), nil
}

// SagaService registers the saga on a server (for Serve).
func SagaService(s *Saga) Service {
	return Service{Name: "angzarr.Saga", Register: func(r Registrar) { angzarr.RegisterSagaServer(r, sagaServer{saga: s}) }}
}
