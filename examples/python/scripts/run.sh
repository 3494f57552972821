#!/bin/sh
# Runs one Python program on a Unix socket, as the runtime does:
#   examples/python/scripts/run.sh domains.order.agg.main --socket /tmp/agg-order.sock
# The whole example system with these programs: `ANGZARR_EXAMPLES=python bun start` (repo root).
set -e
cd "$(dirname "$0")/.."
module=$1
shift
exec /usr/bin/python3 -m "$module" "$@"
