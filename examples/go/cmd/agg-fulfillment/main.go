// Program agg-fulfillment: the fulfillment aggregate over gRPC on the socket given by --socket or ANGZARR_SOCKET.
package main

import (
	"angzarr.dev/examples/domains/fulfillment"
	"angzarr.dev/examples/sdk"
)

func main() { sdk.Serve(sdk.AggregateService(fulfillment.Aggregate)) }
