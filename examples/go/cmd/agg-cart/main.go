// Program agg-cart: the cart aggregate over gRPC on the socket given by --socket or ANGZARR_SOCKET.
package main

import (
	"angzarr.dev/examples/domains/cart"
	"angzarr.dev/examples/sdk"
)

func main() { sdk.Serve(sdk.AggregateService(cart.Aggregate)) }
