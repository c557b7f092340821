"""A Docker container's cgroup as the host sees it: its processes, OOM kills and refused forks.

Read from the host's cgroup files, found through ``/proc/<pid>/cgroup`` of the
container's first process, so nothing running inside the container can forge
them. Where the host cannot see them (a remote engine, a rootless one) ``find``
answers None and the caller asks the engine instead.
"""

from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


class ContainerCgroup:
    """The pids and memory cgroup directories of one container (one directory on cgroup v2)."""

    def __init__(self, pids_dir: Path, memory_dir: Path, unified: bool) -> None:
        self.pids_dir = pids_dir
        self.memory_dir = memory_dir
        self.unified = unified

    @classmethod
    def find(cls, host_pid: int) -> ContainerCgroup | None:
        """The cgroup of the host process ``host_pid``, if its pids and memory files are readable here."""
        try:
            lines = Path(f"/proc/{host_pid}/cgroup").read_text().splitlines()
        except OSError:
            return None
        v1: dict[str, str] = {}
        unified_path = None
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if controllers == "":
                unified_path = path
            for controller in controllers.split(","):
                v1[controller] = path
        found: ContainerCgroup | None = None
        if "pids" in v1 and "memory" in v1:
            found = cls(CGROUP_ROOT / "pids" / v1["pids"].lstrip("/"), CGROUP_ROOT / "memory" / v1["memory"].lstrip("/"), False)
        elif unified_path is not None and (CGROUP_ROOT / "cgroup.controllers").exists():
            directory = CGROUP_ROOT / unified_path.lstrip("/")
            found = cls(directory, directory, True)
        if found is None or found.procs() is None or found.oom_kills() is None:
            return None
        return found

    def procs(self) -> list[int] | None:
        """Every process in the container (host pids), or None if the file is gone."""
        try:
            return sorted(int(pid) for pid in (self.pids_dir / "cgroup.procs").read_text().split())
        except OSError:
            return None

    def oom_kills(self) -> int | None:
        """How many processes the OOM killer has killed in this cgroup so far."""
        name = "memory.events" if self.unified else "memory.oom_control"
        return _counter(self.memory_dir / name, "oom_kill")

    def refused_forks(self) -> int:
        """How many forks the pids limit has refused so far (0 where the kernel does not say)."""
        return _counter(self.pids_dir / "pids.events", "max") or 0


def _counter(path: Path, key: str) -> int | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return None
