#!/usr/bin/env bash
# Builds the release archives Terraform and OpenTofu install from, in dist/:
#   terraform-provider-lookoutvision_VERSION_OS_ARCH.zip   the provider binary, registry layout
#   terraform-provider-lookoutvision_VERSION_SHA256SUMS    checksums of the archives
#   mirror/registry.terraform.io/lookoutvision/lookoutvision/...   a filesystem mirror
#   lookoutvision-emulator_VERSION_OS_ARCH.zip             the emulator
# DIST_DIR chooses another output directory; BIN_DIR packages already built binaries instead
# of building release ones (the tests package their debug build this way).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch="$(uname -m)" ;;
esac
name=terraform-provider-lookoutvision
dist="${DIST_DIR:-$repo/dist}"
if [ -n "${BIN_DIR:-}" ]; then
  bin_dir="$BIN_DIR"
else
  cargo build --locked --release --bins
  bin_dir="$repo/target/release"
fi
rm -rf "$dist"
mkdir -p "$dist/stage"

# The registry's naming: the binary inside the zip carries the version.
cp "$bin_dir/$name" "$dist/stage/${name}_v${version}"
(cd "$dist/stage" && zip -q -X "$dist/${name}_${version}_${os}_${arch}.zip" "${name}_v${version}")
cp "$bin_dir/lookoutvision-emulator" "$dist/stage/lookoutvision-emulator"
(cd "$dist/stage" && zip -q -X "$dist/lookoutvision-emulator_${version}_${os}_${arch}.zip" lookoutvision-emulator)
(cd "$dist" && sha256sum ./*.zip | sed 's# \./# #' >"${name}_${version}_SHA256SUMS")

# A filesystem mirror in the packed layout: HOSTNAME/NAMESPACE/TYPE/<the registry zip>.
mirror="$dist/mirror/registry.terraform.io/lookoutvision/lookoutvision"
mkdir -p "$mirror"
cp "$dist/${name}_${version}_${os}_${arch}.zip" "$mirror/"
rm -rf "$dist/stage"

echo "Built version $version for ${os}_${arch} in $dist:"
(cd "$dist" && ls -1 ./*.zip ./*SHA256SUMS && echo "mirror: $dist/mirror")
