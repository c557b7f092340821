"""The root filesystem both providers run on: a Debian bookworm made with debootstrap.

Built once (it needs root and the Debian mirror from the machine's apt sources),
kept as a zstd tarball in the cache dir and named by a hash of the recipe, so it is
rebuilt only when the recipe changes. Docker imports the tarball; bubblewrap binds
an unpacked copy read-only as ``/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

from benchlab.sandbox import SandboxSetupError
from benchlab.cache import CacheLock
from benchlab.codec import dumps, with_version
from benchlab.heartbeat import keep_alive
from benchlab.sandboxes.cache import sandbox_cache_dir, traversable_by_others

SUITE = "bookworm"
VARIANT = "minbase"
# What model-written code may need. golang-go adds about 470 MB and 20 s to a build: worth it.
# python3-aiohttp is for async Python tasks checked against a server inside the sandbox.
PACKAGES = (
    "python3", "python3-aiohttp", "nodejs", "g++", "make", "default-jdk-headless", "rustc", "cargo",
    "golang-go", "coreutils", "bash", "procps",
)
# Installed by apt inside the tree after debootstrap: debootstrap --include does not resolve
# these packages' virtual dependencies (librust-tokio-dev needs librust-mio-0.8+net-dev, ...).
APT_PACKAGES = ("librust-tokio-dev", "librust-futures-dev")
# The crates compiled once into the image, offline against Debian's vendored sources, so a
# check compiles only the answer (benchlab.sandbox_programs.RUST_CRATES says where they go).
CRATES_MANIFEST = """\
[package]
name = "benchlab-crates"
version = "0.0.0"
edition = "2021"

[dependencies]
tokio = { version = "1", features = ["rt", "rt-multi-thread", "time", "sync", "macros", "test-util"] }
futures = "0.3"
"""
CARGO_CONFIG = """\
[source.crates-io]
replace-with = "debian-packages"

[source.debian-packages]
directory = "/usr/share/cargo/registry"
"""
# Bump when the steps after debootstrap change what ends up in the tarball.
POST_STEPS_VERSION = 2
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_PACKAGES = "debootstrap zstd bubblewrap"
BUILD_TIMEOUT_S = 1800

Progress = Callable[[str], None]


def recipe() -> dict[str, object]:
    """Everything that decides the tarball's contents (the mirror does not: same suite, same packages)."""
    return {"suite": SUITE, "variant": VARIANT, "packages": sorted(PACKAGES), "post": POST_STEPS_VERSION,
            "apt_packages": sorted(APT_PACKAGES), "crates": CRATES_MANIFEST}


def recipe_hash() -> str:
    return hashlib.sha256(json.dumps(recipe(), sort_keys=True).encode()).hexdigest()[:12]


def tarball_path() -> Path:
    return sandbox_cache_dir() / f"rootfs-{recipe_hash()}.tar.zst"


def manifest_path() -> Path:
    return sandbox_cache_dir() / f"rootfs-{recipe_hash()}.json"


def unpacked_dir() -> Path:
    """Where bubblewrap's copy lives: it must be reachable by unprivileged uids (root's home is not)."""
    base = sandbox_cache_dir()
    if not traversable_by_others(base):
        base = Path("/var/lib/benchlab")
    return base / f"rootfs-{recipe_hash()}"


def read_manifest() -> dict[str, object]:
    try:
        return json.loads(manifest_path().read_text())
    except (OSError, ValueError):
        return {}


