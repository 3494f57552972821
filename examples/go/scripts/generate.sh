#!/bin/bash
# Regenerates gen/ (protoc-gen-go messages, protoc-gen-go-grpc services) from the project's proto/
# with Debian's protoc, protoc-gen-go and protoc-gen-go-grpc. `--check` generates into a scratch
# folder and fails when the committed files differ (run by `bun run test`). Hand-written files in
# gen/ (methods on the generated types, *_methods.go) are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
proto=$(cd "$here/../../proto" && pwd)
module=angzarr.dev/examples
files=(angzarr/types.proto angzarr/aggregate.proto angzarr/saga.proto angzarr/upcaster.proto)
files+=($(cd "$proto" && ls examples/*.proto) health/v1/health.proto)
opts=()
for f in "${files[@]}"; do
  case $(dirname "$f") in
    angzarr) pkg=$module/gen/angzarr ;;
    examples) pkg=$module/gen/examples ;;
    health/v1) pkg=$module/gen/health ;;
  esac
  opts+=("--go_opt=M$f=$pkg" "--go-grpc_opt=M$f=$pkg")
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$proto" && protoc -I. -I/usr/include --go_out="$scratch" --go-grpc_out="$scratch" \
  --go_opt=module=$module --go-grpc_opt=module=$module "${opts[@]}" "${files[@]}")
generated() { (cd "$1" && find gen -name '*.pb.go' | sort); }
if [ "${1:-}" = "--check" ]; then
  problems=$(diff <(generated "$scratch") <(generated "$here") | grep '^[<>]' || true)
  for f in $(generated "$scratch"); do
    [ -f "$here/$f" ] && ! cmp -s "$scratch/$f" "$here/$f" && problems+=$'\n'"stale: $f"
  done
  if [ -n "$problems" ]; then
    echo "examples/go/gen is out of date (run examples/go/scripts/generate.sh):$problems" >&2
    exit 1
  fi
  echo "examples/go/gen is current ($(generated "$here" | wc -l) files)"
  exit 0
fi
find "$here/gen" -name '*.pb.go' -delete 2>/dev/null || true
mkdir -p "$here/gen"
cp -r "$scratch/gen/." "$here/gen/"
echo "generated $(generated "$here" | wc -l) files in examples/go/gen"
