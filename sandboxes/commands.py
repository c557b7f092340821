"""``benchlab sandbox doctor|build|exec``: what works here, build the image, run one command."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.sandbox import ExecRequest, Limits
from benchlab.sandbox_selection import choose_sandbox


def _progress(line: str) -> None:
    print(f"benchlab: sandbox: {line}", file=sys.stderr, flush=True)


def doctor(registry: Any, smoke: bool = True) -> int:
    """Print each provider's verdict (and a real run for the ready ones); 0 when one works.

    A provider "works" when it is available and, if its image is ready and ``smoke``
    is on, a real program ran in it as the unprivileged sandbox user.
    """
    from benchlab.sandboxes import rootfs

    choice = choose_sandbox(registry)
    working = 0
    for candidate in choice.candidates:
        availability = candidate.availability
        state = "ok" if availability.ok else "no"
        print(f"{candidate.name:<8} {state:<3} {availability.reason}")
        if not availability.ok:
            if availability.fix:
                print(f"{'':<12}fix: {availability.fix}")
            continue
        if smoke and candidate.ready:
            passed, line = _smoke(registry, candidate.name)
            print(f"{'':<12}{line}")
            if not passed:
                continue
        working += 1
    manifest = rootfs.read_manifest()
    tarball = rootfs.tarball_path()
    if tarball.is_file():
        versions = manifest.get("packages", {}) if isinstance(manifest.get("packages"), dict) else {}
        shown = ", ".join(f"{p} {versions[p]}" for p in ("python3", "nodejs", "g++", "openjdk-17-jdk-headless", "rustc", "golang-go") if p in versions)
        print(f"root filesystem {rootfs.recipe_hash()}: {tarball} ({tarball.stat().st_size // 2**20} MiB); {shown}")
    else:
        print(f"root filesystem {rootfs.recipe_hash()}: not built yet ({tarball})")
    if choice.provider is None:
        print(choice.unavailable_detail())
    else:
        print(f"default: {choice.reason}")
    return 0 if working else 1


def _smoke(registry: Any, name: str) -> tuple[bool, str]:
    provider = registry.get(name)()
    request = ExecRequest(["python3", "-c", "import os; print(os.getuid())"], limits=Limits(wall_seconds=20))
    started = time.monotonic()
    try:
        result = provider.run_sync(request)
    finally:
        provider.close()
    elapsed = time.monotonic() - started
    if result.sandbox_failure is not None:
        return False, f"smoke run FAILED: {result.sandbox_failure.value}: {result.detail}"
    if result.exit_code != 0 or result.stdout.strip() != "65534":
        return False, f"smoke run FAILED: exit {result.exit_code}, stdout {result.stdout[:80]!r}, stderr {result.stderr[-200:]!r}"
    return True, f"smoke run: python3 as uid 65534 in {elapsed:.2f} s"


def build(registry: Any, force: bool = False, only: str | None = None) -> int:
    """Build or refresh the root filesystem, then the image of each provider that can run here."""
    from benchlab.sandboxes import rootfs
    from benchlab.sandbox import SandboxSetupError

    if only and only not in registry:  # before debootstrap, which would otherwise take the blame
        raise BenchlabError("--sandbox: " + registry.unknown_message(only))
    names = [only] if only else [entry.name for entry in registry]
    try:
        if force:
            _discard_built(names)
        rootfs.ensure_tarball(_progress, force=force)
        built = 0
        for name in names:
            provider = registry.get(name)()
            availability = provider.available()
            if not availability.ok:
                _progress(f"{name}: skipped: {availability.reason}")
                continue
            provider.prepare(_progress)
            _progress(f"{name}: ready")
            # An unconfined stand-in is no sandbox: it does not count as one built.
            built += not provider.explicit_only
    except SandboxSetupError as exc:
        raise BenchlabError(f"sandbox build failed: {exc}") from None
    if only and not built:
        raise BenchlabError(f"sandbox {only!r} cannot run here, so nothing was built for it")
    if not built:
        raise BenchlabError("no sandbox provider can run here, so no image was built (the root filesystem archive is ready); "
                            "`benchlab sandbox doctor` says why each cannot run")
    return 0


def _discard_built(names: list[str]) -> None:
    """--force: forget the image and the unpacked tree so both are made again from a fresh tarball."""
    from benchlab.sandboxes import rootfs

    if "bwrap" in names and rootfs.unpacked_dir().is_dir():
        _progress(f"removing {rootfs.unpacked_dir()}")
        rootfs.remove_tree(rootfs.unpacked_dir())
    if "docker" in names:
        try:
            import docker

            from benchlab.sandboxes.docker_image import image_tag

            docker.from_env(timeout=30).api.remove_image(image_tag(), force=True)
            _progress(f"removed the image {image_tag()}")
        except Exception:
            pass  # no engine or no image: nothing to discard


def exec_command(registry: Any, command: list[str], sandbox: str | None, files: list[Path], wall: float, stdin: bool,
                 unsafe_local: bool = False) -> int:
    """Run one command in a sandbox (for trying things out).

    0 when the program ran and exited 0; 1 otherwise (benchlab's exit-code contract:
    the program's own code, or why it was stopped, is in the summary line on stderr).
    """
    choice = choose_sandbox(registry, sandbox, unsafe_local=unsafe_local)
    if choice.provider is None:
        raise BenchlabError(choice.unavailable_detail())
    if getattr(choice.provider, "explicit_only", False):
        _progress(f"UNCONFINED: {choice.reason}")
    contents = {}
    for path in files:
        try:
            contents[path.name] = path.read_bytes()
        except OSError as exc:
            raise BenchlabError(f"--file {path}: {exc.strerror}") from None
    data = sys.stdin.buffer.read() if stdin else None
    try:
        request = ExecRequest(command, files=contents, stdin=data, limits=Limits(wall_seconds=wall))
    except ValueError as exc:
        raise BenchlabError(str(exc)) from None
    try:
        result = choice.provider.run_sync(request)
    finally:
        choice.provider.close()
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    notes = [f"provider {result.provider}", f"{result.duration_s:.2f} s", f"exit {result.exit_code}"]
    if result.killed_reason:
        notes.append(f"killed: {result.killed_reason.value}")
    if result.truncated:
        notes.append("output truncated")
    if result.sandbox_failure:
        notes.append(f"{result.sandbox_failure.value}: {result.detail}")
    _progress("; ".join(notes))
    return 0 if result.sandbox_failure is None and result.exit_code == 0 and not result.killed_reason else 1
