"""Backend ``local``: cache dir, discovery, the lock, ports, the server's start and stop."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from benchlab.codec import SCHEMA_VERSION
from benchlab.backends import BackendOptions
from benchlab.errors import BenchlabError
from benchlab.plugins.backends.llama import llama_build
from benchlab.plugins.backends.llama.llama_build import (
    MODEL_SIZE,
    SERVER_DIR,
    CacheLock,
    cache_dir,
    cached_model_path,
    cached_server_path,
    ensure_server,
    find_model,
    find_server,
)
from benchlab.plugins.backends.llama.llama_server import LlamaServer, free_port, port_in_use
from benchlab.plugins.backends.llama.setup_progress import SetupProgress

from conftest import TEST_DATA, child_pids, pid_alive

STAND_IN = TEST_DATA / "stand_in_llama_server.py"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No cache or binary variables from the developer's shell; HOME in tmp_path."""
    for name in ("BENCHLAB_CACHE_DIR", "XDG_CACHE_HOME", "BENCHLAB_LLAMA_SERVER", "BENCHLAB_LLAMA_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def make_executable(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def stand_in_binary(tmp_path: Path) -> Path:
    return make_executable(tmp_path / "bin" / "llama-server", f'#!/bin/sh\nexec "{sys.executable}" "{STAND_IN}" "$@"\n')


# --- the cache dir ----------------------------------------------------------------


def test_cache_dir_prefers_benchlab_variable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(clean_env / "xdg"))
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", str(clean_env / "mine"))
    assert cache_dir() == clean_env / "mine"


