"""Helpers for the sandbox tests: real providers built once per session, leftover checks.

A provider that cannot run here is skipped, except under CI (``CI`` set), where
the suite's set-up installs Docker, bubblewrap and debootstrap: there a missing
one fails the test instead of passing quietly.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest

from benchlab.sandboxes.api import Sandbox

PROVIDERS = ("docker", "bwrap")


def require(ok: bool, reason: str) -> None:
    """Skip (or, under CI, fail) unless ``ok``."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: a missing requirement fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


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
    from benchlab.sandboxes.api import SandboxSetupError

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


def leftover_processes() -> list[str]:
    """Live processes of this test process's bubblewrap runs (there should be none between runs).

    A sandbox process is recognised by its slot uid; it is ours when its cgroup is one
    of ours (``benchlab/<our pid>-N``). One with a slot uid outside any benchlab cgroup
    escaped its limits and is reported whoever started it. Other test sessions on the
    same machine run sandboxes too: theirs are not ours to judge. Zombies are not
    counted: bubblewrap's namespace init is reparented to the host's init when bwrap
    exits, and is reaped whenever that init gets to it.
    """
    from benchlab.sandboxes.bwrap_provider import SLOTS, UID_BASE

    ours = f"/benchlab/{os.getpid()}-"
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            status = (proc / "status").read_text()
            groups = (proc / "cgroup").read_text()
        except OSError:
            continue
        if "\nState:\tZ" in status:
            continue
        uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "")
        uids = [int(u) for u in uid_line.split()[1:]]
        if not any(UID_BASE <= uid < UID_BASE + SLOTS for uid in uids):  # not the probe uid
            continue
        if ours in groups or "/benchlab/" not in groups:
            found.append(f"pid {proc.name} uid {uids[0]}")
    return found


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
    """Labelled sandbox containers owned by this process."""
    try:
        import docker

        api = docker.from_env(timeout=5).api
        containers = api.containers(all=True, filters={"label": "benchlab.sandbox=1"})
    except Exception:
        return []
    import socket

    owner = f"{socket.gethostname()}:{os.getpid()}"
    return [c["Id"][:12] for c in containers if (c.get("Labels") or {}).get("benchlab.owner") == owner]


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains ``marker``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in text and int(cmdline.parent.name) != os.getpid():
            found.append(int(cmdline.parent.name))
    return found
