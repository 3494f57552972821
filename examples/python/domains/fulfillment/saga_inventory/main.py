"""Program saga-fulfillment-inventory: the saga over gRPC on the socket given by --socket or ANGZARR_SOCKET."""
import angzarr_sdk  # noqa: F401  (puts the generated modules on sys.path)
from angzarr_sdk.server import serve
from angzarr_sdk.services import saga_services

from domains.fulfillment.saga_inventory.saga import SAGA

if __name__ == "__main__":
    serve(saga_services(SAGA))
