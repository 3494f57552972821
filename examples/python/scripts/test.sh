#!/bin/sh
# Unit tests of the Python example programs (pure logic, prior events given), then the drift check
# of the generated modules. Needs Debian's python3-grpcio, python3-protobuf, python3-pytest and
# protobuf-compiler.
set -e
cd "$(dirname "$0")/.."
/usr/bin/python3 -m pytest -q "$@"
/usr/bin/python3 scripts/generate.py --check
