"""Provider ``docker``: one hardened, throw-away container per execution (docker SDK).

No network, read-only root, a size-capped /tmp, the work dir bind-mounted from a
per-run host directory, uid 65534, no capabilities, no-new-privileges, an init,
memory (= memory + swap), CPU and pids limits, ulimits, ``timeout -s KILL`` inside
and a watchdog outside. Containers carry the label ``benchlab.sandbox=1`` and
the owner's host:pid; leftovers of dead owners are removed at start, our own at exit.
"""

from __future__ import annotations

import atexit
import os
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable

from benchlab.sandboxes.api import (
    WORKDIR, Availability, ExecRequest, ExecResult, RunHandle, Sandbox, SandboxFailure, SandboxSetupError,
)
from benchlab.sandboxes.cache import pid_alive
from benchlab.sandboxes.capture import CappedBuffer, DockerFrames
from benchlab.sandboxes.launch import HOST_GRACE_S, KILLED_EXIT, SANDBOX_UID, classify, environment, timed_argv
from benchlab.sandboxes.workdir import RunDir
from benchlab.sandboxes.workdir import reap_stale as reap_stale_run_dirs

LABEL = "benchlab.sandbox"
OWNER_LABEL = "benchlab.owner"
ENGINE_FIX = "start the Docker engine (e.g. `sudo systemctl start docker`), or use --sandbox bwrap"
# If the container is still streaming this long after we killed it, the engine is the problem.
KILL_SETTLE_S = 10.0


