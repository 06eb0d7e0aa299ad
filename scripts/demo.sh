#!/usr/bin/env bash
# The main job: build the provider and the emulator, start the emulator on loopback, apply the
# example stack with the real terraform CLI, show the result, and destroy it again.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
terraform="${TF_ACC_TERRAFORM_PATH:-$(command -v terraform || true)}"
if [ -z "$terraform" ]; then
  echo "demo: the terraform CLI is not on PATH; install Terraform 1.11 or newer (or set TF_ACC_TERRAFORM_PATH)" >&2
  exit 1
fi

echo "==> Building the provider and the emulator"
cargo build --locked --quiet --manifest-path "$repo/Cargo.toml" --bins
bin_dir="$repo/target/debug"

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> Starting lookoutvision-emulator"
"$bin_dir/lookoutvision-emulator" --listen 127.0.0.1:0 >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 1 100); do
  if [ -s "$work/emulator.out" ]; then break; fi
  sleep 0.1
done
url="$(head -n1 "$work/emulator.out" | sed -n 's/^listening on //p')"
if [ -z "$url" ]; then
  echo "demo: the emulator did not start:" >&2
  cat "$work/emulator.err" >&2
  exit 1
fi
echo "    emulator at $url"

# Terraform runs the freshly built provider through dev_overrides (with AutoMTLS, as for
# any installed provider); terraform init is not needed, and not possible offline, with them.
cat >"$work/terraform.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/lookoutvision/lookoutvision" = "$bin_dir"
  }
  direct {}
}
TFRC
cp -r "$repo/examples/stack/." "$work/stack"
cd "$work/stack"
export TF_CLI_CONFIG_FILE="$work/terraform.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export AWS_ENDPOINT_URL_LOOKOUTVISION="$url" AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator

echo "==> terraform apply"
"$terraform" apply -auto-approve -no-color
echo "==> terraform show"
"$terraform" show -no-color
echo "==> terraform destroy"
"$terraform" destroy -auto-approve -no-color
echo "==> Done: the stack was created, shown and destroyed on the emulator."
