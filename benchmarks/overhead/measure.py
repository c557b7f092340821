"""Process measurements for the overhead benchmark: wall time, peak RSS, the server.

Every timestamp is CLOCK_MONOTONIC, the clock the benchmark server stamps requests
with, so "spawn to first request" compares two processes' readings of one clock.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass
class Measured:
    """One child process, spawn to exit."""

    spawned: float
    exited: float
    returncode: int
    maxrss_kb: int
    cpu_s: float
    stdout: Path
    stderr: Path

    @property
    def wall_s(self) -> float:
        return self.exited - self.spawned

    def tail(self, lines: int = 5) -> str:
        text = self.stderr.read_text(errors="replace").strip().splitlines()
        return "\n".join(text[-lines:])


def child_env(pycache: Path) -> dict[str, str]:
    """The environment for measured processes: bytecode caching on, as a user has it.

    A shell with PYTHONDONTWRITEBYTECODE=1 would make every run compile benchlab's
    modules from source; a private PYTHONPYCACHEPREFIX keeps the checkout clean.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_measured(cmd: list[str], logs: Path, name: str, env: dict[str, str] | None = None) -> Measured:
    """Spawn ``cmd`` and reap it with wait4, whose rusage is this child's own peak RSS
    (getrusage(RUSAGE_CHILDREN) would mix in every other child we have reaped).
    By default the child's bytecode cache lives beside ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    env = env if env is not None else child_env(logs.parent / "pycache")
    out_path, err_path = logs / f"{name}.out", logs / f"{name}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        spawned = now()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        exited = now()
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits for it again
    return Measured(spawned, exited, proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, out_path, err_path)


class BenchServer:
    """``server.py`` in its own process, so its CPU time is not the harness's."""

    def __init__(self, latency_ms: float, concurrency: int) -> None:
        cmd = [sys.executable, str(HERE / "server.py"), "--port", "0",
               "--latency-ms", str(latency_ms), "--concurrency", str(concurrency)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.url = line.split(" ", 1)[1]
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def _call(self, method: str, path: str) -> dict[str, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def reset(self) -> None:
        self._call("POST", "/_bench/reset")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_bench/stats")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> BenchServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def benchlab_binary() -> str:
    """The ``benchlab`` console script of this interpreter (not a version-manager shim,
    which would add its own start-up to every number)."""
    beside = Path(sys.executable).parent / "benchlab"
    if beside.is_file():
        return str(beside)
    from shutil import which

    found = which("benchlab")
    if not found:
        raise SystemExit("benchlab is not installed: pip install -e .")
    return found


def interpreter_of(binary: str) -> str:
    """The Python a console script runs with (its shebang), so that ``python -X importtime
    SCRIPT`` or ``python -m cProfile SCRIPT`` imports the same benchlab as the script."""
    try:
        first = Path(binary).read_bytes()[:400].split(b"\n", 1)[0].decode()
    except (OSError, UnicodeDecodeError):
        return sys.executable
    if first.startswith("#!"):
        candidate = first[2:].strip().split()[0]
        if "python" in Path(candidate).name and Path(candidate).exists():
            return candidate
    return sys.executable


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
