"""The sandbox contract: what a sandbox is asked to do and what it answers.

Requests, limits, results and the ``Sandbox`` base class are core's; providers are
plugins (``register_sandboxes``) that subclass ``Sandbox``, implement ``_execute``
and declare their ``rank`` (lower is preferred when none is asked for) and the
``toolchains`` their image offers. Verifiers and drivers import this module only.
"""

from __future__ import annotations

import abc
import asyncio
import enum
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any, Callable, NamedTuple

import attrs

MiB = 1024 * 1024
GiB = 1024 * MiB
# Where the work dir appears inside every sandbox; the root filesystem ships the directory.
WORKDIR = "/box"


class SandboxFailure(str, enum.Enum):
    """The sandbox itself failed (not the program). Values match ``benchlab.model.FailureMode``."""

    ERROR = "sandbox_error"
    TIMEOUT = "sandbox_timeout"
    UNAVAILABLE = "sandbox_unavailable"


class KilledReason(str, enum.Enum):
    """Why the program was stopped, when the sandbox can tell."""

    TIMEOUT = "timeout"  # hit its wall-clock limit
    OOM = "oom"  # the kernel's OOM killer, under the memory limit
    PIDS = "pids"  # it ran into the process limit (forks failed) and died
    OUTPUT_CAP = "output_cap"  # it wrote more than the output cap
    CANCELLED = "cancelled"  # the caller gave up (Ctrl-C, task cancelled)


class Availability(NamedTuple):
    """Whether a provider can run here; ``fix`` is the command or step that would make it work."""

    ok: bool
    reason: str
    fix: str = ""


@attrs.frozen
class Limits:
    """Resource limits for one execution. Defaults suit a unit-test run of model-written code."""

    wall_seconds: float = 10.0
    memory_bytes: int = 1 * GiB
    pids: int = 64
    cpus: float = 1.0
    output_bytes: int = 1 * MiB  # per stream (stdout, stderr)
    tmp_bytes: int = 64 * MiB  # size of the private /tmp
    workdir_bytes: int = 256 * MiB  # size of the work dir (a tmpfs: docker's own, bwrap's mounted by root)
    file_bytes: int = 64 * MiB  # largest file the program may write (RLIMIT_FSIZE)
    open_files: int = 256
    collect_bytes: int = 16 * MiB  # how much of the work dir is read back
    collect_files: int = 1000

    def __attrs_post_init__(self) -> None:
        if not self.wall_seconds > 0:
            raise ValueError("limits.wall_seconds must be > 0")
        for name in ("memory_bytes", "pids", "output_bytes", "tmp_bytes", "workdir_bytes", "file_bytes", "open_files"):
            if getattr(self, name) <= 0:
                raise ValueError(f"limits.{name} must be > 0")
        if self.memory_bytes < 16 * MiB:
            raise ValueError("limits.memory_bytes below 16 MiB leaves nothing to run")
        if not self.cpus > 0:
            raise ValueError("limits.cpus must be > 0")


@attrs.frozen
class FileEntry:
    """A file to place in the work dir, with its permission bits."""

    content: bytes | str
    mode: int = 0o644

    def data(self) -> bytes:
        return self.content.encode() if isinstance(self.content, str) else bytes(self.content)


def _check_argv(instance: Any, attribute: Any, value: Any) -> None:
    if not value or not all(isinstance(arg, str) for arg in value):
        raise ValueError("command must be a non-empty list of strings")
    if any("\0" in arg for arg in value):
        raise ValueError("command arguments may not contain NUL")


def _check_files(instance: Any, attribute: Any, value: Mapping[str, Any]) -> None:
    for path in value:
        safe_relative_path(path)


def _check_env(instance: Any, attribute: Any, value: Mapping[str, str]) -> None:
    for name, val in value.items():
        if not name or "=" in name or "\0" in name or not isinstance(val, str) or "\0" in val:
            raise ValueError(f"bad environment variable {name!r}")


