"""Program projector-customer-loyalty: the projector over gRPC on the socket given by --socket or
ANGZARR_SOCKET; its database is PROJECTOR_DB (default projector-customer-loyalty.db here)."""
import os

import angzarr_sdk  # noqa: F401  (puts the generated modules on sys.path)
from angzarr_sdk.server import serve
from angzarr_sdk.services import projector_services

from domains.prj_customer_loyalty.projector import NAME, create

if __name__ == "__main__":
    projector, _model = create(os.environ.get("PROJECTOR_DB", f"{NAME}.db"))
    serve(projector_services(projector))
