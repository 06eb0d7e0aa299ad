#!/usr/bin/env bash
# The whole test suite: unit tests, protocol tests, emulator conformance and the acceptance
# tests that drive the real terraform CLI (which must be on PATH or in TF_ACC_TERRAFORM_PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

terraform="${TF_ACC_TERRAFORM_PATH:-$(command -v terraform || true)}"
if [ -z "$terraform" ]; then
  echo "test: the terraform CLI is not on PATH; the acceptance tests cannot run without it." >&2
  echo "test: install Terraform 1.11 or newer, or set TF_ACC_TERRAFORM_PATH." >&2
  exit 1
fi
echo "test: acceptance tests use $("$terraform" version | head -n1) at $terraform"
bash "$(dirname "$0")/test-tools.sh"
# The local-service example asks the model with the last AWS CLI that has the service.
export LOOKOUTVISION_AWS_CLI="${LOOKOUTVISION_AWS_CLI:-$PWD/target/tools/awscli/bin/aws}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked --workspace --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