def build_problem() -> tuple[str, str] | None:
    """Why this machine cannot build the tarball, with the fix; None when it can."""
    if os.geteuid() != 0:
        return "building the root filesystem needs root", "sudo benchlab sandbox build"
    missing = [tool for tool in ("debootstrap", "zstd", "tar") if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed", f"apt-get install -y {HOST_PACKAGES}"
    return None


def debian_mirror() -> str:
    """``$BENCHLAB_DEBIAN_MIRROR``, else the first apt source serving ``SUITE``, else deb.debian.org."""
    explicit = os.environ.get("BENCHLAB_DEBIAN_MIRROR")
    if explicit:
        return explicit
    entries: list[tuple[str, list[str]]] = []
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        entries += _deb822_entries(text) if path.suffix == ".sources" else _one_line_entries(text)
    for uri, suites in entries:
        if SUITE in suites:
            return uri.rstrip("/")
    return DEFAULT_MIRROR


def _one_line_entries(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for line in text.splitlines():
        line = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
        if len(line) >= 3 and line[0] == "deb":
            found.append((line[1], [line[2]]))
    return found


def _deb822_entries(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" in fields.get("types", "").split():
            suites = fields.get("suites", "").split()
            found += [(uri, suites) for uri in fields.get("uris", "").split()]
    return found


def ensure_tarball(progress: Progress, *, force: bool = False) -> Path:
    """The cached tarball, built first if missing (or if ``force``)."""
    target = tarball_path()
    if target.is_file() and not force:
        return target
    with CacheLock(sandbox_cache_dir() / "build.lock", on_wait=lambda _: progress("waiting for another build to finish")):
        if target.is_file() and not force:
            return target
        problem = build_problem()
        if problem is not None:
            raise SandboxSetupError(f"{problem[0]}; fix: {problem[1]}")
        _build(target, progress)
    prune_stale(progress)
    return target


def _build(target: Path, progress: Progress) -> None:
    work = Path(tempfile.mkdtemp(prefix="build-", dir=target.parent))
    root = work / "rootfs"
    try:
        mirror = debian_mirror()
        started = time.monotonic()
        progress(f"building the root filesystem {recipe_hash()} (debootstrap {SUITE} from {mirror}; about 1-2 min)")
        _debootstrap(root, mirror, progress)
        _install_crates(root, progress)
        packages = _finish_tree(root)
        progress(f"tree built (debootstrap, apt, crates) in {time.monotonic() - started:.0f} s; packing {target.name}")
        partial = work / "rootfs.tar.zst"
        with keep_alive(progress, f"packing {target.name}"):
            _pack(root, partial)
        manifest = {
            "recipe": recipe(), "hash": recipe_hash(), "mirror": mirror,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.monotonic() - started, 1),
            "tarball_bytes": partial.stat().st_size, "packages": packages,
        }
        manifest_path().write_text(json.dumps(with_version(manifest), indent=1, sort_keys=True) + "\n")
        os.replace(partial, target)
        progress(f"root filesystem ready: {target} ({manifest['tarball_bytes'] // 2**20} MiB, "
                 f"{manifest['build_seconds']} s)")
    finally:
        remove_tree(work)


def _debootstrap(root: Path, mirror: str, progress: Progress) -> None:
    cmd = ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(PACKAGES)}", SUITE, str(root), mirror]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    assert proc.stdout is not None
    watchdog = threading.Timer(BUILD_TIMEOUT_S, proc.kill)
    watchdog.start()
    # Resolving dependencies or configuring a large package can print nothing for a long while.
    try:
        with keep_alive(progress, "debootstrap") as say:
            tail = _follow(proc.stdout, say)
            code = proc.wait()
    finally:
        watchdog.cancel()
    if code != 0:
        raise SandboxSetupError(f"debootstrap failed with exit code {code}: {' | '.join(tail[-5:])}")


def _install_crates(root: Path, progress: Progress) -> None:
    """apt-get the APT_PACKAGES inside the tree (with the mirror debootstrap configured there),
    then build the crates once with cargo offline and keep their rlibs under RUST_CRATES."""
    from benchlab.sandbox_programs import RUST_CRATE_NAMES, RUST_CRATES

    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root", "LANG": "C.UTF-8"}
    _in_tree(root, ["apt-get", "update"], env, progress, "apt-get update")
    _in_tree(root, ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES], env, progress,
             f"apt-get install {' '.join(APT_PACKAGES)}")
    project = root / "tmp/benchlab-crates"
    (project / "src").mkdir(parents=True, exist_ok=True)
    (project / ".cargo").mkdir(exist_ok=True)
    (project / "Cargo.toml").write_text(CRATES_MANIFEST)
    (project / ".cargo/config.toml").write_text(CARGO_CONFIG)
    (project / "src/lib.rs").write_text("".join(f"pub use {name};\n" for name in RUST_CRATE_NAMES))
    cargo_env = {**env, "CARGO_HOME": "/tmp/benchlab-crates/.cargo-home"}
    _in_tree(root, ["sh", "-c", "cd /tmp/benchlab-crates && cargo build --release --offline"], cargo_env, progress,
             "cargo build (tokio, futures)")
    built = project / "target/release/deps"
    target = root / RUST_CRATES.lstrip("/")
    shutil.copytree(built, target / "deps", ignore=shutil.ignore_patterns("*.d", "*benchlab_crates*"))
    for name in RUST_CRATE_NAMES:
        found = sorted(built.glob(f"lib{name}-*.rlib"))
        if len(found) != 1:
            raise SandboxSetupError(f"cargo built {len(found)} rlibs for {name} (expected one): {found}")
        shutil.copy2(found[0], target / f"lib{name}.rlib")
    remove_tree(project)
    for cache in (root / "var/cache/apt/archives", root / "var/lib/apt/lists"):
        for entry in cache.glob("*"):
            if entry.is_file() and not entry.is_symlink():
                entry.unlink()