class DockerSandbox(Sandbox):
    """Runs each request in a fresh container from the ``benchlab-sandbox:<recipe>`` image."""

    name = "docker"

    def __init__(self, max_concurrency: int | None = None, base_url: str | None = None) -> None:
        super().__init__(max_concurrency)
        self.base_url = base_url
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._api: Any = None
        self._image = ""
        self._containers: set[str] = set()
        self._containers_lock = threading.Lock()
        # Removing a finished container takes ~90 ms of engine time: done off the caller's path.
        self._cleaner = ThreadPoolExecutor(2, thread_name_prefix="sandbox-docker-cleanup")

    # -- engine ---------------------------------------------------------------------------

    def _make_api(self, timeout: float) -> Any:
        import docker

        pool = self.max_concurrency * 2 + 4
        if self.base_url:
            return docker.DockerClient(base_url=self.base_url, timeout=timeout, max_pool_size=pool).api
        return docker.from_env(timeout=timeout, max_pool_size=pool).api

    def _engine(self, timeout: float = 3) -> tuple[Any, str]:
        """(api, "") when an engine answers within ``timeout`` seconds, else (None, why)."""
        try:
            import docker.errors
            import requests.exceptions
        except ImportError:
            return None, "the docker Python package is not installed"
        try:
            api = self._make_api(timeout)
            api.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return None, f"no Docker engine answers ({first_line[:160]})"
        return api, ""

    def available(self) -> Availability:
        from benchlab.sandboxes.docker_image import image_present, image_tag
        from benchlab.sandboxes.rootfs import build_problem, tarball_path

        api, why = self._engine()
        if api is None:
            fix = "pip install docker" if "package" in why else ENGINE_FIX
            return Availability(False, why, fix)
        tag = image_tag()
        if image_present(api):
            return Availability(True, f"engine answers; image {tag} present")
        if tarball_path().is_file():
            return Availability(True, f"engine answers; image {tag} is imported from the cached root filesystem on first use (about 20 s)")
        problem = build_problem()
        if problem is None:
            return Availability(True, f"engine answers; image {tag} is built on first use (about 2 min) or by `benchlab sandbox build`")
        return Availability(False, f"engine answers but image {tag} is missing and {problem[0]}", problem[1])

    def image_ready(self) -> bool:
        from benchlab.sandboxes.docker_image import image_present

        api, _ = self._engine()
        return api is not None and image_present(api)

    def _prepare(self, progress: Callable[[str], None]) -> None:
        from benchlab.sandboxes.docker_image import ensure_image

        api, why = self._engine(timeout=30)
        if api is None:
            raise SandboxSetupError(f"{why}; fix: {ENGINE_FIX}", SandboxFailure.UNAVAILABLE)
        self._reap_dead_owners(api)
        reap_stale_run_dirs()
        self._image = ensure_image(self._make_api, progress)
        self._api = api
        atexit.register(self.reap_own)

    # -- containers -----------------------------------------------------------------------

    def _reap_dead_owners(self, api: Any) -> None:
        """Remove labelled containers whose owning process on this host is gone."""
        for container in api.containers(all=True, filters={"label": f"{LABEL}=1"}):
            host, _, pid = (container.get("Labels") or {}).get(OWNER_LABEL, "").rpartition(":")
            if host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid)):
                self._remove(api, container["Id"])

    def reap_own(self) -> None:
        """Kill and remove every container this provider still has (at exit, on close)."""
        with self._containers_lock:
            leftovers = list(self._containers)
        for cid in leftovers:
            self._remove(self._api, cid)
        self._cleaner.shutdown(wait=True)

    def close(self) -> None:
        super().close()
        if self._api is not None:
            self.reap_own()

    @staticmethod
    def _remove(api: Any, cid: str) -> None:
        import docker.errors
        import requests.exceptions

        try:
            api.remove_container(cid, force=True)
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            pass

    def _kill(self, cid: str) -> None:
        import docker.errors
        import requests.exceptions

        try:
            self._api.kill(cid)
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            pass  # already gone, or the engine is in trouble: the caller's deadline handles it

    def _host_config(self, request: ExecRequest, run_dir: RunDir) -> Any:
        from docker.types import LogConfig, Ulimit

        limits = request.limits
        return self._api.create_host_config(
            binds={str(run_dir.box): {"bind": WORKDIR, "mode": "rw"}, str(run_dir.io): {"bind": "/io", "mode": "ro"}},
            network_mode="none",
            read_only=True,
            tmpfs={"/tmp": f"rw,exec,nosuid,nodev,size={limits.tmp_bytes},mode=1777"},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            init=True,
            mem_limit=limits.memory_bytes,
            memswap_limit=limits.memory_bytes,
            nano_cpus=int(min(limits.cpus, os.cpu_count() or 1) * 1e9),
            pids_limit=limits.pids,
            ulimits=[
                Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
                Ulimit(name="fsize", soft=limits.file_bytes, hard=limits.file_bytes),
                Ulimit(name="core", soft=0, hard=0),
            ],
            # Output reaches us through attach; a log driver would only copy it to disk.
            log_config=LogConfig(type="none"),
            ipc_mode="private",
            oom_score_adj=1000,
        )

    # -- one execution --------------------------------------------------------------------

    def _execute(self, request: ExecRequest, handle: RunHandle) -> ExecResult:
        import docker.errors
        import requests.exceptions

        run_dir = RunDir(SANDBOX_UID if os.geteuid() == 0 else None, request.limits)
        cid = ""
        began = time.monotonic()
        try:
            run_dir.write_files(request.files)
            stdin = request.stdin_bytes()
            if stdin is not None:
                run_dir.write_stdin(stdin)
            argv = timed_argv(request, stdin_path="/io/stdin" if stdin is not None else None)
            cid = self._api.create_container(
                image=self._image, command=argv, user=f"{SANDBOX_UID}:{SANDBOX_UID}", working_dir=WORKDIR,
                environment=environment(request), labels={LABEL: "1", OWNER_LABEL: self.owner},
                host_config=self._host_config(request, run_dir), network_disabled=True, hostname="sandbox",
            )["Id"]
            with self._containers_lock:
                self._containers.add(cid)
            handle.set_killer(lambda: self._kill(cid))
            return self._attach_and_run(request, handle, cid, run_dir)
        except requests.exceptions.Timeout as exc:
            return ExecResult.failure(self.name, SandboxFailure.TIMEOUT, f"the Docker engine did not answer in time: {exc}", time.monotonic() - began)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            return ExecResult.failure(self.name, SandboxFailure.ERROR, f"Docker engine error: {exc}", time.monotonic() - began)
        finally:
            handle.set_killer(None)
            try:
                self._cleaner.submit(self._clean_up, cid, run_dir)
            except RuntimeError:  # closed meanwhile: clean up here
                self._clean_up(cid, run_dir)

    def _clean_up(self, cid: str, run_dir: RunDir) -> None:
        if cid:
            self._remove(self._api, cid)
            with self._containers_lock:
                self._containers.discard(cid)
        if not run_dir.remove():
            self._remove_as_sandbox_user(run_dir)

    def _attach_and_run(self, request: ExecRequest, handle: RunHandle, cid: str, run_dir: RunDir) -> ExecResult:
        limits = request.limits
        sock = self._api.attach_socket(cid, params={"stdout": 1, "stderr": 1, "stream": 1})
        try:
            self._api.start(cid)
            started = time.monotonic()
            pump = _Pump(limits.output_bytes, lambda: self._kill(cid), _pids_events_reader(cid))
            pump.run(sock.fileno(), deadline=started + limits.wall_seconds + HOST_GRACE_S)
        finally:
            sock.close()
        host_elapsed = time.monotonic() - started
        if not pump.eof:
            return ExecResult.failure(self.name, SandboxFailure.TIMEOUT,
                                      f"container {cid[:12]} kept running {KILL_SETTLE_S:g} s after it was killed", host_elapsed)
        exit_code = int(self._api.wait(cid, timeout=30).get("StatusCode", -1))
        state = self._api.inspect_container(cid).get("State", {})
        duration = _container_seconds(state) or host_elapsed
        if pump.host_killed and exit_code != 0:
            exit_code = KILLED_EXIT
        timed_out, killed = classify(
            request, exit_code=exit_code, duration_s=duration, host_killed_at_deadline=pump.deadline_hit,
            output_capped=pump.capped, oom=bool(state.get("OOMKilled")), pids_hit=pump.pids_hit, cancelled=handle.cancelled,
        )
        files, files_truncated = run_dir.collect(limits) if request.collect else ({}, False)
        return ExecResult(
            provider=self.name, exit_code=exit_code, stdout=pump.stdout.text(), stderr=pump.stderr.text(),
            stdout_truncated=pump.stdout.truncated, stderr_truncated=pump.stderr.truncated, timed_out=timed_out,
            killed_reason=killed, duration_s=round(duration, 4), files=files, files_truncated=files_truncated,
            hit_pids_limit=pump.pids_hit,
        )

    def _remove_as_sandbox_user(self, run_dir: RunDir) -> None:
        """Without root we cannot delete what uid 65534 wrote; a container running as 65534 can."""
        try:
            cid = self._api.create_container(
                image=self._image, command=["find", WORKDIR, "-mindepth", "1", "-delete"],
                user=f"{SANDBOX_UID}:{SANDBOX_UID}", labels={LABEL: "1", OWNER_LABEL: self.owner},
                host_config=self._api.create_host_config(binds={str(run_dir.box): {"bind": WORKDIR, "mode": "rw"}},
                                                         network_mode="none", read_only=True, cap_drop=["ALL"]),
            )["Id"]
            try:
                self._api.start(cid)
                self._api.wait(cid, timeout=30)
            finally:
                self._remove(self._api, cid)
        except Exception:
            return
        run_dir.remove()


