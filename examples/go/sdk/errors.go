// Package sdk is a thin handler SDK for angzarr programs written in Go: aggregates (routing by
// the full type name, state rebuilt from the book, guard → validate → compute), sagas, and a
// Serve that listens on the Unix socket the coordinator names and answers gRPC health.
package sdk

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Guard is a precondition on state alone (existence, status): FAILED_PRECONDITION.
func Guard(ok bool, message string) error {
	if ok {
		return nil
	}
	return status.Error(codes.FailedPrecondition, message)
}

// Validate checks the command's input (or the input against state): INVALID_ARGUMENT.
func Validate(ok bool, message string) error {
	if ok {
		return nil
	}
	return status.Error(codes.InvalidArgument, message)
}

// Require asks for a named item inside the aggregate: NOT_FOUND.
func Require(ok bool, message string) error {
	if ok {
		return nil
	}
	return status.Error(codes.NotFound, message)
}

// First returns the first failing check, in the order given (the check order of the rules).
func First(checks ...func() error) error {
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}
