"""Provider ``unsafe-local``: model-written code runs UNCONFINED on this host.

It runs only with ``--unsafe-local``: as the last resort when neither docker nor
bwrap can run, or when named with ``--sandbox unsafe-local --unsafe-local``;
automatic selection never picks it otherwise (``explicit_only``). The program sees the host's files, network and processes,
as the user running benchlab. What it does give: a fresh work dir mounted at
``/box`` (every verifier's harness expects that path; bubblewrap provides the
mount namespace, with nothing else unshared), the wall-clock kill of the whole
process group, the output cap and the file-size rlimit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from typing import Callable

from benchlab.sandbox import WORKDIR, Availability, ExecRequest, ExecResult, KilledReason, RunHandle, Sandbox
from benchlab.sandboxes.capture import CappedBuffer
from benchlab.sandboxes.launch import HOST_GRACE_S, KILLED_EXIT, environment, timed_argv
from benchlab.sandboxes.toolchains import TOOLCHAINS
from benchlab.sandboxes.workdir import RunDir


class UnsafeLocalSandbox(Sandbox):
    """The host itself, with a private /box and a clock: for machines where no sandbox runs."""

    name = "unsafe-local"
    explicit_only = True

    def available(self) -> Availability:
        if shutil.which("bwrap") is None:
            return Availability(False, "bubblewrap is not installed (it mounts the work dir at /box)", "apt-get install -y bubblewrap")
        return Availability(True, "runs model-written code UNCONFINED on this host (--unsafe-local)")

    def image_ready(self) -> bool:
        return True

    def _prepare(self, progress: Callable[[str], None]) -> None:
        progress("--unsafe-local: model-written code will run UNCONFINED on this host")

    @property
    def toolchains(self) -> frozenset[str]:
        """Whatever the host has on PATH."""
        return frozenset(name for name, t in TOOLCHAINS.items()
                         if shutil.which(t.version_command[0]) and (t.requires_file is None or os.path.exists(t.requires_file)))

    def _execute(self, request: ExecRequest, handle: RunHandle) -> ExecResult:
        run_dir = RunDir(None, request.limits)
        try:
            run_dir.write_files(request.files)
            stdin = request.stdin_bytes()
            argv = [
                "bwrap", "--dev-bind", "/", "/", "--bind", str(run_dir.box), WORKDIR, "--chdir", WORKDIR,
                "--die-with-parent", "--", *timed_argv(request),
            ]
            return self._run(argv, request, handle, stdin, run_dir)
        finally:
            run_dir.remove()

    def _run(self, argv: list[str], request: ExecRequest, handle: RunHandle, stdin: bytes | None, run_dir: RunDir) -> ExecResult:
        limits = request.limits
        env = {**os.environ, **environment(request)}
        started = time.monotonic()
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _file_size_limit(limits.file_bytes),
        )

        def kill() -> None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        handle.set_killer(kill)
        buffers = [CappedBuffer(limits.output_bytes), CappedBuffer(limits.output_bytes)]
        capped = threading.Event()

        def pump(stream, buffer: CappedBuffer) -> None:
            for chunk in iter(lambda: stream.read1(65536), b""):
                if buffer.add(chunk):
                    capped.set()
                    kill()

        pumps = [threading.Thread(target=pump, args=(s, b), daemon=True) for s, b in zip((process.stdout, process.stderr), buffers)]
        for thread in pumps:
            thread.start()
        if stdin is not None:
            try:
                process.stdin.write(stdin)
                process.stdin.close()
            except BrokenPipeError:
                pass
        deadline_hit = False
        try:
            process.wait(timeout=limits.wall_seconds + HOST_GRACE_S)
        except subprocess.TimeoutExpired:
            deadline_hit = True
            kill()
            process.wait()
        kill()  # nothing the program started outlives it
        for thread in pumps:
            thread.join(timeout=5)
        duration = time.monotonic() - started
        exit_code = process.returncode if process.returncode >= 0 else 128 - process.returncode
        timed_out = deadline_hit or (exit_code == KILLED_EXIT and duration >= limits.wall_seconds - 0.05 and not capped.is_set())
        reason = KilledReason.CANCELLED if handle.cancelled else KilledReason.OUTPUT_CAP if capped.is_set() else KilledReason.TIMEOUT if timed_out else None
        files, files_truncated = run_dir.collect(limits) if request.collect else ({}, False)
        return ExecResult(
            provider=self.name,
            exit_code=exit_code,
            stdout=buffers[0].text(),
            stderr=buffers[1].text(),
            stdout_truncated=buffers[0].truncated,
            stderr_truncated=buffers[1].truncated,
            timed_out=timed_out,
            killed_reason=reason,
            duration_s=round(duration, 3),
            files=files,
            files_truncated=files_truncated,
        )


def _file_size_limit(size: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
