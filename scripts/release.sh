#!/usr/bin/env bash
# Builds the release archives in dist/: a thin wrapper around `cargo xtask release` (see
# xtask/src/release.rs for what it writes). DIST_DIR chooses another output directory; BIN_DIR
# packages already built binaries instead of building release ones; GPG_FINGERPRINT signs the
# checksums.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
if [ -n "${DIST_DIR:-}" ]; then args+=(--dist "$DIST_DIR"); fi
if [ -n "${BIN_DIR:-}" ]; then args+=(--bin-dir "$BIN_DIR"); fi
exec cargo xtask release "${args[@]}" "$@"
