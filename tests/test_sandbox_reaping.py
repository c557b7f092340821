"""Leftovers are reaped: a dead process's containers, cgroups and run dirs at the next start (a live
process's never), and a run's programs when the process running it is interrupted (Ctrl-C)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from sandbox_helpers import prepared_provider, processes_with

from benchlab.sandboxes import cgroups
from benchlab.sandboxes.bwrap_provider import BwrapSandbox
from benchlab.sandboxes.docker_provider import LABEL, OWNER_LABEL, DockerSandbox
from benchlab.sandboxes.workdir import PREFIX

REPO = Path(__file__).resolve().parent.parent


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_docker_reaps_containers_of_dead_owners_only() -> None:
    provider = prepared_provider("docker")
    image = provider._image  # the provider's own image: nothing is pulled
    import docker

    api = docker.from_env(timeout=30).api
    host = socket.gethostname()
    ids = {}
    for who, pid in (("dead", dead_pid()), ("alive", os.getpid())):
        ids[who] = api.create_container(image, ["sleep", "300"], labels={LABEL: "1", OWNER_LABEL: f"{host}:{pid}"})["Id"]
        api.start(ids[who])
    try:
        DockerSandbox().prepare()
        remaining = {c["Id"] for c in api.containers(all=True, filters={"label": f"{LABEL}=1"})}
        assert ids["dead"] not in remaining
        assert ids["alive"] in remaining  # another live benchlab's container is not ours to remove
    finally:
        for cid in ids.values():
            try:
                api.remove_container(cid, force=True)
            except docker.errors.NotFound:
                pass


def test_docker_reaps_containers_whose_owner_pid_was_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated: pid reuse (it cannot be forced). The owner label names a live process (a sleep),
    and ``process_start_time`` is made to say it started after the container was created, as a
    reused pid's process would have; with its true start time the container stays."""
    from benchlab.sandboxes import docker_provider

    provider = prepared_provider("docker")
    import docker

    api = docker.from_env(timeout=30).api
    owner = subprocess.Popen(["sleep", "300"])
    cid = api.create_container(provider._image, ["sleep", "300"],
                               labels={LABEL: "1", OWNER_LABEL: f"{socket.gethostname()}:{owner.pid}"})["Id"]
    try:
        DockerSandbox()._reap_dead_owners(api)
        assert cid in {c["Id"] for c in api.containers(all=True, filters={"label": f"{LABEL}=1"})}  # its true owner lives
        true_start = docker_provider.process_start_time
        # Only this owner looks reused: other processes' containers (other test sessions) are left alone.
        monkeypatch.setattr(docker_provider, "process_start_time", lambda pid: time.time() + 60 if pid == owner.pid else true_start(pid))
        DockerSandbox()._reap_dead_owners(api)
        assert cid not in {c["Id"] for c in api.containers(all=True, filters={"label": f"{LABEL}=1"})}
    finally:
        owner.kill()
        owner.wait()
        try:
            api.remove_container(cid, force=True)
        except docker.errors.NotFound:
            pass


def test_bwrap_reaps_cgroups_and_run_dirs_of_dead_owners_only() -> None:
    prepared_provider("bwrap")
    layout, why = cgroups.detect()
    assert layout is not None, why
    stale = cgroups.Cgroup(layout, f"{dead_pid()}-0")
    live = cgroups.Cgroup(layout, f"{os.getpid()}-999999")
    sleepers = []
    for group in (stale, live):
        for directory in group.dirs:
            directory.mkdir(parents=True)
        sleeper = subprocess.Popen(["sleep", "300"])
        sleepers.append(sleeper)
        for procs in group.procs_files:
            Path(procs).write_text(str(sleeper.pid))
    stale_dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{dead_pid()}-"))
    (stale_dir / "box").mkdir()
    live_dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    try:
        BwrapSandbox().prepare()
        assert sleepers[0].wait(timeout=5) == -signal.SIGKILL
        assert not any(d.exists() for d in stale.dirs)
        assert not stale_dir.exists()
        assert sleepers[1].poll() is None and all(d.exists() for d in live.dirs) and live_dir.exists()
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
        live.kill_all()
        live.remove()
        stale.kill_all()
        stale.remove()
        live_dir.rmdir()


@pytest.mark.parametrize("name", ["docker", "bwrap"])
def test_ctrl_c_kills_running_programs_and_exits_promptly(name: str) -> None:
    prepared_provider(name)
    marker = f"{time.time_ns() % 10**6 + 700}.5"
    script = textwrap.dedent(f"""
        import asyncio, sys
        from benchlab.sandbox_selection import choose_sandbox
        from benchlab.plugin_manager import load_plugins
        from benchlab.sandbox import ExecRequest, Limits

        provider = choose_sandbox(load_plugins().sandboxes, {name!r}).provider
        provider.prepare()

        async def main():
            runs = [provider.run(ExecRequest(["sleep", "{marker}"], limits=Limits(wall_seconds=120))) for _ in range(2)]
            print("started", flush=True)
            await asyncio.gather(*runs)

        asyncio.run(main())
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 30
    while len(processes_with(f"sleep {marker}")) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(processes_with(f"sleep {marker}")) == 2, "the programs never started"
    interrupted = time.monotonic()
    child.send_signal(signal.SIGINT)
    child.wait(timeout=30)
    assert time.monotonic() - interrupted < 10
    assert "KeyboardInterrupt" in child.stderr.read()
    deadline = time.monotonic() + 5
    while processes_with(f"sleep {marker}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(f"sleep {marker}") == []
    if name == "docker":
        import docker

        owner = f"{socket.gethostname()}:{child.pid}"
        left = [c for c in docker.from_env(timeout=30).api.containers(all=True, filters={"label": f"{LABEL}=1"})
                if (c.get("Labels") or {}).get(OWNER_LABEL) == owner]
        assert left == []
