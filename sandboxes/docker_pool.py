"""Warm Docker sandbox containers, one per concurrency slot, each running one job at a time.

A container is hardened exactly like a throw-away one (``DockerSandbox._host_config``)
and runs ``pool_runner.py`` as its pid 1, fed commands over the attach stream. A job
gets the same work dir (``/box``, the container's own tmpfs of ``limits.workdir_bytes``,
filled and read back through the runner, emptied between jobs), the same environment,
the same ``timeout -s KILL`` and the same limits as a fresh container would; the memory
and pids limits belong to the container, so a container runs one job at a time.

After every job the runner kills whatever the job left running and, once the host
has read the work dir back, wipes /box, /tmp, /dev/shm, /dev/mqueue and System V IPC.
The host then checks from outside, without trusting anything inside: the container's
cgroup holds the runner alone and (as root, through /proc/PID/root) /box, /tmp
and /dev/shm are empty; without root only the runner's own wipe report vouches for those. A container goes back to the pool only if all of that holds and
the job ended on its own: after a timeout, an OOM kill, a refused fork, an output
cap, a cancellation or anything unexpected it is killed and replaced.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import select
import threading
import time
from pathlib import Path
from typing import Any, Callable

from benchlab.sandbox import WORKDIR, ExecRequest, ExecResult, KilledReason, Limits, RunHandle, SandboxFailure
from benchlab.sandboxes.capture import CappedBuffer, DockerFrames
from benchlab.sandboxes.container_cgroup import ContainerCgroup
from benchlab.sandboxes.launch import HOST_GRACE_S, KILLED_EXIT, SANDBOX_UID, classify, environment, timed_argv
from benchlab.sandboxes.workdir import RunDir

log = logging.getLogger(__name__)
RUNNER = Path(__file__).with_name("pool_runner.py")
POOL_LABEL = "benchlab.pool"
START_TIMEOUT_S = 60.0
WIPE_TIMEOUT_S = 10.0
# If the container still streams this long after we killed it, the engine is the problem.
KILL_SETTLE_S = 10.0
# Where the host looks, from outside, for anything a job left in the container's own tmpfs mounts.
PRIVATE_MOUNTS = ("box", "tmp", "dev/shm", "dev/mqueue")
# How long the runner may take to write a job's files into /box, or to read them back.
TRANSFER_TIMEOUT_S = 30.0

Shape = tuple[int, int, float, int, int, int, int]


def shape_of(limits: Limits) -> Shape:
    """The limits fixed when a container is created; a job with other limits needs another container."""
    return (limits.memory_bytes, limits.pids, limits.cpus, limits.tmp_bytes, limits.file_bytes, limits.open_files,
            limits.workdir_bytes)


class RunnerError(Exception):
    """The runner did not start, or answered something unexpected."""


class _Channel:
    """The container's attach stream: JSON commands in, the runner's frames out (its stderr kept apart)."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self._docker = DockerFrames()
        self._pending = bytearray()
        self._frames: list[tuple[bytes, bytes]] = []
        self.diagnostics = CappedBuffer(16 * 1024)
        self.eof = False

    def send(self, command: dict[str, Any]) -> None:
        data = json.dumps(command).encode() + b"\n"
        while data:
            data = data[os.write(self.fd, data):]

    def read(self, until: float) -> tuple[bytes, bytes] | None:
        """The next frame; None at EOF; TimeoutError once ``until`` (monotonic) passes."""
        while not self._frames:
            if self.eof:
                return None
            wait = until - time.monotonic()
            if wait <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:
                data = b""
            if not data:
                self.eof = True
                continue
            for stream, payload in self._docker.feed(data):
                if stream == 2:
                    self.diagnostics.add(payload)
                else:
                    self._split(payload)
        return self._frames.pop(0)

    def _split(self, payload: bytes) -> None:
        self._pending += payload
        while len(self._pending) >= 5:
            size = int.from_bytes(self._pending[1:5], "big")
            if len(self._pending) < 5 + size:
                return
            self._frames.append((bytes(self._pending[:1]), bytes(self._pending[5:5 + size])))
            del self._pending[:5 + size]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class PooledContainer:
    """One warm container and its work dir; ``run`` plays one job and says whether the container may be reused."""

    def __init__(self, api: Any, cid: str, shape: Shape, run_dir: RunDir, channel: _Channel) -> None:
        self.api = api
        self.cid = cid
        self.shape = shape
        self.run_dir = run_dir
        self.channel = channel
        self.host_pid = 0
        self.cgroup: ContainerCgroup | None = None
        self.killed = False
        self.jobs = 0
        self.generation = 0  # the pool's generation it was made in: after a drain, it is not taken back

    @classmethod
    def start(cls, api: Any, create: Callable[[RunDir], str], limits: Limits, register: Callable[[str], None]) -> PooledContainer:
        """Create and start a container whose command is the runner; wait until it says it is ready."""
        # Only io/ (stdin, read-only inside) lives on the host: /box is the container's own tmpfs.
        run_dir = RunDir(None, limits, box=False)
        cid = ""
        try:
            cid = create(run_dir)
            register(cid)
            sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            container = cls(api, cid, shape_of(limits), run_dir, _Channel(sock))
            api.start(cid)
            frame = container.channel.read(time.monotonic() + START_TIMEOUT_S)
            if frame is None or frame[0] != b"R":
                raise RunnerError(f"the sandbox runner did not start: {container.channel.diagnostics.text()[-500:] or frame}")
            ready = json.loads(frame[1])
            # pid 1 and non-dumpable is what keeps jobs from signalling or tracing it.
            if ready != {"pid": 1, "uid": SANDBOX_UID, "dumpable": 0, "others": 0}:
                raise RunnerError(f"the sandbox runner started in an unexpected state: {ready}")
            container.host_pid = int(api.inspect_container(cid)["State"]["Pid"])
            container.cgroup = ContainerCgroup.find(container.host_pid)
            return container
        except BaseException:
            if cid:
                try:
                    api.remove_container(cid, force=True)
                except Exception:
                    pass
            run_dir.remove()
            raise

    def looks_alive(self) -> bool:
        """An idle runner says nothing: anything to read (or EOF) means the container died or went wrong meanwhile."""
        if self.killed or self.channel.eof:
            return False
        ready, _, _ = select.select([self.channel.fd], [], [], 0)
        return not ready

    def kill(self) -> None:
        """Stop the job by killing the whole container (it is then discarded, never reused)."""
        import docker.errors
        import requests.exceptions

        self.killed = True
        try:
            self.api.kill(self.cid)
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            pass  # already gone, or the engine is in trouble: the caller's deadline handles it

    # -- one job ----------------------------------------------------------------------------

    def run(self, request: ExecRequest, handle: RunHandle, provider: str) -> tuple[ExecResult, str]:
        """(the result, why this container must not be reused: "" when it may)."""
        limits = request.limits
        self.jobs += 1
        failed = self._put(request)
        if failed:
            return ExecResult.failure(provider, SandboxFailure.ERROR, failed), failed
        stdin = request.stdin_bytes()
        if stdin is not None:
            self.run_dir.write_stdin(stdin)
        oom_before, forks_before = self._counters()
        began = time.monotonic()
        self.channel.send({
            "op": "run", "argv": timed_argv(request), "env": environment(request), "wall": limits.wall_seconds,
            "stdin": "/io/stdin" if stdin is not None else None, "cap": limits.output_bytes, "cwd": WORKDIR,
        })
        handle.set_killer(self.kill)
        try:
            report, stdout, stderr, deadline_hit = self._pump(limits, began)
        finally:
            handle.set_killer(None)
        host_elapsed = time.monotonic() - began
        if report is None and not self.channel.eof:
            return ExecResult.failure(provider, SandboxFailure.TIMEOUT,
                                      f"container {self.cid[:12]} kept running {KILL_SETTLE_S:g} s after it was killed", host_elapsed), "unresponsive"
        oom_after, forks_after = self._counters()
        oom = oom_after > oom_before if oom_after is not None and oom_before is not None else self._engine_saw_oom()
        pids_hit = forks_after > forks_before
        if report is None:
            # The runner is gone: we killed the container (deadline, cancel), or the OOM killer picked it.
            if not (self.killed or oom):
                detail = self.channel.diagnostics.text().strip().splitlines()
                return ExecResult.failure(provider, SandboxFailure.ERROR,
                                          f"the sandbox runner died: {detail[-1] if detail else 'no message'}", host_elapsed), "runner died"
            report = {"exit": KILLED_EXIT, "duration": host_elapsed, "capped": False, "overran": False, "left": 0}
        exit_code = KILLED_EXIT if report["exit"] is None else int(report["exit"])
        timed_out, killed = classify(
            request, exit_code=exit_code, duration_s=float(report["duration"]),
            host_killed_at_deadline=deadline_hit or bool(report["overran"]),
            output_capped=bool(report["capped"]) or stdout.truncated or stderr.truncated,
            oom=oom, pids_hit=pids_hit, cancelled=handle.cancelled,
        )
        files, files_truncated = ({}, False)
        if request.collect and not (self.killed or self.channel.eof):
            files, files_truncated = self._collect(limits)
        result = ExecResult(
            provider=provider, exit_code=exit_code, stdout=stdout.text(), stderr=stderr.text(),
            stdout_truncated=stdout.truncated, stderr_truncated=stderr.truncated, timed_out=timed_out,
            killed_reason=killed, hit_pids_limit=pids_hit, duration_s=round(float(report["duration"]), 4),
            files=files, files_truncated=files_truncated,
        )
        return result, self._after(report, killed, pids_hit)

    def _put(self, request: ExecRequest) -> str:
        """Have the runner write the job's files into /box; "" when it did, else why not."""
        from benchlab.sandbox import FileEntry, safe_relative_path

        entries = []
        for name, value in request.files.items():
            entry = value if isinstance(value, FileEntry) else FileEntry(value)
            entries.append({"path": str(safe_relative_path(name)), "data": base64.b64encode(entry.data()).decode(), "mode": entry.mode})
        self.channel.send({"op": "put", "files": entries})
        try:
            frame = self.channel.read(time.monotonic() + TRANSFER_TIMEOUT_S)
        except TimeoutError:
            return "the sandbox runner did not write the job's files in time"
        if frame is None or frame[0] != b"P":
            return "the sandbox runner did not answer the file transfer"
        answer = json.loads(frame[1])
        return "" if answer["ok"] else f"cannot write the job's files into {WORKDIR}: {answer['error']}"

    def _collect(self, limits: Limits) -> tuple[dict[str, bytes], bool]:
        """The regular files the job left in /box, read by the runner (it follows no links)."""
        self.channel.send({"op": "collect", "bytes": limits.collect_bytes, "files": limits.collect_files})
        try:
            frame = self.channel.read(time.monotonic() + TRANSFER_TIMEOUT_S)
        except TimeoutError:
            frame = None
        if frame is None or frame[0] != b"C":
            self.kill()  # out of step with the runner: never reuse this container
            return {}, True
        answer = json.loads(frame[1])
        files = {path: base64.b64decode(data) for path, data in answer["files"].items()}
        # The runner is inside the sandbox: hold it to the budget whatever it sent.
        if len(files) > limits.collect_files or sum(map(len, files.values())) > limits.collect_bytes:
            self.kill()
            return {}, True
        return files, bool(answer["truncated"])

    def _pump(self, limits: Limits, began: float) -> tuple[dict[str, Any] | None, CappedBuffer, CappedBuffer, bool]:
        stdout, stderr = CappedBuffer(limits.output_bytes), CappedBuffer(limits.output_bytes)
        until = began + limits.wall_seconds + HOST_GRACE_S
        deadline_hit = False
        while True:
            try:
                frame = self.channel.read(until)
            except TimeoutError:
                if self.killed:
                    return None, stdout, stderr, deadline_hit
                # The runner enforces the wall limit itself; this is the watchdog for a runner that did not.
                deadline_hit = True
                self.kill()
                until = time.monotonic() + KILL_SETTLE_S
                continue
            if frame is None:
                return None, stdout, stderr, deadline_hit
            kind, payload = frame
            if kind == b"O":
                stdout.add(payload)
            elif kind == b"E":
                stderr.add(payload)
            elif kind == b"X":
                return json.loads(payload), stdout, stderr, deadline_hit
            else:
                self.kill()  # a frame out of turn: the runner is not doing what we asked

    def _after(self, report: dict[str, Any], killed: KilledReason | None, pids_hit: bool) -> str:
        """Why the container must go, or "" after a successful wipe checked from outside."""
        if killed is not None or pids_hit:
            return f"the job was stopped ({killed.value if killed else 'pids limit'})"
        if self.killed or self.channel.eof:
            return "the container was killed"
        if report["left"]:
            return f"{report['left']} process(es) survived the job"
        self.channel.send({"op": "wipe"})
        try:
            frame = self.channel.read(time.monotonic() + WIPE_TIMEOUT_S)
        except TimeoutError:
            return "the wipe did not finish"
        if frame is None or frame[0] != b"W":
            return "the runner did not answer the wipe"
        outcome = json.loads(frame[1])
        if not outcome["clean"]:
            return "; ".join(outcome["problems"])
        return self._checked_from_outside()

    def _checked_from_outside(self) -> str:
        """What the host sees, whatever the runner said: one process left, empty work dir and private mounts."""
        procs = self.cgroup.procs() if self.cgroup is not None else self._engine_procs()
        if procs != [self.host_pid] and not (self.cgroup is None and procs is not None and len(procs) == 1):
            return f"processes besides the runner: {procs}"
        if os.geteuid() == 0:
            root = Path(f"/proc/{self.host_pid}/root")
            for mount in PRIVATE_MOUNTS:
                try:
                    if os.listdir(root / mount):
                        return f"/{mount} is not empty"
                except FileNotFoundError:
                    continue
        try:
            (self.run_dir.io / "stdin").unlink()
        except FileNotFoundError:
            pass
        return ""

    def _counters(self) -> tuple[int | None, int]:
        if self.cgroup is None:
            return None, 0
        return self.cgroup.oom_kills(), self.cgroup.refused_forks()

    def _engine_saw_oom(self) -> bool:
        # A container is discarded after an OOM kill, so the engine's sticky flag can only be this job's.
        try:
            return bool(self.api.inspect_container(self.cid).get("State", {}).get("OOMKilled"))
        except Exception:
            return False

    def _engine_procs(self) -> list[int] | None:
        try:
            top = self.api.top(self.cid, ps_args="-o pid")
        except Exception:
            return None
        return sorted(int(row[0]) for row in top.get("Processes") or [])


