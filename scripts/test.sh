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

# Build (or find in the cache) llama-server and the model up front, so the ~5 minute build shows
# its progress here instead of running silently inside a pytest fixture.
benchlab local setup

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
