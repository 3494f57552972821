#!/bin/bash
# Builds every program into bin/ (one binary per component) offline, against Debian's Go packages
# in /usr/share/gocode (golang-go 1.19, golang-google-grpc-dev 1.33, golang-google-protobuf-dev):
# GOPATH mode, with this folder linked into a private GOPATH as angzarr.dev/examples. No module
# download. With module access instead: `go build -o bin/ ./cmd/...` (go.mod names the versions).
#   scripts/build.sh          build bin/<program> for every cmd/<program>
#   scripts/build.sh test     go test every package (the *_test.go unit tests)
#   scripts/build.sh vet      go vet every package
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gopath=${ANGZARR_GOPATH:-$here/.gopath}
mkdir -p "$gopath/src/angzarr.dev"
ln -sfn "$here" "$gopath/src/angzarr.dev/examples"
export GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS=
export GOCACHE=${GOCACHE:-$here/.gopath/cache}
cd "$gopath/src/angzarr.dev/examples"
packages() { find . -name '*.go' -not -path './.gopath/*' -not -path './bin/*' -printf '%h\n' | sort -u | sed 's#^\.#angzarr.dev/examples#'; }
case "${1:-build}" in
  test) shift; go test "$@" $(packages) ;;
  vet) go vet $(packages) ;;
  build)
    mkdir -p "$here/bin"
    for dir in cmd/*/; do
      program=$(basename "$dir")
      go build -o "$here/bin/$program" "angzarr.dev/examples/cmd/$program"
    done
    echo "built $(ls "$here/bin" | wc -l) programs in examples/go/bin"
    ;;
  *) echo "usage: scripts/build.sh [build|test|vet]" >&2; exit 2 ;;
esac
