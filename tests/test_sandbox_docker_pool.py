"""The docker provider's warm pool on a real engine: reuse, replacement, the checks from outside, clean-up.

Each test makes its own provider (the image is built once per session) and closes it,
so the containers it counts are its own. Some tests act on a container from outside
with ``docker exec`` as another uid: that is how a process the runner cannot kill, or a
file it cannot delete, is made to exist for real.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from sandbox_helpers import leftover_containers, prepared_provider

from benchlab.sandbox import MiB, ExecRequest, KilledReason, Limits
from benchlab.sandboxes.docker_pool import POOL_LABEL
from benchlab.sandboxes.docker_provider import LABEL, OWNER_LABEL, DockerSandbox

OTHER_UID = "65533:65533"  # not the sandbox uid: the runner can neither signal its processes nor delete its files


@pytest.fixture
def engine() -> Any:
    prepared_provider("docker")  # skips (or fails under CI) without an engine and image
    import docker

    return docker.from_env(timeout=30).api


# Pool containers of this process that existed before the test (other tests' providers keep theirs warm).
_existing: set[str] = set()


@pytest.fixture
def pool(engine: Any) -> Iterator[DockerSandbox]:
    _existing.clear()
    _existing.update(c["Id"] for c in _owned(engine))
    provider = DockerSandbox(max_concurrency=2)
    provider.prepare()
    yield provider
    provider.close()


def _owned(engine: Any) -> list[dict[str, Any]]:
    owner = f"{socket.gethostname()}:{os.getpid()}"
    listed = engine.containers(all=True, filters={"label": [f"{LABEL}=1", f"{POOL_LABEL}=1"]})
    return [c for c in listed if (c.get("Labels") or {}).get(OWNER_LABEL) == owner]


def containers(engine: Any) -> list[dict[str, Any]]:
    """The pool containers this test's provider made, as the engine lists them."""
    return [c for c in _owned(engine) if c["Id"] not in _existing]


def wait_for(condition: Any, within_s: float = 10) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def idle_ids(provider: DockerSandbox) -> list[str]:
    return [c.cid for c in provider._warm._idle]


def ok(provider: DockerSandbox, argv: list[str], **limits: Any) -> Any:
    result = provider.run_sync(ExecRequest(argv, limits=Limits(**limits)))
    assert result.ok, (result.sandbox_failure, result.detail, result.stderr[-300:])
    return result


def test_pool_containers_carry_the_same_hardening_as_throw_away_ones(pool: DockerSandbox, engine: Any) -> None:
    ok(pool, ["true"], memory_bytes=512 * MiB, pids=40)
    (listed,) = containers(engine)
    details = engine.inspect_container(listed["Id"])
    host = details["HostConfig"]
    assert details["Config"]["User"] == "65534:65534"
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host.get("CapAdd") and host["Privileged"] is False
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert (host["Memory"], host["MemorySwap"], host["PidsLimit"]) == (512 * MiB, 512 * MiB, 40)
    assert host["IpcMode"] == "private" and "/tmp" in host["Tmpfs"]
    # The work dir is the container's own size-capped tmpfs; only stdin's folder comes from the host, read-only.
    assert "size=268435456" in host["Tmpfs"]["/box"] and "uid=65534" in host["Tmpfs"]["/box"]
    assert [b.split(":")[1:] for b in host["Binds"]] == [["/io", "ro"]]
    assert host["NanoCpus"] == int(min(1.0, os.cpu_count() or 1) * 1e9)
    # Its one process is the runner, as the sandbox uid, with no capabilities and no way to gain any.
    status = Path(f"/proc/{details['State']['Pid']}/status").read_text()
    assert "\nUid:\t65534\t65534\t65534\t65534" in status
    assert "\nCapEff:\t0000000000000000" in status and "\nCapBnd:\t0000000000000000" in status
    assert "\nNoNewPrivs:\t1" in status
    assert len(engine.top(listed["Id"])["Processes"]) == 1


def test_clean_runs_reuse_one_container_per_slot(pool: DockerSandbox, engine: Any) -> None:
    for index in range(5):
        assert ok(pool, ["sh", "-c", f"echo {index} > out.txt; cat out.txt"]).stdout == f"{index}\n"
    (only,) = containers(engine)
    assert idle_ids(pool) == [only["Id"]]

    async def together() -> list[Any]:
        return await asyncio.gather(*(pool.run(ExecRequest(["sleep", "0.5"])) for _ in range(4)))

    assert all(result.ok for result in asyncio.run(together()))
    assert len(containers(engine)) == 2 and len(idle_ids(pool)) == 2  # two slots, never more


