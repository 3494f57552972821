"""The Python programs by name (the runtime's and the chart's program names) and their modules.

`python3 -m angzarr_sdk.programs` lists them; `--link DIR` makes DIR/<program> a symbolic link to
launch.py for each (the image's /usr/local/bin, so `/usr/local/bin/agg-order health` works with
no shell).
"""
import os
import sys
from pathlib import Path

PROGRAMS = {
    "agg-cart": "domains.cart.agg.main",
    "agg-customer": "domains.customer.agg.main",
    "agg-fulfillment": "domains.fulfillment.agg.main",
    "agg-inventory": "domains.inventory.agg.main",
    "agg-order": "domains.order.agg.main",
    "agg-product": "domains.product.agg.main",
    "saga-order-inventory": "domains.order.saga_inventory.main",
    "saga-order-fulfillment": "domains.order.saga_fulfillment.main",
    "saga-order-customer": "domains.order.saga_customer.main",
    "saga-fulfillment-inventory": "domains.fulfillment.saga_inventory.main",
    "pmg-order-fulfillment": "domains.pmg_order_fulfillment.main",
    "projector-customer-loyalty": "domains.prj_customer_loyalty.main",
}

LAUNCHER = Path(__file__).resolve().parent.parent / "launch.py"


def link(folder: str, launcher: str = str(LAUNCHER)) -> None:
    os.makedirs(folder, exist_ok=True)
    for name in PROGRAMS:
        path = os.path.join(folder, name)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(launcher, path)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--link":
        link(sys.argv[2])
    elif len(sys.argv) == 1:
        print("\n".join(PROGRAMS))
    else:
        print("usage: python3 -m angzarr_sdk.programs [--link DIR]", file=sys.stderr)
        sys.exit(2)