def _in_tree(root: Path, argv: list[str], env: dict[str, str], progress: Progress, what: str) -> None:
    """Run ``argv`` chrooted into the tree, with /proc mounted for it; raise on failure."""
    (root / "proc").mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=False, capture_output=True)
    try:
        with keep_alive(progress, what):
            proc = subprocess.run(["chroot", str(root), *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace", timeout=BUILD_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise SandboxSetupError(f"{what} in the root filesystem ran past {BUILD_TIMEOUT_S} s") from None
    finally:
        _unmount_under(root)
    if proc.returncode != 0:
        tail = [line for line in proc.stdout.splitlines() if line.strip()][-5:]
        raise SandboxSetupError(f"{what} in the root filesystem failed with exit code {proc.returncode}: {' | '.join(tail)}")
    progress(f"  {what}: done")


# debootstrap prints one line per package in these phases: show a sample every few seconds.
_PER_PACKAGE = {"Retrieving", "Validating", "Extracting", "Unpacking", "Configuring"}


def _follow(lines: Iterable[str], progress: Progress) -> list[str]:
    """Forward debootstrap's output, condensing the per-package lines; return the tail."""
    tail: list[str] = []
    counts: dict[str, int] = {}
    last_report = 0.0
    for line in lines:
        line = line.rstrip()
        tail = (tail + [line])[-15:]
        text = line[3:] if line.startswith("I: ") else line
        word = text.split(" ", 1)[0]
        if word not in _PER_PACKAGE:
            progress(f"  {text}")
            continue
        counts[word] = counts.get(word, 0) + 1
        if time.monotonic() - last_report >= 3:
            progress(f"  {text} ({counts[word]} so far)")
            last_report = time.monotonic()
    return tail


def _finish_tree(root: Path) -> dict[str, str]:
    """Trim the tree, add the mount points the providers need, strip setuid bits; list packages."""
    _unmount_under(root)
    for cache in (root / "var/cache/apt/archives", root / "var/lib/apt/lists"):
        for entry in cache.glob("*"):
            if entry.is_file() and not entry.is_symlink():
                entry.unlink()
    for mount_point in ("box", "io"):
        (root / mount_point).mkdir(mode=0o755, exist_ok=True)
    # no-new-privileges already makes setuid bits inert; removing them is belt and braces.
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode) and mode & 0o6000:
                os.chmod(path, stat.S_IMODE(mode) & ~0o6000)
    # The recipe hash comes from recipe(), never from this file: adding keys here changes no hash.
    (root / "etc/benchlab-sandbox").write_text(dumps({"recipe": recipe_hash()}) + "\n")
    return installed_packages(root)


def installed_packages(root: Path) -> dict[str, str]:
    """Package -> version, read from the tree's dpkg status file."""
    packages: dict[str, str] = {}
    status = (root / "var/lib/dpkg/status").read_text(errors="replace")
    for paragraph in status.split("\n\n"):
        fields = dict(re.findall(r"^(Package|Version|Status): (.*)$", paragraph, flags=re.M))
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            packages[fields["Package"]] = fields.get("Version", "?")
    return packages


def _pack(root: Path, target: Path) -> None:
    with open(target, "wb") as out:
        tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-cf", "-", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        zstd = subprocess.run(["zstd", "-3", "-T0", "-q", "-c"], stdin=tar.stdout, stdout=out, check=False)
        tar.stdout.close()
        if tar.wait() != 0 or zstd.returncode != 0:
            raise SandboxSetupError(f"packing the root filesystem failed (tar {tar.returncode}, zstd {zstd.returncode})")


def ensure_unpacked(progress: Progress) -> Path:
    """The tree bubblewrap binds as ``/`` (unpacked from the tarball, built first if needed)."""
    target = unpacked_dir()
    if target.is_dir():
        return target
    tarball = ensure_tarball(progress)
    with CacheLock(sandbox_cache_dir() / "unpack.lock", on_wait=lambda _: progress("waiting for another unpack to finish")):
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o755)
        progress(f"unpacking the root filesystem into {target}")
        partial = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            zstd = subprocess.Popen(["zstd", "-dc", str(tarball)], stdout=subprocess.PIPE)
            assert zstd.stdout is not None
            with keep_alive(progress, "unpacking the root filesystem"):
                tar = subprocess.run(["tar", "--numeric-owner", "-xpf", "-", "-C", str(partial)], stdin=zstd.stdout, check=False)
            zstd.stdout.close()
            if zstd.wait() != 0 or tar.returncode != 0:
                raise SandboxSetupError(f"unpacking {tarball} failed (zstd {zstd.returncode}, tar {tar.returncode})")
            os.chmod(partial, 0o755)
            # The rename is the commit: an existing directory is always a complete tree.
            os.rename(partial, target)
        finally:
            if partial.exists():
                remove_tree(partial)
    return target


def prune_stale(progress: Progress) -> None:
    """Remove tarballs and unpacked trees of older recipes."""
    current = recipe_hash()
    for base in {sandbox_cache_dir(), unpacked_dir().parent}:
        for entry in base.glob("rootfs-*"):
            if current in entry.name:
                continue
            progress(f"removing the stale {entry}")
            if entry.is_dir() and not entry.is_symlink():
                remove_tree(entry)
            else:
                entry.unlink(missing_ok=True)


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[4] for line in lines if len(line.split()) > 4]
    return [p for p in points if p.startswith(prefix)]


def _unmount_under(path: Path) -> None:
    """debootstrap mounts /proc and /sys inside the tree; a failed run may leave them mounted."""
    for point in sorted(_mounts_under(path), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def remove_tree(path: Path) -> None:
    """rmtree that first unmounts anything below, so it never deletes through a mount."""
    _unmount_under(path)
    if _mounts_under(path):
        raise SandboxSetupError(f"{path} still has file systems mounted below it; unmount them and delete it by hand")
    shutil.rmtree(path, ignore_errors=True)