class _Pump:
    """Reads the attach stream until EOF: caps output, kills at the deadline, polls pids events."""

    def __init__(self, cap: int, kill: Callable[[], None], pids_hit: Callable[[], bool]) -> None:
        self.stdout = CappedBuffer(cap)
        self.stderr = CappedBuffer(cap)
        self._kill = kill
        self._pids = pids_hit
        self.eof = False
        self.capped = False
        self.deadline_hit = False
        self.host_killed = False
        self.pids_hit = False

    def run(self, fd: int, deadline: float) -> None:
        frames = DockerFrames()
        settle_by = float("inf")
        next_poll = 0.0
        while True:
            now = time.monotonic()
            if now >= deadline and not self.host_killed:
                self.deadline_hit = True
                self._stop()
            if self.host_killed and settle_by == float("inf"):
                settle_by = now + KILL_SETTLE_S
            if now >= settle_by:
                return
            if now >= next_poll:
                self.pids_hit = self.pids_hit or self._pids()
                next_poll = now + 0.25
            ready, _, _ = select.select([fd], [], [], max(0.0, min(deadline, settle_by, next_poll) - now))
            if not ready:
                continue
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            if not data:
                self.eof = True
                return
            for stream, payload in frames.feed(data):
                buffer = self.stderr if stream == 2 else self.stdout
                if buffer.add(payload) and not self.capped:
                    self.capped = True
                    self._stop()

    def _stop(self) -> None:
        self.host_killed = True
        # The engine finishes a kill only once the attach stream is drained: keep reading meanwhile.
        threading.Thread(target=self._kill, name="sandbox-docker-kill", daemon=True).start()


def _pids_events_reader(cid: str) -> Callable[[], bool]:
    """Whether the container's pids cgroup refused a fork; False where the host cannot see it."""
    candidates = [
        f"/sys/fs/cgroup/pids/docker/{cid}/pids.events",
        f"/sys/fs/cgroup/pids/system.slice/docker-{cid}.scope/pids.events",
        f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/pids.events",
        f"/sys/fs/cgroup/docker/{cid}/pids.events",
    ]

    def read() -> bool:
        for path in candidates:
            try:
                with open(path) as handle:
                    return any(line.split()[:1] == ["max"] and line.split()[1] != "0" for line in handle)
            except OSError:
                continue
        return False

    return read


def _container_seconds(state: dict[str, Any]) -> float | None:
    """Run time from the engine's own StartedAt/FinishedAt (nanosecond ISO stamps)."""
    try:
        start, end = (_parse_stamp(state[key]) for key in ("StartedAt", "FinishedAt"))
    except (KeyError, ValueError):
        return None
    seconds = (end - start).total_seconds()
    return seconds if seconds >= 0 else None


def _parse_stamp(text: str) -> datetime:
    head, _, rest = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(rest + '000000')[:6]}+00:00" if rest else f"{head}+00:00")
