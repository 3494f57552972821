"""Program agg-order: the order aggregate over gRPC on the socket given by --socket or ANGZARR_SOCKET."""
import angzarr_sdk  # noqa: F401  (puts the generated modules on sys.path)
from angzarr_sdk.server import serve
from angzarr_sdk.services import aggregate_services

from domains.order.agg.aggregate import AGGREGATE

if __name__ == "__main__":
    serve(aggregate_services(AGGREGATE))