def test_cache_dir_falls_back_to_xdg_then_home(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_dir() == clean_env / "home" / ".cache" / "benchlab"
    monkeypatch.setenv("XDG_CACHE_HOME", str(clean_env / "xdg"))
    assert cache_dir() == clean_env / "xdg" / "benchlab"
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", "")  # empty counts as unset
    assert cache_dir() == clean_env / "xdg" / "benchlab"


def test_cache_paths_are_keyed_by_version(clean_env: Path) -> None:
    assert cached_server_path(clean_env).parts[-3:] == (SERVER_DIR, "bin", "llama-server")
    assert SERVER_DIR == f"llama-server-{llama_build.LLAMA_CPP_PYTHON_VERSION}"
    assert cached_model_path(clean_env).parent.name.endswith(llama_build.MODEL_PACKAGE_VERSION)


# --- finding what exists ----------------------------------------------------------


def test_find_server_order_explicit_env_cache(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = clean_env / "cache"
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", str(cache))
    assert find_server() is None
    cached = make_executable(cached_server_path(cache))
    assert find_server() == cached
    from_env = make_executable(clean_env / "env" / "llama-server")
    monkeypatch.setenv("BENCHLAB_LLAMA_SERVER", str(from_env))
    assert find_server() == from_env
    explicit = make_executable(clean_env / "explicit" / "llama-server")
    assert find_server(explicit) == explicit


def test_find_server_rejects_missing_or_non_executable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BenchlabError, match="no such file"):
        find_server(clean_env / "nope")
    plain = clean_env / "plain"
    plain.write_text("not a program")
    monkeypatch.setenv("BENCHLAB_LLAMA_SERVER", str(plain))
    with pytest.raises(BenchlabError, match=r"BENCHLAB_LLAMA_SERVER .*not executable"):
        find_server()


def test_find_model_ignores_a_cached_file_of_the_wrong_size(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = clean_env / "cache"
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", str(cache))
    cached = cached_model_path(cache)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"GGUF truncated")
    assert find_model() is None
    with cached.open("r+b") as handle:  # sparse: the right size without writing 98 MB
        handle.truncate(MODEL_SIZE)
    assert find_model() == cached
    own = clean_env / "own.gguf"
    own.write_bytes(b"GGUF")
    monkeypatch.setenv("BENCHLAB_LLAMA_MODEL", str(own))
    assert find_model() == own


def test_missing_build_tools_is_one_clear_error_naming_apt_packages(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = clean_env / "cache"
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", str(cache))
    empty_bin = clean_env / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    with pytest.raises(BenchlabError) as caught:
        ensure_server()
    message = str(caught.value)
    assert "\n" not in message
    # cmake and ninja would come from PyPI; the compilers cannot.
    assert "needs cc, c++" in message and "apt-get install -y gcc g++" in message
    assert "BENCHLAB_LLAMA_SERVER" in message
    assert not (cache / SERVER_DIR).exists()
    assert [p.name for p in cache.iterdir()] == ["locks"]  # no half-made build left behind


def test_cmake_and_ninja_come_from_pypi_when_the_system_lacks_them(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real pip install of the cmake and ninja wheels into the cache, then both run from it."""
    from benchlab.plugins.backends.llama.llama_build import TOOLS_DIR, build_environment
    from benchlab.plugins.backends.llama.setup_progress import SetupProgress

    cache = clean_env / "cache"
    no_tools = clean_env / "bin"
    no_tools.mkdir()
    for tool in ("cc", "c++", "sh"):  # compilers "present", cmake and ninja not
        (no_tools / tool).symlink_to("/bin/true" if tool != "sh" else "/bin/sh")
    monkeypatch.setenv("PATH", str(no_tools))
    log = io.StringIO()
    with SetupProgress(stream=io.StringIO()) as progress:
        env = build_environment(cache, progress, log, clean_env / "log.txt")
    for tool in ("cmake", "ninja"):
        found = shutil.which(tool, path=env["PATH"])
        assert found is not None and found.startswith(str(cache / TOOLS_DIR)), tool
        done = subprocess.run([found, "--version"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.strip(), done.stderr


# --- the lock ---------------------------------------------------------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from benchlab.cache import CacheLock
lock = CacheLock.named(Path(sys.argv[1]), sys.argv[2])
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
if len(sys.argv) > 3:
    target = Path(sys.argv[3]); target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("#!/bin/sh\\nexit 0\\n"); target.chmod(0o755)
lock.release()
print("released", flush=True)
time.sleep(30)
"""


def hold_lock(cache: Path, name: str, *extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(cache), name, *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_lock_excludes_another_process_and_dies_with_it(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path, "thing")
    try:
        waits: list[str] = []
        started = time.monotonic()
        with pytest.raises(BenchlabError, match="another benchlab process"):
            CacheLock.named(tmp_path, "thing", timeout_s=0.6, on_wait=waits.append).acquire()
        assert time.monotonic() - started >= 0.6
        assert len(waits) == 1 and "waiting for another benchlab process" in waits[0]
        with CacheLock.named(tmp_path, "other", timeout_s=0.1):  # a different name is not blocked
            pass
    finally:
        holder.kill()
        holder.wait()
    # The kernel drops a dead holder's lock: no stale lock to clean up by hand.
    with CacheLock.named(tmp_path, "thing", timeout_s=2):
        assert (tmp_path / "locks" / "thing.lock").read_text().strip() == str(os.getpid())


def test_ensure_server_waits_for_a_build_in_progress_then_uses_it(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds the build lock and installs the binary; we must not build again.

    PATH is emptied so that a build attempt would fail loudly.
    """
    cache = clean_env / "cache"
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", str(cache))
    target = cached_server_path(cache)
    holder = hold_lock(cache, SERVER_DIR, str(target))
    empty_bin = clean_env / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    outcome: dict[str, object] = {}

    def call() -> None:
        try:
            outcome["path"] = ensure_server(progress=SetupProgress(io.StringIO(), rich=False))
        except BaseException as exc:  # report it to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=call)
    worker.start()
    try:
        time.sleep(0.5)
        assert worker.is_alive(), f"ensure_server did not wait for the lock: {outcome}"
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()
        worker.join(timeout=10)
    finally:
        holder.kill()
        holder.wait()
    assert outcome == {"path": target}


# --- ports --------------------------------------------------------------------------


def test_free_port_is_bindable_and_port_in_use_sees_listeners() -> None:
    port = free_port()
    assert not port_in_use(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert port_in_use(port)
    assert not port_in_use(port)


def test_requested_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        server = LlamaServer(stand_in_binary(tmp_path), tmp_path / "m.gguf", alias="x", log_dir=tmp_path, port=busy)
        with pytest.raises(BenchlabError, match=f"port {busy} .* is in use"):
            server.start()
        assert server.process is None


# --- start and stop (stand-in server) ---------------------------------------------


def test_start_waits_through_503_then_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real llama-server loads SmolLM2 too fast (0.35 s) to see its 503 phase; a stand-in does."""
    monkeypatch.setenv("STAND_IN_LOADING_S", "1.0")
    server = LlamaServer(stand_in_binary(tmp_path), tmp_path / "m.gguf", alias="x", log_dir=tmp_path / "logs")
    started = time.monotonic()
    url = server.start(timeout_s=20)
    assert time.monotonic() - started >= 1.0
    with urllib.request.urlopen(url + "/health", timeout=2) as reply:
        assert reply.status == 200
    assert "--alias" in server.command(1) and "-c" in server.command(1)
    pid = server.pid
    assert pid is not None and pid_alive(pid)
    server.stop()
    assert not pid_alive(pid)
    assert server.log_path is not None and "listening on 127.0.0.1" in server.log_path.read_text()
    server.stop()  # a second stop is harmless


def test_stop_kills_a_server_that_ignores_sigterm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real llama-server honours SIGTERM, so the kill path needs a stand-in that does not."""
    monkeypatch.setenv("STAND_IN_IGNORE_TERM", "1")
    server = LlamaServer(stand_in_binary(tmp_path), tmp_path / "m.gguf", alias="x", log_dir=tmp_path / "logs")
    server.start(timeout_s=20)
    pid = server.pid
    assert pid is not None
    started = time.monotonic()
    server.stop(grace_s=0.5)
    assert 0.5 <= time.monotonic() - started < 5
    assert not pid_alive(pid)
    assert server.process is not None and server.process.returncode == -signal.SIGKILL


def test_not_ready_in_time_stops_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAND_IN_LOADING_S", "60")
    server = LlamaServer(stand_in_binary(tmp_path), tmp_path / "m.gguf", alias="x", log_dir=tmp_path / "logs")
    with pytest.raises(BenchlabError, match="did not become ready within 1s"):
        server.start(timeout_s=1)
    assert server.pid is not None and not pid_alive(server.pid)


def test_a_port_lost_to_another_process_is_retried_on_a_new_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A race between picking a free port and binding it cannot be staged with the real
    server on demand; the stand-in fails its first bind the way llama-server does."""
    monkeypatch.setenv("STAND_IN_BIND_FAILS_ONCE", str(tmp_path / "failed-once"))
    server = LlamaServer(stand_in_binary(tmp_path), tmp_path / "m.gguf", alias="x", log_dir=tmp_path / "logs")
    first_port = None

    async def start() -> None:
        nonlocal first_port
        server.launch()
        first_port = server.port
        await server.wait_ready_async(timeout_s=20)

    try:
        asyncio.run(start())
        assert (tmp_path / "failed-once").exists()
        assert server._attempts == 2 and server.port != first_port
        with urllib.request.urlopen(server.base_url + "/health", timeout=2) as reply:
            assert reply.status == 200
    finally:
        server.stop()


def test_a_server_that_exits_at_once_is_reported_with_its_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A requested port that fails to bind is not retried: the error quotes the server's log."""
    monkeypatch.setenv("STAND_IN_BIND_FAILS_ONCE", str(tmp_path / "failed-once"))
    server = LlamaServer(stand_in_binary(tmp_path), tmp_path / "m.gguf", alias="x", log_dir=tmp_path / "logs", port=free_port())
    with pytest.raises(BenchlabError, match=r"exited with code 1 before it was ready: .*couldn't bind .*\(log: "):
        server.start(timeout_s=20)


def test_a_binary_that_cannot_run_is_one_clear_error(tmp_path: Path) -> None:
    not_a_program = make_executable(tmp_path / "llama-server", "\x7fELF but not really")
    server = LlamaServer(not_a_program, tmp_path / "m.gguf", alias="x", log_dir=tmp_path / "logs")
    with pytest.raises(BenchlabError, match=r"cannot run .*llama-server: Exec format error"):
        server.start()
    assert server.process is None


def test_server_logs_are_pruned(tmp_path: Path) -> None:
    from benchlab.plugins.backends.llama.llama_server import LOGS_KEPT, new_log_path

    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(LOGS_KEPT + 5):
        (logs / f"llama-server-old-{n}.log").write_text("x")
    new_log_path(logs, 1234)
    assert len(list(logs.glob("llama-server-*.log"))) == LOGS_KEPT - 1


# --- progress ---------------------------------------------------------------------


def test_plain_progress_turns_step_counter_into_sparse_lines() -> None:
    out = io.StringIO()
    progress = SetupProgress(out, rich=False)
    progress.phase("building llama-server")
    for step in range(1, 207):
        progress.count(step, 206)
    progress.done("built")
    lines = out.getvalue().splitlines()
    assert lines[0] == "benchlab: building llama-server"
    counted = [l for l in lines if "/206 (" in l]
    assert 9 <= len(counted) <= 12
    assert counted[-1].startswith("benchlab: building llama-server: 206/206 (100%")
    assert lines[-1] == "benchlab: built"


# --- the real server -----------------------------------------------------------------


@pytest.mark.llama
def test_real_server_with_a_broken_model_fails_with_its_log_lines(llama_paths: tuple[Path, Path], tmp_path: Path) -> None:
    binary, _ = llama_paths
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"this is not a gguf file" * 100)
    server = LlamaServer(binary, bad, alias="x", log_dir=tmp_path / "logs")
    with pytest.raises(BenchlabError) as caught:
        server.start(timeout_s=30)
    message = str(caught.value)
    assert "llama-server exited with code" in message and "log:" in message
    assert "\n" not in message
    assert server.pid is not None and not pid_alive(server.pid)


@pytest.mark.llama
def test_local_backend_starts_answers_and_leaves_no_process(
    llama_paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchlab.model import ChatRequest
    from benchlab.plugins.backends.llama.local_backend import LOCAL_MAX_TOKENS, LOCAL_SLOTS, SMOKE_TEST_NOTICE, LocalBackend

    binary, model = llama_paths
    backend = LocalBackend(BackendOptions(settings={"server_binary": str(binary), "model_file": str(model)}))
    assert backend.default_concurrency == LOCAL_SLOTS and backend.default_max_tokens == LOCAL_MAX_TOKENS
    assert backend.answer_token_limit == LOCAL_MAX_TOKENS and backend.shares_decoding
    assert backend.notice == SMOKE_TEST_NOTICE and backend.warnings == []

    async def scenario() -> tuple[dict, str, int]:
        try:
            probe = await backend.start()
            pid = backend.server_pid
            assert pid is not None and pid_alive(pid)
            reply = await backend.chat(
                ChatRequest(scenario="t/1", messages=[{"role": "user", "content": "Say hi."}], model=backend.model,
                            max_tokens=8, sampling={"temperature": 0})
            )
            return probe, reply.content, pid
        finally:
            await backend.aclose()

    probe, content, pid = asyncio.run(scenario())
    assert not pid_alive(pid)
    assert probe["models"] == ["smollm2-135m-instruct"] and probe["model_listed"] is True
    assert probe["slots"] == LOCAL_SLOTS and probe["context_size"] == 8192
    assert probe["server_kind"] == "llama.cpp (local)" and Path(probe["server_log"]).is_file()
    assert content.strip()
    assert backend.endpoint_label is not None and backend.endpoint_label.startswith("http://127.0.0.1:")


@pytest.mark.llama
def test_local_setup_and_serve_commands(llama_paths: tuple[Path, Path], tmp_path: Path) -> None:
    """``local setup --json`` reports the cached files; ``local serve`` serves until SIGINT, then stops its server."""
    binary, model = llama_paths
    setup = subprocess.run(
        [sys.executable, "-m", "benchlab", "local", "setup", "--json", "--server-binary", str(binary), "--model-file", str(model)],
        capture_output=True, text=True, timeout=60,
    )
    assert setup.returncode == 0, setup.stderr
    info = json.loads(setup.stdout)
    assert info["server"] == str(binary) and info["model"] == str(model) and info["schema_version"] == SCHEMA_VERSION

    serve = subprocess.Popen(
        [sys.executable, "-m", "benchlab", "local", "serve", "--server-binary", str(binary), "--model-file", str(model), "--slots", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        second = serve.stdout.readline()
        assert first.startswith("serving smollm2-135m-instruct at http://127.0.0.1:"), first + serve.stderr.read() if serve.stderr else ""
        url = second.split("--endpoint ", 1)[1].strip()
        with urllib.request.urlopen(url + "/health", timeout=5) as reply:
            assert reply.status == 200
        servers = child_pids(serve.pid)
        assert len(servers) == 1
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=15) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    assert not pid_alive(servers[0])
