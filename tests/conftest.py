"""Shared fixtures: the real llama-server (built on first use), one headless Chromium, and skip-or-fail helpers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = REPO / "tests" / "data"


def require_or_skip(reason: str) -> None:
    """Skip for want of something this machine lacks, except under CI, where it must exist.

    CI installs everything the suite needs, so a missing llama-server, Docker
    engine or bubblewrap there is a broken set-up, not a reason to pass quietly.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: a missing requirement fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return fields[0] != "Z"


def child_pids(parent: int) -> list[int]:
    """Direct children of ``parent`` (from /proc, so it sees any process)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(after_name[1]) == parent:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture(scope="session")
def llama_paths() -> tuple[Path, Path]:
    """(llama-server, model) from benchlab's own set-up code: cached, or built now (~5 min)."""
    from benchlab.errors import BenchlabError
    from benchlab.plugins.backends.llama.llama_build import ensure_model, ensure_server

    try:
        return ensure_server(), ensure_model()
    except BenchlabError as exc:
        require_or_skip(f"no llama-server or model: {exc}")
        raise  # unreachable: require_or_skip always raises


@pytest.fixture(scope="session")
def llama_server(llama_paths: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama-server with SmolLM2-135M on a free loopback port; yields its base URL."""
    from benchlab.plugins.backends.llama.llama_build import MODEL_ALIAS
    from benchlab.plugins.backends.llama.llama_server import LlamaServer

    binary, model = llama_paths
    server = LlamaServer(binary, model, alias=MODEL_ALIAS, log_dir=tmp_path_factory.mktemp("llama-logs"))
    url = server.start()
    pid = server.pid
    assert pid is not None
    try:
        yield url
    finally:
        server.stop()
        assert not pid_alive(pid), f"llama-server (pid {pid}) outlived the test session"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole session (the HTML page tests); Debian's package,
    installed by scripts/test.sh, never downloaded."""
    from chromium import Browser, find_chromium

    binary = find_chromium()
    if binary is None:
        require_or_skip("no chromium on PATH (scripts/test.sh installs Debian's chromium)")
    browser = Browser(binary)
    try:
        yield browser
    finally:
        browser.close()
