"""Provider ``docker``: hardened containers kept warm, one per concurrency slot (docker SDK).

No network, read-only root, size-capped tmpfs for /tmp and the work dir /box (files
go in and out through the runner; only stdin comes from a read-only host dir), uid 65534, no capabilities, no-new-privileges,
memory (= memory + swap), CPU and pids limits, ulimits, ``timeout -s KILL`` inside
and a watchdog outside. Each container runs one job at a time through the runner
that is its pid 1, and is checked clean (from outside) before its next job, or
replaced; see ``docker_pool``. Containers carry the label ``benchlab.sandbox=1``
and the owner's host:pid; leftovers of dead owners are removed at start, our own
at exit and on ``close``.
"""

from __future__ import annotations

import atexit
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from benchlab.sandbox import (
    WORKDIR, Availability, ExecRequest, ExecResult, Limits, RunHandle, Sandbox, SandboxFailure, SandboxSetupError,
)
from benchlab.sandboxes.cache import pid_alive
from benchlab.sandboxes.launch import BASE_ENV, SANDBOX_UID
from benchlab.sandboxes.workdir import RunDir
from benchlab.sandboxes.workdir import reap_stale as reap_stale_run_dirs

if TYPE_CHECKING:
    from benchlab.sandboxes.docker_pool import PooledContainer

LABEL = "benchlab.sandbox"
OWNER_LABEL = "benchlab.owner"
ENGINE_FIX = "start the Docker engine (e.g. `sudo systemctl start docker`), or use --sandbox bwrap"
# The engine's creation time has whole seconds, /proc's start time clock ticks: allow for both.
START_SLACK_S = 2.0


