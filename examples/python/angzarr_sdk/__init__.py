"""A thin handler SDK for angzarr programs written in Python (grpcio + protobuf from Debian).

The generated message modules live in examples/python/gen (scripts/generate.py); importing this
package puts that folder on sys.path, so `from examples import order_pb2` works everywhere.
"""
import sys
from pathlib import Path

_GEN = str(Path(__file__).resolve().parent.parent / "gen")
if _GEN not in sys.path:
    sys.path.insert(0, _GEN)
