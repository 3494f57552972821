"""Program agg-inventory: the inventory aggregate and the domain's upcaster over gRPC on the
socket given by --socket or ANGZARR_SOCKET."""
import angzarr_sdk  # noqa: F401  (puts the generated modules on sys.path)
from angzarr_sdk.server import serve
from angzarr_sdk.services import aggregate_services, upcaster_services

from domains.inventory.agg.aggregate import AGGREGATE
from domains.inventory.agg.upcaster import UPCASTER

if __name__ == "__main__":
    serve(aggregate_services(AGGREGATE) + upcaster_services(UPCASTER))
