"""Running a ``llama-server`` process: free port, readiness, logs, and a sure stop.

The server runs in its own session so that a Ctrl-C meant for benchlab does not
reach it half-way; benchlab stops it itself (terminate, then kill). On Linux the
kernel also sends it SIGTERM if benchlab dies without cleaning up.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from typing import IO, Any

from benchlab.errors import BenchlabError

HOST = "127.0.0.1"
DEFAULT_SLOTS = 4
# SmolLM2's trained context; -c is shared by the slots, so each gets c / np.
DEFAULT_CTX_PER_SLOT = 8192
# How the embedded default runs it (`benchlab run`, `benchlab local serve`): 8 slots sharing one
# KV cache of this many tokens (each still gets at most DEFAULT_CTX_PER_SLOT): the memory of 4 full
# slots, about 870 MB, rather than 8 (benchmarks/setup/RESULTS.md has the measurements).
EMBEDDED_SLOTS = 8
EMBEDDED_SHARED_CTX = 32768
READY_TIMEOUT_S = 120.0
STOP_GRACE_S = 5.0
LOGS_KEPT = 20
_PORT_RETRIES = 3


class _PortTaken(Exception):
    """The server lost its port to another process before it could bind it."""


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent thread dies (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def new_log_path(log_dir: Path, port: int) -> Path:
    """A fresh log file name; older logs beyond the last ``LOGS_KEPT`` are removed."""
    log_dir.mkdir(parents=True, exist_ok=True)
    old = sorted(log_dir.glob("llama-server-*.log"), key=lambda p: p.stat().st_mtime)
    for stale in old[: max(len(old) - LOGS_KEPT + 1, 0)]:
        stale.unlink(missing_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return log_dir / f"llama-server-{stamp}-{port}.log"


class LlamaServer:
    """One llama-server process on ``127.0.0.1``.

    ``launch`` starts it; ``wait_ready`` (or ``await wait_ready_async``) waits for
    ``/health`` to answer 200; ``stop`` ends it and is safe to call twice.
    """

    def __init__(
        self,
        binary: Path,
        model: Path,
        *,
        alias: str,
        log_dir: Path,
        port: int | None = None,
        slots: int = DEFAULT_SLOTS,
        ctx_per_slot: int = DEFAULT_CTX_PER_SLOT,
        shared_ctx: int | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.binary = Path(binary)
        self.model = Path(model)
        self.alias = alias
        self.log_dir = Path(log_dir)
        self.requested_port = port
        self.port: int | None = None
        self.slots = slots
        self.ctx_per_slot = ctx_per_slot
        self.shared_ctx = shared_ctx
        self.extra_args = list(extra_args or [])
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self._log: IO[bytes] | None = None
        self._attempts = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server has not been launched")
        return f"http://{HOST}:{self.port}"

    def command(self, port: int) -> list[str]:
        return [
            str(self.binary),
            "-m", str(self.model),
            "--alias", self.alias,
            "--host", HOST,
            "--port", str(port),
            *self._context_args(),
            "--no-webui",
            *self.extra_args,
        ]

    def _context_args(self) -> list[str]:
        if self.shared_ctx is None:  # -c is split evenly: each slot gets c / np
            return ["-c", str(self.ctx_per_slot * self.slots), "-np", str(self.slots)]
        # One KV cache the slots draw on as they need it (llama-server's unified KV), each
        # slot still capped at ctx_per_slot: many short requests at once cost no more
        # memory than a few long ones.
        return ["-c", str(self.shared_ctx), "-np", str(self.slots), "--kv-unified", "--kv-unified-per-slot", str(self.ctx_per_slot)]

    def launch(self) -> None:
        """Start the process (returns at once; call ``wait_ready`` next)."""
        if self.requested_port is not None:
            if port_in_use(self.requested_port):
                raise BenchlabError(f"port {self.requested_port} on {HOST} is in use; pick another with --port")
            port = self.requested_port
        else:
            port = free_port()
        self.port = port
        self.log_path = new_log_path(self.log_dir, port)
        self._log = self.log_path.open("wb")
        self._attempts += 1
        env = dict(os.environ)
        # OpenMP threads spin while idle by default. On a shared 2-core machine a
        # spinning server starves everything else and itself: measured here under
        # load, decode fell to 2 tokens/s spinning versus 30-60 with passive waits.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            self.process = subprocess.Popen(
                self.command(port),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        except OSError as exc:
            self._close_log()
            raise BenchlabError(f"cannot run {self.binary}: {exc.strerror or exc}") from None
        _LIVE.add(self)

    def _check(self) -> bool:
        """True when ready; raise ``_PortTaken`` or BenchlabError when the process has exited."""
        assert self.process is not None
        code = self.process.poll()
        if code is not None:
            self._close_log()
            if self.requested_port is None and "bind" in self.log_tail(20).lower() and self._attempts < _PORT_RETRIES:
                raise _PortTaken  # another process took the free port between our probe and the bind
            raise BenchlabError(
                f"llama-server exited with code {code} before it was ready: {self.log_tail(3, joiner=' | ')} "
                f"(log: {self.log_path})"
            )
        try:
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as reply:
                return bool(reply.status == 200)
        except urllib.error.HTTPError:  # 503 while the model loads
            return False
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    # Relaunches happen in the caller's thread, never in a polling worker thread:
    # the kernel's parent-death signal follows the thread that started the child.
    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self._check():
                    return
            except _PortTaken:
                self.launch()
            if time.monotonic() > deadline:
                self._not_ready(timeout_s)
            time.sleep(0.05)

    async def wait_ready_async(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if await asyncio.to_thread(self._check):
                    return
            except _PortTaken:
                self.launch()
            if time.monotonic() > deadline:
                self._not_ready(timeout_s)
            await asyncio.sleep(0.05)

    def _not_ready(self, timeout_s: float) -> None:
        tail = self.log_tail(3, joiner=" | ")
        self.stop()
        raise BenchlabError(f"llama-server did not become ready within {timeout_s:g}s: {tail} (log: {self.log_path})")

    def start(self, timeout_s: float = READY_TIMEOUT_S) -> str:
        """Launch and wait until ready; return the base URL. Stops the process on failure."""
        try:
            self.launch()
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def log_tail(self, lines: int = 5, *, joiner: str = "\n") -> str:
        if self.log_path is None or not self.log_path.is_file():
            return "(no log)"
        if self._log is not None:
            self._log.flush()
        with self.log_path.open("r", encoding="utf-8", errors="replace") as handle:
            tail = deque((l.rstrip() for l in handle if l.strip()), maxlen=lines)
        return joiner.join(tail) or "(empty log)"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``; reap the process."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            self._signal(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGKILL)
                proc.wait()
        elif proc is not None:
            proc.poll()
        self._close_log()
        _LIVE.discard(self)

    @staticmethod
    def _signal(proc: subprocess.Popen[Any], sig: int) -> None:
        # Its own session: the group holds the server and anything it spawned.
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Servers still running when the interpreter exits (an unexpected path out) are stopped.
_LIVE: set[LlamaServer] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_LIVE):
        server.stop(grace_s=2.0)
