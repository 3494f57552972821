// Program saga-order-customer: the saga over gRPC on the socket given by --socket or ANGZARR_SOCKET.
package main

import (
	"angzarr.dev/examples/sagas"
	"angzarr.dev/examples/sdk"
)

func main() { sdk.Serve(sdk.SagaService(sagas.OrderCustomer)) }
