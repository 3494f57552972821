// Program agg-customer: the customer aggregate over gRPC on the socket given by --socket or ANGZARR_SOCKET.
package main

import (
	"angzarr.dev/examples/domains/customer"
	"angzarr.dev/examples/sdk"
)

func main() { sdk.Serve(sdk.AggregateService(customer.Aggregate)) }
