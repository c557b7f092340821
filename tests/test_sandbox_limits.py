"""The default limits (1 GiB memory, 64 processes, 1 CPU) as the kernel holds them, on both providers.

A real job sleeps in the sandbox while the test finds it among the host's
processes and reads its cgroup's limit files from the host side (cgroup v1 or
v2), so nothing inside the sandbox is trusted to report them.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from benchlab.sandbox import GiB, ExecRequest, Limits
from sandbox_helpers import PROVIDERS, prepared_provider, processes_with

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_limits(pid: int) -> dict[str, int | None]:
    """memory, pids and CPU quota (in CPUs, None = unlimited) of ``pid``'s cgroup, read on the host."""
    paths: dict[str, str] = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path.lstrip("/")
    if "memory" not in paths:  # cgroup v2: one unified hierarchy
        directory = CGROUP_ROOT / paths[""]
        quota, period = (directory / "cpu.max").read_text().split()
        return {
            "memory": int((directory / "memory.max").read_text()),
            "pids": int((directory / "pids.max").read_text()),
            "cpus": None if quota == "max" else int(quota) / int(period),
        }
    cpu = CGROUP_ROOT / "cpu" / paths.get("cpu", paths.get("cpuacct", ""))
    quota = int((cpu / "cpu.cfs_quota_us").read_text())
    return {
        "memory": int((CGROUP_ROOT / "memory" / paths["memory"] / "memory.limit_in_bytes").read_text()),
        "pids": int((CGROUP_ROOT / "pids" / paths["pids"] / "pids.max").read_text()),
        "cpus": None if quota < 0 else quota / int((cpu / "cpu.cfs_period_us").read_text()),
    }


@pytest.mark.parametrize("name", PROVIDERS)
def test_default_limits_are_what_the_kernel_enforces(name: str) -> None:
    assert (Limits().memory_bytes, Limits().pids, Limits().cpus) == (1 * GiB, 64, 1.0)
    provider = prepared_provider(name)
    script = f"import time; time.sleep(6)  # limits-{uuid.uuid4().hex}"
    results = []
    job = threading.Thread(target=lambda: results.append(provider.run_sync(ExecRequest(["python3", "-c", script], limits=Limits(wall_seconds=20)))))
    job.start()
    try:
        deadline = time.monotonic() + 10
        pids: list[int] = []
        while not pids and time.monotonic() < deadline:
            pids = processes_with(f"python3 -c {script}")
            time.sleep(0.05)
        assert pids, "the job never showed up among the host's processes"
        limits = cgroup_limits(pids[0])
    finally:
        job.join(timeout=30)
    assert results and results[0].ok, results
    assert limits["memory"] == 1 * GiB
    assert limits["pids"] == 64
    assert limits["cpus"] == pytest.approx(min(1.0, os.cpu_count() or 1))
