// Program agg-product: the product aggregate over gRPC on the socket given by --socket or ANGZARR_SOCKET.
package main

import (
	"angzarr.dev/examples/domains/product"
	"angzarr.dev/examples/sdk"
)

func main() { sdk.Serve(sdk.AggregateService(product.Aggregate)) }
