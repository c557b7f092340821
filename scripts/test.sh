#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
# Used by README's second set-up command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# Toolchain for building llama-server; bubblewrap, debootstrap and zstd for the sandboxes.
APT_PACKAGES="cmake ninja-build g++ make bubblewrap debootstrap zstd ca-certificates curl"
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $APT_PACKAGES
fi

python3 -m pip install --quiet --upgrade pip
python3 -m pip install --quiet -e ".[test]"
# BFCL's data for the bfcl-* packs: its dependency tree pulls in torch, and benchlab only reads its files.
python3 -m pip install --quiet --no-deps bfcl-eval==2026.3.23

# Build (or find in the cache) llama-server + the model, and the sandbox root filesystem + image,
# up front and in parallel (the compile is CPU-bound, debootstrap mostly waits on the mirror), so
# their progress shows here instead of running silently inside pytest fixtures.
set -o pipefail
( python3 -m benchlab local setup 2>&1 | sed -u 's/^/[llama] /' ) &
llama_pid=$!
( python3 -m benchlab sandbox build 2>&1 | sed -u 's/^/[sandbox] /' ) &
sandbox_pid=$!
wait "$llama_pid"
wait "$sandbox_pid"

# pytest exits 5 when it collects no tests: that is a failure here, as is any other non-zero code.
set +e
python3 -m pytest -q -p no:cacheprovider "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$code"