def test_a_job_with_other_limits_gets_a_container_made_for_them(pool: DockerSandbox, engine: Any) -> None:
    ok(pool, ["true"])
    first = idle_ids(pool)
    script = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"
    result = ok(pool, ["sh", "-c", script], memory_bytes=300 * MiB, pids=50)
    assert result.stdout.split() == [str(300 * MiB), "50"]
    assert first[0] not in idle_ids(pool)  # the other shape's idle container made room, it is not kept beside
    assert wait_for(lambda: len(containers(engine)) == 1)


@pytest.mark.parametrize("stop", ["timeout", "oom", "output_cap", "cancel"])
def test_a_stopped_job_replaces_its_container(pool: DockerSandbox, engine: Any, stop: str, caplog: pytest.LogCaptureFixture) -> None:
    ok(pool, ["true"], memory_bytes=256 * MiB)
    (before,) = idle_ids(pool)
    caplog.set_level(logging.DEBUG, logger="benchlab.sandboxes.docker_pool")
    limits = Limits(wall_seconds=1 if stop == "timeout" else 30, memory_bytes=256 * MiB, output_bytes=4096)
    argv = {
        "timeout": ["sleep", "30"],
        "oom": ["python3", "-c", "x = [bytearray(16 << 20) for _ in range(64)]"],
        "output_cap": ["sh", "-c", "yes"],
        "cancel": ["sleep", "30"],
    }[stop]

    async def cancelled() -> None:
        task = asyncio.create_task(pool.run(ExecRequest(argv, limits=limits)))
        await asyncio.sleep(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    if stop == "cancel":
        asyncio.run(cancelled())
        assert wait_for(lambda: "cancelled" in caplog.text)
    else:
        result = pool.run_sync(ExecRequest(argv, limits=limits))
        assert result.killed_reason == KilledReason(stop), (result.exit_code, result.detail)
    assert f"discarding sandbox container {before[:12]}" in caplog.text
    assert wait_for(lambda: before not in {c["Id"] for c in containers(engine)})
    assert ok(pool, ["echo", "next"], memory_bytes=256 * MiB).stdout == "next\n"
    assert before not in idle_ids(pool)


def test_a_process_the_runner_cannot_kill_is_seen_from_outside(pool: DockerSandbox, engine: Any, caplog: pytest.LogCaptureFixture) -> None:
    ok(pool, ["true"])
    (container,) = pool._warm._idle
    # Started from outside, as a uid the runner has no power over: neither its kill nor its /proc listing settles it.
    exec_id = engine.exec_create(container.cid, ["sleep", "300"], user=OTHER_UID)["Id"]
    engine.exec_start(exec_id, detach=True)
    assert wait_for(lambda: len(engine.top(container.cid)["Processes"]) == 2)
    assert "processes besides the runner" in container._checked_from_outside()
    caplog.set_level(logging.DEBUG, logger="benchlab.sandboxes.docker_pool")
    assert ok(pool, ["echo", "still contained"]).stdout == "still contained\n"
    assert "process(es) survived" in caplog.text and container.cid not in idle_ids(pool)


def test_a_wipe_that_fails_discards_the_container(pool: DockerSandbox, engine: Any, caplog: pytest.LogCaptureFixture) -> None:
    ok(pool, ["true"])
    (container,) = pool._warm._idle
    # /tmp is sticky: a file of another uid is one the runner cannot delete.
    exec_id = engine.exec_create(container.cid, ["sh", "-c", "echo foreign > /tmp/foreign"], user=OTHER_UID)["Id"]
    engine.exec_start(exec_id)
    assert "/tmp is not empty" in container._checked_from_outside()
    caplog.set_level(logging.DEBUG, logger="benchlab.sandboxes.docker_pool")
    ok(pool, ["true"])
    assert "cannot empty /tmp" in caplog.text and container.cid not in idle_ids(pool)
    assert ok(pool, ["ls", "-A", "/tmp"]).stdout == ""


def test_a_runner_that_dies_is_a_sandbox_error_and_is_replaced(pool: DockerSandbox, engine: Any) -> None:
    ok(pool, ["true"])
    (container,) = pool._warm._idle
    runner = engine.inspect_container(container.cid)["State"]["Pid"]

    def kill_runner_soon() -> None:
        time.sleep(0.5)
        os.kill(runner, 9)  # from the host: the only place the runner can be killed from

    import threading

    threading.Thread(target=kill_runner_soon, daemon=True).start()
    result = pool.run_sync(ExecRequest(["sleep", "5"]))
    assert result.sandbox_failure is not None and "runner died" in result.detail
    assert container.cid not in idle_ids(pool)
    assert ok(pool, ["true"]).exit_code == 0


def test_close_removes_every_container_and_work_dir(engine: Any) -> None:
    _existing.clear()
    _existing.update(c["Id"] for c in _owned(engine))
    provider = DockerSandbox(max_concurrency=2)

    async def two() -> list[Any]:
        return await asyncio.gather(*(provider.run(ExecRequest(["sleep", "0.3"])) for _ in range(2)))

    assert all(result.ok for result in asyncio.run(two()))
    work_dirs = [c.run_dir.root for c in provider._warm._idle]
    assert len(containers(engine)) == 2 and all(d.is_dir() for d in work_dirs)
    provider.close()
    assert containers(engine) == [] and leftover_containers() == []
    assert not any(d.exists() for d in work_dirs)
    mounts = Path("/proc/self/mounts").read_text()
    assert not any(str(d) in mounts for d in work_dirs)
    # Still usable after close, with new containers.
    assert ok(provider, ["echo", "again"]).stdout == "again\n"
    provider.close()
    assert containers(engine) == []


def test_a_container_that_died_while_idle_is_replaced_before_the_next_job(pool: DockerSandbox, engine: Any) -> None:
    ok(pool, ["true"])
    (container,) = pool._warm._idle
    engine.remove_container(container.cid, force=True)  # from outside: an engine restart, a `docker rm`
    assert ok(pool, ["echo", "fine"]).stdout == "fine\n"
    assert container.cid not in idle_ids(pool) and len(idle_ids(pool)) == 1


def test_the_work_dir_is_capped_and_off_the_host_disk_when_benchlab_is_not_root(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """/box is the container's own tmpfs, so the cap holds whoever runs benchlab.

    Simulated: benchlab not being root. ``os.geteuid`` answers 1000 for this
    provider's whole life (the only place the provider asks); the engine, the
    container and the filling program are real. No work dir may appear on the host.
    """
    import tempfile

    from test_sandbox_adversarial import FILL_WORK_DIR, assert_work_dir_filled_to

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    provider = DockerSandbox(max_concurrency=1)
    provider.prepare()
    try:
        result = provider.run_sync(ExecRequest(["python3", "-c", FILL_WORK_DIR],
                                               limits=Limits(wall_seconds=20, workdir_bytes=16 * MiB, collect_bytes=1 * MiB)))
        assert_work_dir_filled_to(result, 16)
        roots = list(Path(tempfile.gettempdir()).glob(f"benchlab-run-{os.getpid()}-*"))
        assert roots  # the container's stdin folder
        for root in roots:
            assert not (root / "box").exists() and root.stat().st_mode & 0o777 == 0o711
        # Clean afterwards: the next job finds /box empty.
        assert provider.run_sync(ExecRequest(["sh", "-c", "ls -A /box | wc -l"])).stdout == "0\n"
    finally:
        provider.close()


def test_the_host_watchdog_kills_a_job_whose_runner_stopped_enforcing_its_time(pool: DockerSandbox, engine: Any) -> None:
    """The runner is frozen from the host (SIGSTOP on its host pid) while its job sleeps: neither it nor
    anything it would report is there, so the host's own deadline must kill the container."""
    import signal
    import threading

    from benchlab.sandboxes.launch import HOST_GRACE_S

    ok(pool, ["true"])  # a warm container whose runner we can find
    (listed,) = containers(engine)
    runner = int(engine.inspect_container(listed["Id"])["State"]["Pid"])
    results: list[Any] = []
    job = threading.Thread(target=lambda: results.append(pool.run_sync(ExecRequest(["sleep", "30"], limits=Limits(wall_seconds=2)))))
    started = time.monotonic()
    job.start()
    time.sleep(0.5)
    os.kill(runner, signal.SIGSTOP)
    job.join(timeout=60)
    elapsed = time.monotonic() - started
    (result,) = results
    assert result.sandbox_failure is None, result.detail
    assert result.timed_out and result.killed_reason == KilledReason.TIMEOUT
    assert 2 + HOST_GRACE_S - 0.5 <= elapsed < 2 + HOST_GRACE_S + 10
    assert wait_for(lambda: listed["Id"] not in {c["Id"] for c in containers(engine)})  # killed and removed, not reused
