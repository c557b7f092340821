"""Per-execution cgroups for the bubblewrap provider: memory, pids and CPU limits, OOM and fork accounting.

cgroup v1 (one hierarchy per controller, as on this machine) and v2 (one unified
tree) are both handled. Groups live under ``benchlab/`` and are named
``<owner pid>-<n>`` so that groups of a dead process can be reaped later.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

from benchlab.sandbox import Limits
from benchlab.sandboxes.cache import pid_alive

PARENT = "benchlab"
CPU_PERIOD_US = 100_000
_counter = itertools.count()


class Layout:
    """Where the controllers are mounted: v1 ``{controller: mount}`` or a v2 mount."""

    def __init__(self, v1: dict[str, Path] | None = None, v2: Path | None = None) -> None:
        self.v1 = v1 or {}
        self.v2 = v2

    @property
    def version(self) -> int:
        return 2 if self.v2 is not None else 1

    def parents(self) -> list[Path]:
        if self.v2 is not None:
            return [self.v2 / PARENT]
        return [mount / PARENT for mount in self.v1.values()]


def detect() -> tuple[Layout | None, str]:
    """The usable layout, or (None, why not)."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError as exc:
        return None, f"cannot read mounts: {exc}"
    for line in mountinfo:
        fields = line.split()
        if " - " not in line:
            continue
        after = line.split(" - ", 1)[1].split()
        fstype, options = after[0], after[2] if len(after) > 2 else ""
        if fstype == "cgroup":
            for controller in ("memory", "pids", "cpu"):
                if controller in options.split(","):
                    v1.setdefault(controller, Path(fields[4]))
        elif fstype == "cgroup2" and v2 is None:
            v2 = Path(fields[4])
    if "memory" in v1 and "pids" in v1:
        return Layout(v1=v1), ""
    if v2 is not None:
        try:
            controllers = (v2 / "cgroup.controllers").read_text().split()
        except OSError:
            controllers = []
        if "memory" in controllers and "pids" in controllers:
            return Layout(v2=v2), ""
    return None, "no cgroup memory and pids controllers are mounted"


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def _enable_v2_controllers(layout: Layout) -> None:
    assert layout.v2 is not None
    wanted = [c for c in ("memory", "pids", "cpu") if c in (layout.v2 / "cgroup.controllers").read_text().split()]
    parent = layout.v2 / PARENT
    parent.mkdir(exist_ok=True)
    for group in (layout.v2, parent):
        enabled = (group / "cgroup.subtree_control").read_text().split()
        for controller in (c for c in wanted if c not in enabled):
            try:
                _write(group / "cgroup.subtree_control", f"+{controller}")
            except OSError:
                if controller != "cpu":  # the CPU limit is a nicety; memory and pids are the containment
                    raise


class Cgroup:
    """One execution's group(s). The child joins by writing its pid into ``procs_files``."""

    def __init__(self, layout: Layout, name: str) -> None:
        self.layout = layout
        self.name = name
        self.dirs = [parent / name for parent in layout.parents()]

    @classmethod
    def create(cls, layout: Layout, limits: Limits) -> Cgroup:
        group = cls(layout, f"{os.getpid()}-{next(_counter)}")
        if layout.v2 is not None:
            _enable_v2_controllers(layout)
        try:
            for directory in group.dirs:
                directory.parent.mkdir(exist_ok=True)
                directory.mkdir()
            group._set_limits(limits)
        except OSError:
            group.remove()
            raise
        return group

    def _set_limits(self, limits: Limits) -> None:
        quota = int(limits.cpus * CPU_PERIOD_US)
        if self.layout.v2 is not None:
            directory = self.dirs[0]
            _write(directory / "memory.max", str(limits.memory_bytes))
            if (directory / "memory.swap.max").exists():
                _write(directory / "memory.swap.max", "0")
            _write(directory / "pids.max", str(limits.pids))
            if (directory / "cpu.max").exists():
                _write(directory / "cpu.max", f"{quota} {CPU_PERIOD_US}")
            return
        memory, pids = self._v1("memory"), self._v1("pids")
        _write(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():
            # memsw must be set after the memory limit: the kernel keeps memsw >= memory.
            _write(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
        _write(pids / "pids.max", str(limits.pids))
        if "cpu" in self.layout.v1:
            _write(self._v1("cpu") / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(self._v1("cpu") / "cpu.cfs_quota_us", str(quota))

    def _v1(self, controller: str) -> Path:
        return self.layout.v1[controller] / PARENT / self.name

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def _read(self, controller: str, filename: str) -> str:
        directory = self.dirs[0] if self.layout.v2 is not None else self._v1(controller)
        try:
            return (directory / filename).read_text()
        except OSError:
            return ""

    def oom_killed(self) -> bool:
        text = self._read("memory", "memory.events" if self.layout.v2 is not None else "memory.oom_control")
        return _counter_value(text, "oom_kill") > 0

    def pids_hit(self) -> bool:
        return _counter_value(self._read("pids", "pids.events"), "max") > 0

    def pids(self) -> set[int]:
        found: set[int] = set()
        for directory in self.dirs:
            try:
                found.update(int(p) for p in (directory / "cgroup.procs").read_text().split())
            except OSError:
                continue
        return found

    def kill_all(self, within_s: float = 5.0) -> bool:
        """SIGKILL everything inside until the group is empty; True when it is."""
        kill_file = self.dirs[0] / "cgroup.kill"
        if self.layout.v2 is not None and kill_file.exists():
            try:
                _write(kill_file, "1")
            except OSError:
                pass
        deadline = time.monotonic() + within_s
        while True:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def remove(self) -> bool:
        """rmdir every group (retrying while killed tasks finish exiting)."""
        left = list(self.dirs)
        deadline = time.monotonic() + 2.0
        while left:
            for directory in list(left):
                try:
                    directory.rmdir()
                    left.remove(directory)
                except FileNotFoundError:
                    left.remove(directory)
                except OSError:
                    pass
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        return not left


def _counter_value(text: str, key: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return 0


def reap_stale(layout: Layout) -> int:
    """Kill and remove groups left by processes that died; returns how many went."""
    names: set[str] = set()
    for parent in layout.parents():
        if parent.is_dir():
            names.update(entry.name for entry in parent.iterdir() if entry.is_dir())
    reaped = 0
    for name in names:
        owner = name.split("-", 1)[0]
        if owner.isdigit() and not pid_alive(int(owner)):
            group = Cgroup(layout, name)
            group.kill_all()
            reaped += group.remove()
    return reaped


def probe(layout: Layout) -> str:
    """Empty string when we can create and remove a group with limits, else why not."""
    try:
        group = Cgroup.create(layout, Limits())
    except OSError as exc:
        return f"cannot create a cgroup under {layout.parents()[0]}: {exc.strerror or exc}"
    group.remove()
    return ""