class ContainerPool:
    """Idle containers known clean, by shape; at most one job per container at a time."""

    def __init__(self, start: Callable[[Limits], PooledContainer], discard: Callable[[PooledContainer], None]) -> None:
        self._start = start
        self._discard = discard
        self._idle: list[PooledContainer] = []
        self._lock = threading.Lock()
        self._generation = 0

    def acquire(self, limits: Limits) -> PooledContainer:
        shape = shape_of(limits)
        while True:
            with self._lock:
                # The most recently used first: the fewest containers stay busy with warm caches.
                match = next((c for c in reversed(self._idle) if c.shape == shape), None)
                if match is not None:
                    self._idle.remove(match)
                    stale, why = match, "it died while idle"
                else:
                    # Another shape's idle container would only sit there: the slot it stood for is ours now.
                    stale, why = (self._idle.pop(0) if self._idle else None), "its limits differ from the next job's"
                generation = self._generation
            if match is not None and match.looks_alive():
                return match
            if stale is None:
                break
            log.debug("discarding sandbox container %s: %s", stale.cid[:12], why)
            self._discard(stale)
            if match is None:
                break
        container = self._start(limits)
        container.generation = generation
        return container

    def release(self, container: PooledContainer, why_not: str) -> None:
        """Back to the pool when ``why_not`` is empty, else discarded (and logged with the reason)."""
        with self._lock:
            if not why_not and container.generation == self._generation:
                self._idle.append(container)
                return
        if why_not:
            log.debug("discarding sandbox container %s after %d job(s): %s", container.cid[:12], container.jobs, why_not)
        self._discard(container)

    def drain(self) -> list[PooledContainer]:
        """Take every idle container out (to remove them); containers busy now are discarded when they return."""
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        return idle
