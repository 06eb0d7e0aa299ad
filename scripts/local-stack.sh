# shellcheck shell=bash
# Sourced by scripts/demo.sh and examples/local-service/run.sh: what both do to run the
# freshly built provider and emulator on loopback. Expects `bin_dir` (where the binaries
# are); sets `work`, `emulator_pid` and `url`.

# Makes the temporary directory `work`, removed with the emulator when the script exits.
make_work_dir() {
  work="$(mktemp -d)"
  emulator_pid=""
  trap 'stop_local_stack' EXIT
}

stop_local_stack() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}

# Starts lookoutvision-emulator on a free loopback port with the extra arguments given, and
# waits for its first stdout line, which names the URL.
start_emulator() {
  "${bin_dir:?}/lookoutvision-emulator" --listen 127.0.0.1:0 "$@" \
    >"$work/emulator.out" 2>"$work/emulator.err" &
  emulator_pid=$!
  for _ in $(seq 1 100); do
    if [ -s "$work/emulator.out" ]; then break; fi
    sleep 0.1
  done
  url="$(head -n1 "$work/emulator.out" | sed -n 's/^listening on //p')"
  if [ -z "$url" ]; then
    echo "the emulator did not start:" >&2
    cat "$work/emulator.err" >&2
    return 1
  fi
  echo "    emulator at $url"
}

# Points terraform at the built provider through dev_overrides (with AutoMTLS, as for any
# installed provider; terraform init is neither needed nor possible offline with them), and
# the provider at the emulator, through the environment.
use_built_provider() {
  cat >"$work/terraform.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/lookoutvision/lookoutvision" = "$bin_dir"
  }
  direct {}
}
TFRC
  export TF_CLI_CONFIG_FILE="$work/terraform.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
  export AWS_ENDPOINT_URL_LOOKOUTVISION="$url" AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  export AWS_DEFAULT_REGION=us-east-1
}
