"""The README's first command on a fresh machine: llama-server fetched and built from nothing.

A fresh machine is reproduced for real: an empty ``BENCHLAB_CACHE_DIR``, an empty pip
cache, and PATH set to a folder of links to only python3, cc/c++/gcc/g++, make,
as/ld/ar and tar -- no cmake, no ninja. ``benchlab local setup`` then fetches the
llama.cpp sources and builds llama-server there (about 5 minutes on 2 cores), and the
test checks that it built the binary itself and that no build backend compiled a
build requirement (cmake and ninja must come from PyPI's wheels).

It runs when ``CI`` or ``BENCHLAB_TEST_FRESH_BUILD`` is set (scripts/test.sh sets the
latter); elsewhere it skips, as a 5-minute build is not something to repeat on every
local run. When ``BENCHLAB_TEST_SHARED_CACHE`` names a cache dir (scripts/test.sh passes
the real one), the freshly built server is installed there, atomically and under the
cache's lock, if that cache has none: the run's one llama-server build then serves the
rest of the suite.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest

from benchlab.cache import CacheLock
from benchlab.plugins.backends.llama.llama_build import LLAMA_CPP_PYTHON_VERSION, SERVER_DIR, TOOLS_DIR, cached_server_path, missing_build_tools
from conftest import REPO, require_or_skip

RUN_ENV = "BENCHLAB_TEST_FRESH_BUILD"
SHARED_CACHE_ENV = "BENCHLAB_TEST_SHARED_CACHE"
BUILD_TIMEOUT_S = 3600


def _fresh_machine() -> ModuleType:
    """benchmarks/setup/fresh_machine.py: the fresh machine's PATH, shared with the set-up benchmark."""
    spec = importlib.util.spec_from_file_location("setup_bench_fresh_machine", REPO / "benchmarks" / "setup" / "fresh_machine.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FRESH = _fresh_machine()


def fresh_path(folder: Path) -> Path:
    """A PATH folder of links to only the tools a fresh machine has."""
    missing = FRESH.fresh_tool_links(folder, sys.executable)
    if missing:
        require_or_skip(f"{', '.join(missing)} not installed, so no fresh machine can be staged here")
    return folder


def run_streaming(cmd: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``cmd``; its stderr is echoed as it comes (a live log under ``pytest -s``) and returned."""
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    err_lines: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            sys.stderr.write(line)
            sys.stderr.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        out = proc.stdout.read()
        code = proc.wait(timeout=BUILD_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=30)
    return code, out, "".join(err_lines)


def wheel_tags(dist_info: Path) -> list[str]:
    """The ``Tag:`` lines of an installed distribution's WHEEL file."""
    return [line.split(":", 1)[1].strip() for line in (dist_info / "WHEEL").read_text().splitlines() if line.startswith("Tag:")]


def install_into_shared_cache(built: Path, shared: Path) -> None:
    """Copy the freshly built server dir into ``shared`` unless it has one: under its lock, renamed into place."""
    final = shared / SERVER_DIR
    with CacheLock.named(shared, SERVER_DIR, on_wait=lambda line: print(f"test_fresh_machine: {line}", file=sys.stderr)):
        if cached_server_path(shared).is_file():
            return
        partial = Path(tempfile.mkdtemp(prefix=f".{SERVER_DIR}-", dir=shared))
        try:
            shutil.copytree(built, partial / "install", symlinks=True)
            os.rename(partial / "install", final)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    print(f"test_fresh_machine: installed the fresh build as {final}", file=sys.stderr)


@pytest.mark.llama
@pytest.mark.slow
def test_a_fresh_machine_fetches_and_builds_llama_server_without_compiling_build_tools(tmp_path: Path) -> None:
    if not (os.environ.get("CI") or os.environ.get(RUN_ENV)):
        pytest.skip(f"builds llama-server from nothing (about 5 minutes): set {RUN_ENV}=1 or CI to run it")
    cache = tmp_path / "cache"
    cache.mkdir()
    tools = fresh_path(tmp_path / "bin")
    assert [tool for tool, _ in missing_build_tools(path=str(tools))] == ["cmake", "ninja"]
    assert list(cache.iterdir()) == [] and not cached_server_path(cache).exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCHLAB_")}
    env.update(PATH=str(tools), BENCHLAB_CACHE_DIR=str(cache), PIP_CACHE_DIR=str(tmp_path / "pip-cache"))
    placeholder_model = tmp_path / "not-a-model.gguf"  # the model is not this test's subject
    placeholder_model.write_bytes(b"GGUF")
    started = time.time()
    try:
        code, out, err = run_streaming(
            [sys.executable, "-m", "benchlab", "local", "setup", "--json", "--model-file", str(placeholder_model)], env
        )
        check_fresh_build(cache, started, code, out, err)
    finally:  # pytest keeps the last runs' tmp dirs: keep the logs, not 200 MB of downloads
        shutil.rmtree(tmp_path / "pip-cache", ignore_errors=True)
        shutil.rmtree(cache / TOOLS_DIR, ignore_errors=True)
    shared = os.environ.get(SHARED_CACHE_ENV)
    if shared:
        install_into_shared_cache(cached_server_path(cache).parent.parent, Path(shared))


def check_fresh_build(cache: Path, started: float, code: int, out: str, err: str) -> None:
    """This run built llama-server itself, took cmake and ninja from wheels and compiled no build requirement."""
    assert code == 0, err[-3000:]
    binary = cached_server_path(cache)
    assert json.loads(out)["server"] == str(binary)
    # This test built it: the binary appeared in the empty cache, with build facts written now.
    info = json.loads((binary.parent.parent / "build-info.json").read_text())
    assert info["llama_cpp_python"] == LLAMA_CPP_PYTHON_VERSION
    assert (binary.parent.parent / "build-info.json").stat().st_mtime >= started
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    log = (cache / "logs" / f"{SERVER_DIR}-build.log").read_text(errors="replace")
    steps = re.findall(r"^\[(\d+)/(\d+)\] ", log, flags=re.M)
    assert steps and steps[-1][0] == steps[-1][1], "ninja's steps are missing from the build log"
    assert re.search(r"Linking CXX executable bin/llama-server", log)
    # No build backend compiled a build requirement: pip fetched wheels for the sdist's build
    # requirements and for cmake and ninja, and nothing was built from source but llama.cpp.
    assert not FRESH.COMPILED_FROM_SOURCE.search(log), FRESH.COMPILED_FROM_SOURCE.search(log)
    assert re.search(r"scikit_build_core-[^ ]+\.whl", log), "pip's log does not show where scikit-build-core came from"
    for tool in ("cmake", "ninja"):
        found = shutil.which(tool, path=str(cache / TOOLS_DIR / "bin"))
        assert found is not None, f"{tool} did not come from PyPI into the cache"
        dist_info = next((cache / TOOLS_DIR).glob(f"{tool}-*.dist-info"))
        # A wheel built here would be tagged linux_*; PyPI's binary wheels are manylinux/musllinux.
        assert all("manylinux" in tag or "musllinux" in tag for tag in wheel_tags(dist_info)), wheel_tags(dist_info)
    # What the user saw on a non-terminal stderr: the phases and the step counter, as plain lines.
    assert "benchlab: downloading llama.cpp sources" in err
    assert "benchlab: installing cmake and ninja from PyPI" in err
    assert re.search(r"benchlab: building llama-server .*: \d+/\d+ \(\d+%, \d+s\)", err)
    assert "benchlab: built llama-server in" in err