def process_start_time(pid: int) -> float | None:
    """When ``pid`` started (unix time), from /proc; None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


class DockerSandbox(Sandbox):
    """Runs each request in a warm hardened container from the ``benchlab-sandbox:<recipe>`` image (see docker_pool)."""

    name = "docker"
    rank = 10  # the primary provider

    @property
    def toolchains(self) -> frozenset[str]:
        from benchlab.sandboxes.toolchains import rootfs_toolchains

        return rootfs_toolchains()

    def __init__(self, max_concurrency: int | None = None, base_url: str | None = None) -> None:
        super().__init__(max_concurrency)
        self.base_url = base_url
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._api: Any = None
        self._image = ""
        self._containers: set[str] = set()
        self._containers_lock = threading.Lock()
        # Removing a discarded container takes ~90 ms of engine time: done off the caller's path.
        self._cleaner = ThreadPoolExecutor(2, thread_name_prefix="sandbox-docker-cleanup")
        from benchlab.sandboxes.docker_pool import ContainerPool

        self._warm = ContainerPool(self._start_container, self._discard)

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
        """Remove labelled containers whose owning process on this host is gone.

        A live pid owns the container only if that process started before the container was
        created: one started later got a dead owner's reused pid.
        """
        for container in api.containers(all=True, filters={"label": f"{LABEL}=1"}):
            host, _, pid = (container.get("Labels") or {}).get(OWNER_LABEL, "").rpartition(":")
            if host != socket.gethostname() or not pid.isdigit():
                continue
            started = process_start_time(int(pid)) if pid_alive(int(pid)) else None
            created = container.get("Created")
            reused = started is not None and isinstance(created, (int, float)) and started > created + START_SLACK_S
            if not pid_alive(int(pid)) or reused:
                self._remove(api, container["Id"])

    def reap_own(self) -> None:
        """Kill and remove every container this provider still has (at exit, on close); it stays usable."""
        for container in self._warm.drain():
            self._remove_container(container)
        with self._containers_lock:
            leftovers = list(self._containers)
        for cid in leftovers:  # busy ones: their runs see the container die, and discard it
            self._remove(self._api, cid)
        cleaner, self._cleaner = self._cleaner, ThreadPoolExecutor(2, thread_name_prefix="sandbox-docker-cleanup")
        cleaner.shutdown(wait=True)

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

    def _host_config(self, limits: Limits, run_dir: RunDir) -> Any:
        from docker.types import LogConfig, Ulimit

        return self._api.create_host_config(
            binds={str(run_dir.io): {"bind": "/io", "mode": "ro"}},
            network_mode="none",
            read_only=True,
            # Both in the container's memory cgroup's reach, never on the host's disk.
            tmpfs={"/tmp": f"rw,exec,nosuid,nodev,size={limits.tmp_bytes},mode=1777",
                   WORKDIR: f"rw,exec,nosuid,nodev,size={limits.workdir_bytes},mode=0700,uid={SANDBOX_UID},gid={SANDBOX_UID}"},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            # No docker-init: the runner is pid 1 (it reaps orphans, and pid 1 is what it needs to be out of a job's reach).
            init=False,
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

    def _create(self, limits: Limits, run_dir: RunDir) -> str:
        """A stopped container whose command is the runner, hardened for ``limits``."""
        from benchlab.sandboxes.docker_pool import POOL_LABEL, RUNNER

        return self._api.create_container(
            image=self._image, command=["/usr/bin/python3", "-I", "-S", "-c", RUNNER.read_text()],
            user=f"{SANDBOX_UID}:{SANDBOX_UID}", working_dir="/", environment={"PATH": BASE_ENV["PATH"], "LANG": "C.UTF-8"},
            labels={LABEL: "1", OWNER_LABEL: self.owner, POOL_LABEL: "1"},
            host_config=self._host_config(limits, run_dir), network_disabled=True, hostname="sandbox",
            stdin_open=True,
        )["Id"]

    def _start_container(self, limits: Limits) -> PooledContainer:
        from benchlab.sandboxes.docker_pool import PooledContainer

        created: list[str] = []

        def register(cid: str) -> None:
            created.append(cid)
            with self._containers_lock:
                self._containers.add(cid)

        try:
            return PooledContainer.start(self._api, lambda run_dir: self._create(limits, run_dir), limits, register)
        except BaseException:
            with self._containers_lock:  # start() removed it
                self._containers.difference_update(created)
            raise

    def _discard(self, container: PooledContainer) -> None:
        """Kill and remove a container off the caller's path (removal takes ~90 ms of engine time)."""
        container.killed = True
        try:
            self._cleaner.submit(self._remove_container, container)
        except RuntimeError:  # closed meanwhile: clean up here
            self._remove_container(container)

    def _remove_container(self, container: PooledContainer) -> None:
        container.channel.close()
        self._remove(self._api, container.cid)
        with self._containers_lock:
            self._containers.discard(container.cid)
        container.run_dir.remove()

    # -- one execution --------------------------------------------------------------------

    def _execute(self, request: ExecRequest, handle: RunHandle) -> ExecResult:
        import docker.errors
        import requests.exceptions

        from benchlab.sandboxes.docker_pool import RunnerError

        began = time.monotonic()
        try:
            container = self._warm.acquire(request.limits)
        except requests.exceptions.Timeout as exc:
            return ExecResult.failure(self.name, SandboxFailure.TIMEOUT, f"the Docker engine did not answer in time: {exc}", time.monotonic() - began)
        except (docker.errors.DockerException, requests.exceptions.RequestException, RunnerError, TimeoutError, OSError) as exc:
            return ExecResult.failure(self.name, SandboxFailure.ERROR, f"cannot start a sandbox container: {exc}", time.monotonic() - began)
        why = "the run failed"
        try:
            result, why = container.run(request, handle, self.name)
            return result
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError, ValueError) as exc:
            return ExecResult.failure(self.name, SandboxFailure.ERROR, f"Docker sandbox error: {type(exc).__name__}: {exc}", time.monotonic() - began)
        finally:
            self._warm.release(container, why)
