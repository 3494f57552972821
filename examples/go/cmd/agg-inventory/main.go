// Program agg-inventory: the inventory aggregate and the domain's upcaster over gRPC on the
// socket given by --socket or ANGZARR_SOCKET.
package main

import (
	"angzarr.dev/examples/domains/inventory"
	"angzarr.dev/examples/sdk"
)

func main() {
	sdk.Serve(sdk.AggregateService(inventory.Aggregate), sdk.UpcasterService(inventory.Upcaster))
}