def _check_toolchains(instance: Any, attribute: Any, value: frozenset[str]) -> None:
    # Which names exist is each provider's declaration (``Sandbox.toolchains``); a request
    # naming one its sandbox lacks ends as sandbox_unavailable, saying which.
    if not all(isinstance(name, str) and name.strip() for name in value):
        raise ValueError("toolchains must be non-empty names")


def safe_relative_path(path: str) -> PurePosixPath:
    """A work-dir path must be relative and stay inside the work dir."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\0" in path or str(pure) in ("", "."):
        raise ValueError(f"file path {path!r} must be relative and inside the work dir")
    return pure


@attrs.frozen
class ExecRequest:
    """One program to run in a fresh work dir (``/box`` inside the sandbox).

    ``files`` maps a relative path to bytes, text or a ``FileEntry``.
    ``toolchains`` names what the image must provide (``Sandbox.toolchains`` of the provider).
    ``env`` is added to the sandbox's base environment (PATH, HOME=/box, LANG, TMPDIR).
    """

    command: list[str] = attrs.field(converter=list, validator=_check_argv)
    files: Mapping[str, bytes | str | FileEntry] = attrs.field(factory=dict, validator=_check_files)
    stdin: bytes | str | None = None
    toolchains: frozenset[str] = attrs.field(factory=frozenset, converter=frozenset, validator=_check_toolchains)
    limits: Limits = attrs.field(factory=Limits)
    env: Mapping[str, str] = attrs.field(factory=dict, validator=_check_env)
    collect: bool = True  # read the work dir back into ExecResult.files

    def stdin_bytes(self) -> bytes | None:
        if self.stdin is None:
            return None
        return self.stdin.encode() if isinstance(self.stdin, str) else bytes(self.stdin)


@attrs.frozen
class ExecResult:
    """What happened. ``sandbox_failure`` set means the sandbox failed, not the program.

    ``exit_code`` follows the shell's convention (128 + signal for a killed
    program); ``files`` holds the regular files left in the work dir.
    """

    provider: str
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    timed_out: bool = False
    killed_reason: KilledReason | None = None
    hit_pids_limit: bool = False  # a fork failed on the process limit (a fork bomb), whatever came next
    duration_s: float = 0.0
    files: dict[str, bytes] = attrs.field(factory=dict)
    files_truncated: bool = False
    sandbox_failure: SandboxFailure | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """The program ran to completion and exited 0."""
        return self.sandbox_failure is None and self.exit_code == 0 and self.killed_reason is None

    @property
    def truncated(self) -> bool:
        return self.stdout_truncated or self.stderr_truncated

    def file_text(self, path: str) -> str | None:
        data = self.files.get(path)
        return None if data is None else data.decode("utf-8", "replace")

    @classmethod
    def failure(cls, provider: str, failure: SandboxFailure, detail: str, duration_s: float = 0.0) -> ExecResult:
        return cls(provider=provider, exit_code=None, sandbox_failure=failure, detail=detail, duration_s=duration_s)


class RunHandle:
    """Lets another thread stop one execution (asyncio cancellation, Ctrl-C, ``close``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._killer: Callable[[], None] | None = None
        self.cancelled = False

    def set_killer(self, killer: Callable[[], None] | None) -> None:
        with self._lock:
            self._killer = killer
            run_now = self.cancelled and killer is not None
        if run_now:
            killer()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            killer = self._killer
        if killer is not None:
            try:
                killer()
            except Exception:  # the run's own clean-up still happens in its thread
                pass


class Sandbox(abc.ABC):
    """A sandbox provider. ``await run(request)`` from asyncio, ``run_sync`` from threads.

    Both are safe to call concurrently; at most ``max_concurrency`` executions run
    at once, the rest wait their turn. The first run builds what is missing
    (root filesystem, image) unless ``prepare()`` was called before.
    """

    name: str = "?"
    # Lower runs first when no provider is asked for by name (built-ins: docker 10, bwrap 20).
    rank: int = 100
    # Never chosen unless named (``--sandbox NAME``) or as ``--unsafe-local``'s last resort:
    # a provider that confines nothing.
    explicit_only: bool = False

    def __init__(self, max_concurrency: int | None = None) -> None:
        self.max_concurrency = max_concurrency or max(2, os.cpu_count() or 2)
        self._slots = threading.BoundedSemaphore(self.max_concurrency)
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._handles: set[RunHandle] = set()
        self._handles_lock = threading.Lock()
        self._prepared = False
        self._prepare_error: SandboxSetupError | None = None
        self._prepare_lock = threading.Lock()

    @abc.abstractmethod
    def available(self) -> Availability:
        """Whether this provider can run here (answers within a few seconds)."""

    @abc.abstractmethod
    def image_ready(self) -> bool:
        """Whether the root filesystem/image is already built (no build on first run)."""

    @abc.abstractmethod
    def _prepare(self, progress: Callable[[str], None]) -> None:
        """Build what is missing and reap leftovers of dead runs; raise SandboxSetupError."""

    @abc.abstractmethod
    def _execute(self, request: ExecRequest, handle: RunHandle) -> ExecResult:
        """Run one request; never raises for anything the program does."""

    def prepare(self, progress: Callable[[str], None] | None = None) -> None:
        """Build the image if needed (progress lines go to ``progress``, default stderr)."""
        with self._prepare_lock:
            if self._prepare_error is not None:
                # A failed build is not retried on every run: that would cost minutes each time.
                raise self._prepare_error
            if not self._prepared:
                try:
                    self._prepare(progress or _stderr)
                except SandboxSetupError as exc:
                    self._prepare_error = exc
                    raise
                self._prepared = True

    @property
    def toolchains(self) -> frozenset[str]:
        """The toolchains (languages, see ``benchlab.sandbox_programs``) this provider's image offers."""
        return frozenset()

    def run_sync(self, request: ExecRequest, handle: RunHandle | None = None) -> ExecResult:
        handle = handle or RunHandle()
        missing = sorted(request.toolchains - self.toolchains)
        if missing:
            return ExecResult.failure(self.name, SandboxFailure.UNAVAILABLE, f"the {self.name} image has no {', '.join(missing)} toolchain")
        try:
            self.prepare()
        except SandboxSetupError as exc:
            return ExecResult.failure(self.name, exc.failure, str(exc))
        with self._slots:
            with self._handles_lock:
                self._handles.add(handle)
            try:
                if handle.cancelled:
                    return ExecResult.failure(self.name, SandboxFailure.ERROR, "cancelled before it started")
                return self._execute(request, handle)
            except Exception as exc:  # a provider bug is the sandbox's failure, never the program's
                return ExecResult.failure(self.name, SandboxFailure.ERROR, f"{type(exc).__name__}: {exc}")
            finally:
                with self._handles_lock:
                    self._handles.discard(handle)

    async def run(self, request: ExecRequest) -> ExecResult:
        """Run in a worker thread; cancelling the awaiting task kills the program."""
        handle = RunHandle()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool(), self.run_sync, request, handle)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # Killing may block (an engine call, draining a cgroup): never on the event loop.
            threading.Thread(target=handle.cancel, name=f"sandbox-{self.name}-cancel", daemon=True).start()
            raise

    def close(self) -> None:
        """Kill every execution still running; safe to call more than once."""
        with self._handles_lock:
            handles = list(self._handles)
        for handle in handles:
            handle.cancel()
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _pool(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix=f"sandbox-{self.name}")
            return self._executor


class SandboxSetupError(Exception):
    """The sandbox could not be set up (engine error, failed build, missing tool)."""

    def __init__(self, message: str, failure: SandboxFailure = SandboxFailure.ERROR) -> None:
        super().__init__(message)
        self.failure = failure


def _stderr(line: str) -> None:
    import sys

    print(f"benchlab: sandbox: {line}", file=sys.stderr, flush=True)
