#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
# Used by README's second set-up command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# A C/C++ toolchain for building llama-server, and bubblewrap, debootstrap and zstd for the
# sandboxes, chromium for the HTML pages' browser tests. Not cmake or ninja: benchlab takes them from PyPI's wheels when they are missing,
# and CI must take the path a new user's machine takes.
APT_PACKAGES="g++ make bubblewrap debootstrap zstd ca-certificates curl chromium"
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $APT_PACKAGES
fi

python3 -m pip install --quiet --upgrade pip
python3 -m pip install --quiet -e ".[test]"
# BFCL's data for the bfcl-* packs: its dependency tree pulls in torch, and benchlab only reads its files.
python3 -m pip install --quiet --no-deps bfcl-eval==2026.3.23

# pytest exits 5 when it collects no tests: that is a failure here, as is any other non-zero code.
run_pytest() {
  local code=0
  python3 -m pytest -q -p no:cacheprovider "$@" || code=$?
  if [ "$code" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests ($*)" >&2
    code=1
  fi
  return "$code"
}

status=0
keep_first_failure() { if [ "$status" -eq 0 ] && [ "$1" -ne 0 ]; then status=$1; fi; }
set -o pipefail
set +e

if [ "$#" -gt 0 ]; then
  # Part of the suite: find or build llama-server + the model and the sandbox image up front and in
  # parallel (the compile is CPU-bound, debootstrap mostly waits on the mirror), so their progress
  # shows here instead of running silently inside pytest fixtures; then run what was asked for.
  ( python3 -m benchlab local setup 2>&1 | sed -u 's/^/[llama] /' ) &
  llama_pid=$!
  ( python3 -m benchlab sandbox build 2>&1 | sed -u 's/^/[sandbox] /' ) &
  sandbox_pid=$!
  wait "$llama_pid"; keep_first_failure $?
  wait "$sandbox_pid"; keep_first_failure $?
  run_pytest "$@"; keep_first_failure $?
  exit "$status"
fi

# The whole suite, building each heavy thing once per run:
# 1. tests/test_fresh_machine.py is the README's first command on a fresh machine: it builds
#    llama-server from nothing, in an empty cache, with a PATH that lacks cmake and ninja. When the
#    real cache has no llama-server yet, the test installs its build there (atomically, under the
#    cache's lock; BENCHLAB_TEST_SHARED_CACHE names the cache), so that build is the run's only one.
#    The sandbox image is built beside it (the compile is CPU-bound, debootstrap mostly waits on
#    the mirror).
# 2. `benchlab local setup` then finds that llama-server and fetches the model.
# 3. The rest of the suite runs with the fresh-machine test left out.
# The script exits with the first step's failure, after running every step.
shared_cache="$(python3 -c 'from benchlab.cache import cache_dir; print(cache_dir())')"
( BENCHLAB_TEST_FRESH_BUILD=1 BENCHLAB_TEST_SHARED_CACHE="$shared_cache" \
    run_pytest -s tests/test_fresh_machine.py 2>&1 | sed -u 's/^/[fresh] /' ) &
fresh_pid=$!
( python3 -m benchlab sandbox build 2>&1 | sed -u 's/^/[sandbox] /' ) &
sandbox_pid=$!
wait "$fresh_pid"; keep_first_failure $?
wait "$sandbox_pid"; keep_first_failure $?
python3 -m benchlab local setup 2>&1 | sed -u 's/^/[llama] /'; keep_first_failure $?
run_pytest --ignore=tests/test_fresh_machine.py; keep_first_failure $?
exit "$status"
