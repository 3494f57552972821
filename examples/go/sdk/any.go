package sdk

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Prefix of every type URL this SDK writes.
const Prefix = "type.googleapis.com/"

// FullName is the routing key of a type URL: the text after the last '/', compared whole.
func FullName(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, "/")+1:]
}

// NameOf is a message's full protobuf name.
func NameOf(m proto.Message) string {
	return string(m.ProtoReflect().Descriptor().FullName())
}

// Pack wraps a message in Any with the type.googleapis.com/ prefix.
func Pack(m proto.Message) *anypb.Any {
	value, err := proto.Marshal(m)
	if err != nil {
		panic(err) // a message built by the handler itself always marshals
	}
	return &anypb.Any{TypeUrl: Prefix + NameOf(m), Value: value}
}

// Decode unpacks into a new message shaped like prototype; INVALID_ARGUMENT
// `failed to decode {name}: {detail}` when the bytes do not decode.
func Decode(value *anypb.Any, prototype proto.Message) (proto.Message, error) {
	m := prototype.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(value.GetValue(), m); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "failed to decode %s: %v", NameOf(prototype), err)
	}
	return m, nil
}
