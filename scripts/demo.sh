#!/usr/bin/env bash
# The main job: build the provider and the emulator, start the emulator on loopback, apply the
# example stack with the real terraform CLI, show the result, and destroy it again.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/local-stack.sh
. "$repo/scripts/local-stack.sh"
terraform="${TF_ACC_TERRAFORM_PATH:-$(command -v terraform || true)}"
if [ -z "$terraform" ]; then
  echo "demo: the terraform CLI is not on PATH; install Terraform 1.11 or newer (or set TF_ACC_TERRAFORM_PATH)" >&2
  exit 1
fi

echo "==> Building the provider and the emulator"
cargo build --locked --quiet --manifest-path "$repo/Cargo.toml" --bins
bin_dir="$repo/target/debug"

make_work_dir

echo "==> Starting lookoutvision-emulator"
# The emulator's defaults, so no arguments: SC2119 would have the script's own passed on.
# shellcheck disable=SC2119
start_emulator || exit 1
use_built_provider
cp -r "$repo/examples/stack/." "$work/stack"
cd "$work/stack"

echo "==> terraform apply"
"$terraform" apply -auto-approve -no-color
echo "==> terraform show"
"$terraform" show -no-color
echo "==> terraform destroy"
"$terraform" destroy -auto-approve -no-color
echo "==> Done: the stack was created, shown and destroyed on the emulator."
