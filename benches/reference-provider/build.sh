#!/usr/bin/env bash
# Builds terraform-provider-nullref (see README.md) into OUT_DIR, offline,
# from Debian's Go toolchain and Go libraries. Installs nothing: if something
# is missing it says so on one line and exits 2.
#
#   usage: build.sh OUT_DIR
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 64
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
proto=$(cd "$here/../../proto" && pwd)
gocode=/usr/share/gocode/src
apt_line="apt-get install -y golang-go protobuf-compiler libprotobuf-dev protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev golang-golang-x-net-dev"

missing=()
for tool in go protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
# Debian's protoc-gen-go-1-3 is also called protoc-gen-go but emits the old
# API; the APIv2 one (package protoc-gen-go) answers --version.
if command -v protoc-gen-go >/dev/null 2>&1 &&
   ! protoc-gen-go --version </dev/null 2>/dev/null | grep -q '^protoc-gen-go v1\.'; then
  missing+=("protoc-gen-go (APIv2, not protoc-gen-go-1-3)")
fi
for f in google/protobuf/timestamp.proto; do
  [ -f "/usr/include/$f" ] || missing+=("/usr/include/$f")
done
# The Go libraries, as Debian installs them (GOPATH layout). The registry.go
# check tells golang/protobuf 1.5 (APIv2-based, needed) from 1.3.
for d in google.golang.org/grpc google.golang.org/grpc/health google.golang.org/protobuf \
         github.com/golang/protobuf/proto/registry.go google.golang.org/genproto/googleapis/rpc/status \
         golang.org/x/net/http2; do
  [ -e "$gocode/$d" ] || missing+=("$gocode/$d")
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "not built because missing: ${missing[*]}; install with: $apt_line" >&2
  exit 2
fi

out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/src/nullref
mkdir -p "$src/tfplugin6" "$src/goplugin"
cp "$here"/*.go "$src/"

# Generated code goes to the temp GOPATH only; the M options give the two
# protos import paths inside it.
protoc -I "$proto" -I /usr/include \
  --go_out="$src/tfplugin6" --go_opt=paths=source_relative --go_opt=Mtfplugin6.proto=nullref/tfplugin6 \
  --go-grpc_out="$src/tfplugin6" --go-grpc_opt=paths=source_relative --go-grpc_opt=Mtfplugin6.proto=nullref/tfplugin6 \
  "$proto/tfplugin6.proto"
protoc -I "$proto" \
  --go_out="$src/goplugin" --go_opt=paths=source_relative --go_opt=Mgrpc_controller.proto=nullref/goplugin \
  --go-grpc_out="$src/goplugin" --go-grpc_opt=paths=source_relative --go-grpc_opt=Mgrpc_controller.proto=nullref/goplugin \
  "$proto/grpc_controller.proto"

cd "$src"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOFLAGS= GOPROXY=off CGO_ENABLED=0 \
  go build -trimpath -o "$out/terraform-provider-nullref" . ||
  { echo "build of terraform-provider-nullref failed" >&2; exit 1; }
echo "built $out/terraform-provider-nullref" >&2
