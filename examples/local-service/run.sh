#!/usr/bin/env bash
# A local Lookout for Vision, end to end: generate images of parts (normal ones, and ones
# with scratches, spots and missing pieces) with their Ground Truth manifests in a temporary
# directory that stands for S3, start the emulator on it, apply main.tf (a project, its train
# and test datasets, and a hosted model that learns from the images), ask the model about a
# normal and a defective part with the AWS CLI, and destroy the stack again.
#
# Needs terraform and an AWS CLI that still has the lookoutvision commands (version 1.42.60
# or earlier: python3 -m pip install awscli==1.42.60); set LOOKOUTVISION_AWS_CLI to its
# `aws` when it is not the one on PATH. SEED picks another generated set.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
seed="${SEED:-7}"
# shellcheck source=scripts/local-stack.sh
. "$repo/scripts/local-stack.sh"
say() { printf '==> %s\n' "$*"; }
fail() { printf 'local-service: %s\n' "$*" >&2; exit 1; }

terraform="${TF_ACC_TERRAFORM_PATH:-$(command -v terraform || true)}"
[ -n "$terraform" ] || fail "the terraform CLI is not on PATH; install Terraform 1.11 or newer"
aws="${LOOKOUTVISION_AWS_CLI:-$(command -v aws || true)}"
if [ -z "$aws" ] || ! "$aws" lookoutvision help >/dev/null 2>&1; then
  fail "an AWS CLI with the lookoutvision commands is needed (${aws:-none found}); install one with
  python3 -m venv /tmp/awscli && /tmp/awscli/bin/pip install awscli==1.42.60
and run again with LOOKOUTVISION_AWS_CLI=/tmp/awscli/bin/aws"
fi

say "Building the provider, the emulator and the image generator"
cargo build --locked --quiet --manifest-path "$repo/Cargo.toml" --bins \
  -p terraform-provider-lookoutvision -p lookoutvision-emulator -p lookoutvision-parts
bin_dir="${CARGO_TARGET_DIR:-$repo/target}/debug"
case "$bin_dir" in /*) ;; *) bin_dir="$repo/$bin_dir" ;; esac

make_work_dir

s3="$work/s3"
bucket="factory-line"
mkdir -p "$s3/$bucket"
say "Generating parts (seed $seed) under $s3"
"$bin_dir/lookoutvision-parts" --out "$s3" --bucket "$bucket" --prefix parts --seed "$seed" \
  --size 256 --normal 20 --anomalous 10 --test-normal 10 --test-anomalous 10
# Two parts the model never saw: one as made, one with a defect the seed picks.
"$bin_dir/lookoutvision-parts" image "$work/normal-part.png" --seed "$((seed + 1000))" --size 256
"$bin_dir/lookoutvision-parts" image "$work/defective-part.png" --defect any --seed "$((seed + 1000))" --size 256

say "Starting lookoutvision-emulator with --s3-dir"
start_emulator --s3-dir "$s3" \
  --dataset-duration 1s --training-duration 1s --hosting-duration 1s --delete-duration 1s ||
  fail "the emulator did not start"
use_built_provider
cp "$here/main.tf" "$work/main.tf"
cd "$work"

say "terraform apply: train and host a model on the generated images"
"$terraform" apply -auto-approve -no-color -var "bucket=$bucket" >"$work/apply.log" ||
  { cat "$work/apply.log" >&2; fail "terraform apply failed"; }
version="$("$terraform" output -raw model_version)"
echo "    model version $version trained; test performance:"
"$terraform" output -no-color performance | sed 's/^/    /'
for written in "$s3/$bucket"/model-output/*; do
  echo "    evaluation written to s3://$bucket/model-output/$(basename "$written")"
done

say "DetectAnomalies with the AWS CLI"
for part in normal-part defective-part; do
  verdict="$("$aws" lookoutvision detect-anomalies --endpoint-url "$url" \
    --project-name brackets --model-version "$version" --content-type image/png \
    --body "$work/$part.png" --output text \
    --query 'DetectAnomalyResult.[IsAnomalous, Confidence]')"
  read -r anomalous confidence <<<"$verdict"
  printf 'verdict: %s.png IsAnomalous=%s Confidence=%s\n' "$part" "$anomalous" "$confidence"
done

say "terraform destroy"
"$terraform" destroy -auto-approve -no-color -var "bucket=$bucket" >"$work/destroy.log" ||
  { cat "$work/destroy.log" >&2; fail "terraform destroy failed"; }
say "Done: trained, hosted, asked and destroyed on the local service."
