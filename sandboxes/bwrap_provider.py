"""Provider ``bwrap``: bubblewrap, for machines where no Docker engine answers.

Each execution runs as its own unprivileged host uid (``UID_BASE + slot``: the
process limit RLIMIT_NPROC counts per uid), in fresh namespaces of every kind
(network included), with the cached root filesystem bound read-only as ``/``
(the host's /etc is never visible), a private /tmp and a per-run work dir. Before
dropping root the launcher joins cgroups that limit memory, pids and CPU, and sets
rlimits; ``timeout -s KILL`` runs inside, and the host kills the process group and
whatever is left in the cgroup at the wall limit plus a grace period.

The chain, all exec'd (no Python ``preexec_fn``, so it is safe from threads):
``sh`` (join cgroups) -> ``prlimit`` -> ``setpriv`` (uid) -> ``bwrap`` -> ``timeout`` -> program.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Callable

from benchlab.sandboxes import cgroups
from benchlab.sandbox import (
    WORKDIR, Availability, ExecRequest, ExecResult, RunHandle, Sandbox, SandboxFailure, SandboxSetupError,
)
from benchlab.sandboxes.cache import try_lock
from benchlab.sandboxes.capture import CappedBuffer
from benchlab.sandboxes.launch import HOST_GRACE_S, SANDBOX_UID, classify, environment, timed_argv
from benchlab.sandboxes.workdir import RunDir
from benchlab.sandboxes.workdir import reap_stale as reap_stale_run_dirs

UID_BASE = 100_000
SLOTS = 64
PROBE_UID = UID_BASE + SLOTS  # used only by available()'s user-namespace probe
SLOT_DIR = Path("/run/benchlab/bwrap-slots")
HOST_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
KILL_SETTLE_S = 5.0
SLOT_WAIT_S = 30.0


class BwrapSandbox(Sandbox):
    """Runs each request under bubblewrap as a private uid, on the cached root filesystem."""

    name = "bwrap"
    rank = 20  # the fallback where no Docker engine answers

    @property
    def toolchains(self) -> frozenset[str]:
        from benchlab.sandboxes.toolchains import rootfs_toolchains

        return rootfs_toolchains()

    def __init__(self, max_concurrency: int | None = None, bwrap_path: str | None = None) -> None:
        super().__init__(max_concurrency)
        self.bwrap_path = bwrap_path
        self._rootfs: Path | None = None
        self._layout: cgroups.Layout | None = None
        self._disable_userns = True
        # Round-robin over the uids: bwrap's namespace init ends as a zombie that the host's init
        # reaps, and a zombie still counts against its uid's RLIMIT_NPROC until then.
        self._next_slot = os.getpid() % SLOTS
        self._slot_lock = threading.Lock()

    # -- availability ---------------------------------------------------------------------

    def _bwrap(self) -> str | None:
        if self.bwrap_path:
            return self.bwrap_path if os.access(self.bwrap_path, os.X_OK) else None
        return shutil.which("bwrap")

    def _host_problem(self) -> tuple[str, str] | None:
        """Why bubblewrap cannot run here, with the fix; None when it can (the root fs aside)."""
        if not sys.platform.startswith("linux"):
            return "bubblewrap needs Linux", "use the docker provider"
        bwrap = self._bwrap()
        if bwrap is None:
            return f"bubblewrap is not installed{f' at {self.bwrap_path}' if self.bwrap_path else ''}", "apt-get install -y bubblewrap"
        if os.geteuid() != 0:
            return ("needs root to give each sandbox its own unprivileged uid and cgroup",
                    "run benchlab as root, or start a Docker engine and use --sandbox docker")
        for tool in ("setpriv", "prlimit"):
            if shutil.which(tool, path=HOST_PATH) is None:
                return f"{tool} is not installed", "apt-get install -y util-linux"
        version = _bwrap_version(bwrap)
        if version is None:
            return f"{bwrap} --version did not answer", "apt-get install --reinstall -y bubblewrap"
        self._disable_userns = version >= (0, 8)
        layout, why = cgroups.detect()
        if layout is None:
            return why, "mount the cgroup memory and pids controllers (v1) or cgroup2 with them enabled"
        problem = cgroups.probe(layout)
        if problem:
            return problem, "run as root on a host whose cgroups are writable (not inside an unprivileged container)"
        self._layout = layout
        userns = _userns_problem(bwrap)
        if userns:
            return userns, "allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=10000"
        return None

    def available(self) -> Availability:
        from benchlab.sandboxes.rootfs import build_problem, tarball_path, unpacked_dir

        problem = self._host_problem()
        if problem is not None:
            return Availability(False, problem[0], problem[1])
        cg = f"cgroup v{self._layout.version}" if self._layout else "cgroups"
        if unpacked_dir().is_dir():
            return Availability(True, f"bubblewrap, {cg}, root filesystem {unpacked_dir()}")
        if tarball_path().is_file():
            return Availability(True, f"bubblewrap, {cg}; the root filesystem is unpacked on first use (about 5 s)")
        build = build_problem()
        if build is None:
            return Availability(True, f"bubblewrap, {cg}; the root filesystem is built on first use (about 2 min) or by `benchlab sandbox build`")
        return Availability(False, f"the root filesystem is missing and {build[0]}", build[1])

    def image_ready(self) -> bool:
        from benchlab.sandboxes.rootfs import unpacked_dir

        return unpacked_dir().is_dir()

    def _prepare(self, progress: Callable[[str], None]) -> None:
        from benchlab.sandboxes.rootfs import ensure_unpacked

        problem = self._host_problem()
        if problem is not None:
            raise SandboxSetupError(f"{problem[0]}; fix: {problem[1]}", SandboxFailure.UNAVAILABLE)
        assert self._layout is not None
        cgroups.reap_stale(self._layout)
        reap_stale_run_dirs()
        self._rootfs = ensure_unpacked(progress)
        SLOT_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)

    # -- one execution --------------------------------------------------------------------

    def _acquire_slot(self, handle: RunHandle) -> tuple[int, int]:
        """(slot, lock fd): a uid no other execution on this machine is using."""
        deadline = time.monotonic() + SLOT_WAIT_S
        while True:
            with self._slot_lock:
                start = self._next_slot
                self._next_slot = (start + 1) % SLOTS
            for offset in range(SLOTS):
                slot = (start + offset) % SLOTS
                fd = try_lock(SLOT_DIR / f"slot-{slot}.lock")
                if fd is not None:
                    return slot, fd
            if time.monotonic() > deadline or handle.cancelled:
                raise SandboxSetupError(f"all {SLOTS} sandbox uids stayed busy for {SLOT_WAIT_S:g} s")
            time.sleep(0.05)

    def _execute(self, request: ExecRequest, handle: RunHandle) -> ExecResult:
        assert self._layout is not None and self._rootfs is not None
        try:
            slot, lock_fd = self._acquire_slot(handle)
        except SandboxSetupError as exc:
            return ExecResult.failure(self.name, SandboxFailure.ERROR, str(exc))
        uid = UID_BASE + slot
        run_dir: RunDir | None = None
        group: cgroups.Cgroup | None = None
        try:
            run_dir = RunDir(uid, request.limits)
            run_dir.write_files(request.files)
            try:
                group = cgroups.Cgroup.create(self._layout, request.limits)
            except OSError as exc:
                return ExecResult.failure(self.name, SandboxFailure.ERROR, f"cannot create the run's cgroup: {exc}")
            stdin_data = request.stdin_bytes()
            stdin_path = run_dir.write_stdin(stdin_data) if stdin_data is not None else None
            return self._launch(request, handle, uid, run_dir, group, stdin_path)
        finally:
            handle.set_killer(None)
            clean = True
            if group is not None:
                clean = group.kill_all() and group.remove()
            if run_dir is not None:
                run_dir.remove()
            if clean:
                os.close(lock_fd)
            # else: keep the slot locked for the rest of this process: its uid may still own processes.

    def _argv(self, request: ExecRequest, uid: int, run_dir: RunDir, group: cgroups.Cgroup, status_fd: int) -> list[str]:
        limits = request.limits
        files = group.procs_files
        join = " && ".join(f'echo $$ > "${index + 1}"' for index in range(len(files)))
        # Under memory pressure on the host, the sandbox is the first thing the kernel kills.
        script = f'echo 1000 > /proc/self/oom_score_adj && {join} && shift {len(files)} && exec "$@"'
        cpu_seconds = int(limits.wall_seconds * max(limits.cpus, 1.0)) + 2
        # The pids cgroup is the limit that binds (and is reported); RLIMIT_NPROC is a looser backstop
        # with room for zombies of earlier runs on this uid that the host's init has not reaped yet.
        nproc = limits.pids + 64
        bwrap = [
            self._bwrap() or "bwrap",
            "--unshare-all", "--unshare-user", *(["--disable-userns"] if self._disable_userns else []),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox",
            "--ro-bind", str(self._rootfs), "/",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
            "--bind", str(run_dir.box), WORKDIR, "--chdir", WORKDIR,
            "--json-status-fd", str(status_fd),
            "--clearenv",
        ]
        for key, value in environment(request).items():
            bwrap += ["--setenv", key, value]
        return [
            "/bin/sh", "-c", script, "sh", *files,
            "prlimit", f"--nproc={nproc}", f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}",
            "--core=0", f"--cpu={cpu_seconds}", "--",
            "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs", "--",
            *bwrap, "--", *timed_argv(request),
        ]

    def _launch(
        self, request: ExecRequest, handle: RunHandle, uid: int, run_dir: RunDir, group: cgroups.Cgroup, stdin_path: Path | None,
    ) -> ExecResult:
        limits = request.limits
        status_read, status_write = os.pipe()
        stdin: IO[bytes] | int = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            started = time.monotonic()
            proc = subprocess.Popen(
                self._argv(request, uid, run_dir, group, status_write),
                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_write,),
                start_new_session=True, cwd="/", env={"PATH": HOST_PATH},
            )
        except OSError:
            os.close(status_read)
            raise
        finally:
            os.close(status_write)
            if not isinstance(stdin, int):
                stdin.close()

        def kill() -> None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            group.kill_all(within_s=1.0)

        handle.set_killer(kill)
        pump = _Pump(limits.output_bytes, kill)
        pump.run(proc, deadline=started + limits.wall_seconds + HOST_GRACE_S)
        duration = time.monotonic() - started
        if proc.poll() is None:
            kill()
            try:
                proc.wait(timeout=KILL_SETTLE_S)
            except subprocess.TimeoutExpired:
                os.close(status_read)
                return ExecResult.failure(self.name, SandboxFailure.TIMEOUT, "bubblewrap did not stop after SIGKILL", duration)
        status = _read_status(status_read)
        if "child-pid" not in status and not handle.cancelled:
            detail = pump.stderr.text().strip().splitlines()
            return ExecResult.failure(self.name, SandboxFailure.ERROR,
                                      f"bubblewrap failed to start the sandbox: {detail[-1] if detail else f'exit {proc.returncode}'}", duration)
        code = proc.returncode
        exit_code = 128 - code if code < 0 else code
        timed_out, killed = classify(
            request, exit_code=exit_code, duration_s=duration, host_killed_at_deadline=pump.deadline_hit,
            output_capped=pump.capped, oom=group.oom_killed(), pids_hit=group.pids_hit(), cancelled=handle.cancelled,
        )
        files, files_truncated = run_dir.collect(limits) if request.collect else ({}, False)
        return ExecResult(
            provider=self.name, exit_code=exit_code, stdout=pump.stdout.text(), stderr=pump.stderr.text(),
            stdout_truncated=pump.stdout.truncated, stderr_truncated=pump.stderr.truncated, timed_out=timed_out,
            killed_reason=killed, hit_pids_limit=group.pids_hit(), duration_s=round(duration, 4),
            files=files, files_truncated=files_truncated,
        )


class _Pump:
    """Reads stdout and stderr until the process is gone: caps output, kills at the deadline."""

    def __init__(self, cap: int, kill: Callable[[], None]) -> None:
        self.stdout = CappedBuffer(cap)
        self.stderr = CappedBuffer(cap)
        self._kill = kill
        self.capped = False
        self.deadline_hit = False
        self.host_killed = False

    def _stop(self) -> None:
        self.host_killed = True
        self._kill()

    def run(self, proc: subprocess.Popen[bytes], deadline: float) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ, self.stdout)
        selector.register(proc.stderr, selectors.EVENT_READ, self.stderr)
        give_up = float("inf")
        try:
            while True:
                now = time.monotonic()
                if now >= deadline and not self.host_killed:
                    self.deadline_hit = True
                    self._stop()
                exited = proc.poll() is not None
                if not selector.get_map():
                    if exited:
                        return
                    try:
                        proc.wait(timeout=max(0.01, min(deadline, give_up, now + 0.1) - now))
                    except subprocess.TimeoutExpired:
                        pass
                    continue
                if (exited or self.host_killed) and give_up == float("inf"):
                    # The namespace dies with bwrap; pipes still open after this are not worth waiting for.
                    give_up = now + (1.0 if exited else KILL_SETTLE_S)
                if now >= give_up:
                    return
                for key, _ in selector.select(timeout=max(0.0, min(deadline, give_up, now + 0.1) - now)):
                    data = os.read(key.fd, 1 << 16)
                    if not data:
                        selector.unregister(key.fileobj)
                        continue
                    if key.data.add(data) and not self.capped:
                        self.capped = True
                        self._stop()
        finally:
            selector.close()
            proc.stdout.close()
            proc.stderr.close()


def _read_status(fd: int) -> dict[str, object]:
    """bwrap's --json-status-fd lines ({"child-pid": N}, then {"exit-code": N}), merged."""
    merged: dict[str, object] = {}
    with os.fdopen(fd, "rb") as stream:
        for line in stream.read().decode(errors="replace").splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                merged.update(value)
    return merged


def _bwrap_version(bwrap: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=3).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def _userns_problem(bwrap: str) -> str:
    """Empty when an unprivileged uid can create bubblewrap's namespaces here."""
    argv = [
        "setpriv", f"--reuid={PROBE_UID}", f"--regid={PROBE_UID}", "--clear-groups", "--no-new-privs", "--",
        bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
        "--", "/usr/bin/true",
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, cwd="/", env={"PATH": HOST_PATH})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap probe failed: {exc}"
    if done.returncode != 0:
        return f"bubblewrap cannot create namespaces as an unprivileged uid: {done.stderr.strip()[:200]}"
    return ""
