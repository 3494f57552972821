"""Program pmg-order-fulfillment: the process manager over gRPC on the socket given by --socket
or ANGZARR_SOCKET."""
import angzarr_sdk  # noqa: F401  (puts the generated modules on sys.path)
from angzarr_sdk.server import serve
from angzarr_sdk.services import process_manager_services

from domains.pmg_order_fulfillment.pm import PM

if __name__ == "__main__":
    serve(process_manager_services(PM))
