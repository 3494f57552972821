// Program agg-order: the order aggregate over gRPC on the socket given by --socket or ANGZARR_SOCKET.
package main

import (
	"angzarr.dev/examples/domains/order"
	"angzarr.dev/examples/sdk"
)

func main() { sdk.Serve(sdk.AggregateService(order.Aggregate)) }
