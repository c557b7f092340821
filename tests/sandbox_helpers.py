"""Helpers for the sandbox tests: real providers built once per session, leftover checks.

A provider that cannot run here is skipped, except under CI (``CI`` set), where
the suite's set-up installs Docker, bubblewrap and debootstrap: there a missing
one fails the test instead of passing quietly.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path
from typing import Iterator

from benchlab.sandbox import Sandbox
from conftest import require_or_skip

PROVIDERS = ("docker", "bwrap")


def require(ok: bool, reason: str) -> None:
    """Skip (or, under CI, fail) unless ``ok``."""
    if not ok:
        require_or_skip(reason)


def no_sandbox_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a benchlab subprocess in which neither docker (no engine at DOCKER_HOST)
    nor bubblewrap (not on PATH) can run, so no sandbox can be chosen."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    return {"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock", "PATH": str(empty)}


def prepared_sandbox(order: tuple[str, ...] = ("bwrap", "docker"), max_concurrency: int = 4) -> Iterator[Sandbox]:
    """Yield the first provider in ``order`` that can run and be prepared, then close it (a fixture body)."""
    from benchlab.plugin_manager import load_plugins
    from benchlab.sandbox import SandboxSetupError

    registry = load_plugins([]).sandboxes
    reasons = []
    for name in order:
        if name not in registry:
            continue
        provider = registry.get(name)(max_concurrency=max_concurrency)
        availability = provider.available()
        if not availability.ok:
            reasons.append(f"{name}: {availability.reason}")
            continue
        try:
            provider.prepare()
        except SandboxSetupError as exc:
            reasons.append(f"{name}: {exc}")
            continue
        yield provider
        provider.close()
        return
    require(False, "no sandbox can run here: " + "; ".join(reasons))


def _new_provider(name: str, **options: object) -> Sandbox:
    if name == "docker":
        from benchlab.sandboxes.docker_provider import DockerSandbox

        return DockerSandbox(**options)  # type: ignore[arg-type]
    from benchlab.sandboxes.bwrap_provider import BwrapSandbox

    return BwrapSandbox(**options)  # type: ignore[arg-type]


def _progress(line: str) -> None:
    # Shown with -s; the root filesystem build takes a couple of minutes the first time.
    print(f"[sandbox build] {line}", file=sys.stderr, flush=True)


@functools.cache
def _prepared(name: str) -> tuple[Sandbox | None, str]:
    """One prepared provider per session (the image is built at most once, then cached on disk)."""
    provider = _new_provider(name, max_concurrency=4)
    availability = provider.available()
    if not availability.ok:
        return None, f"sandbox {name} cannot run here: {availability.reason} (fix: {availability.fix})"
    from benchlab.sandbox import SandboxSetupError

    try:
        provider.prepare(_progress)
    except SandboxSetupError as exc:
        return None, f"sandbox {name} could not be prepared: {exc}"
    return provider, ""


def prepared_provider(name: str) -> Sandbox:
    provider, why = _prepared(name)
    require(provider is not None, why)
    assert provider is not None
    return provider


def _sandbox_process(proc: Path, ours: str) -> str | None:
    """A description of ``proc`` if it is a live sandbox process that is ours or escaped its cgroup."""
    from benchlab.sandboxes.bwrap_provider import SLOTS, UID_BASE

    try:
        status = (proc / "status").read_text()
        groups = (proc / "cgroup").read_text()
    except OSError:
        return None
    if "\nState:\tZ" in status or "\nState:\tX" in status:
        return None
    uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "")
    uids = [int(u) for u in uid_line.split()[1:]]
    if not any(UID_BASE <= uid < UID_BASE + SLOTS for uid in uids):  # not the probe uid
        return None
    if ours in groups or "/benchlab/" not in groups:
        state = next((line for line in status.splitlines() if line.startswith("State:")), "")
        return f"pid {proc.name} uid {uids[0]} {state} cgroups {groups.split()}"
    return None


def leftover_processes() -> list[str]:
    """Live processes of this test process's bubblewrap runs (there should be none between runs).

    A sandbox process is recognised by its slot uid; it is ours when its cgroup is one
    of ours (``benchlab/<our pid>-N``). One with a slot uid outside any benchlab cgroup
    escaped its limits and is reported whoever started it. Other test sessions on the
    same machine run sandboxes too: theirs are not ours to judge. Zombies are not
    counted: bubblewrap's namespace init is reparented to the host's init when bwrap
    exits, and is reaped whenever that init gets to it. A process that is exiting has
    already been moved to the root cgroup (cgroup v1) for a moment, so a candidate
    counts only if it is still there on a second look.
    """
    ours = f"/benchlab/{os.getpid()}-"
    first = {proc: found for proc in Path("/proc").glob("[0-9]*") if (found := _sandbox_process(proc, ours))}
    if not first:
        return []
    time.sleep(0.2)
    return [found for proc in first if (found := _sandbox_process(proc, ours))]


def leftover_cgroups() -> list[str]:
    """This process's bwrap cgroups still present."""
    from benchlab.sandboxes import cgroups

    layout, _ = cgroups.detect()
    if layout is None:
        return []
    prefix = f"{os.getpid()}-"
    return [str(p / child.name) for p in layout.parents() if p.is_dir() for child in p.iterdir()
            if child.is_dir() and child.name.startswith(prefix)]


def leftover_containers() -> list[str]:
    """Labelled sandbox containers owned by this process, except warm pool containers proven idle and clean.

    The docker provider keeps one container per concurrency slot between runs
    (labelled ``benchlab.pool=1``). Such a container is not a leftover only when,
    asked from outside (the engine and the host, not the provider), it is running
    a single process (its runner: nothing a run started is still alive) and, when
    we are root, its work dir (a tmpfs), /tmp and /dev/shm are empty.
    """
    try:
        import docker

        api = docker.from_env(timeout=5).api
        containers = api.containers(all=True, filters={"label": "benchlab.sandbox=1"})
    except Exception:
        return []
    import socket

    owner = f"{socket.gethostname()}:{os.getpid()}"
    mine = [c for c in containers if (c.get("Labels") or {}).get("benchlab.owner") == owner]
    return [c["Id"][:12] for c in mine if not _idle_clean_pool_container(api, c)]


def _idle_clean_pool_container(api: object, container: dict) -> bool:
    if (container.get("Labels") or {}).get("benchlab.pool") != "1" or container.get("State") != "running":
        return False
    try:
        processes = api.top(container["Id"])["Processes"] or []  # type: ignore[attr-defined]
        details = api.inspect_container(container["Id"])  # type: ignore[attr-defined]
    except Exception:
        return False  # gone meanwhile, or not answering: not proven clean
    if len(processes) != 1:
        return False
    # The work dir /box is the container's own tmpfs, like /tmp: seen from the host through /proc/PID/root.
    if "/box" not in (details.get("HostConfig", {}).get("Tmpfs") or {}):
        return False
    if os.geteuid() == 0:
        root = Path(f"/proc/{details['State']['Pid']}/root")
        if any((root / inside).is_dir() and os.listdir(root / inside) for inside in ("box", "tmp", "dev/shm")):
            return False
    return True


def processes_with(command_line: str) -> list[int]:
    """Live pids whose whole command line is ``command_line`` (not launchers that merely carry it)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "cmdline").read_bytes().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text == command_line:
            found.append(int(proc.name))
    return found
