"""The per-run host directory: ``box/`` becomes the sandbox's work dir, ``io/`` holds stdin.

bwrap (which needs root) gets ``box/`` as a tmpfs of ``limits.workdir_bytes``:
without it a program could fill the host's disk through its work dir, file by
file under the file-size limit. Docker has no ``box/`` here (``box=False``): its
work dir is the container's own tmpfs. unsafe-local, unconfined anyway, gets a
plain directory only its user can enter. Whatever the program leaves in ``box/`` is read back without
following links: it may have planted a symlink to a host file, a FIFO, or a huge file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from benchlab.sandbox import FileEntry, Limits, safe_relative_path


PREFIX = "benchlab-run-"


class RunDir:
    """A fresh host directory for one execution, owned by the sandbox's host uid when we can."""

    def __init__(self, owner_uid: int | None, limits: Limits, *, parent: str | None = None, box: bool = True) -> None:
        self.owner_uid = owner_uid
        # The owner's pid in the name lets a later process reap what a killed one left behind.
        self.root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
        # The sandbox's uid must be able to traverse to box/, but not list its neighbours.
        os.chmod(self.root, 0o711)
        self.box = self.root / "box"
        self.io = self.root / "io"
        self.io.mkdir()
        os.chmod(self.io, 0o755)
        self.mounted = False
        if box:
            self.box.mkdir()
            self.mounted = _mount_tmpfs(self.box, limits.workdir_bytes, owner_uid) if os.geteuid() == 0 else False
            # Without an owner the program runs as us (unsafe-local): nobody else needs a way in.
            self._own(self.box, 0o700)

    def _own(self, path: Path, mode: int) -> None:
        if self.owner_uid is not None:
            os.chown(path, self.owner_uid, self.owner_uid, follow_symlinks=False)
        os.chmod(path, mode)

    def write_files(self, files: Mapping[str, bytes | str | FileEntry]) -> None:
        for name, value in files.items():
            entry = value if isinstance(value, FileEntry) else FileEntry(value)
            relative = safe_relative_path(name)
            target = self.box
            for part in relative.parts[:-1]:
                target = target / part
                if not target.is_dir():
                    target.mkdir()
                    self._own(target, 0o755)
            target = target / relative.parts[-1]
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(entry.data())
            mode = entry.mode & 0o777
            self._own(target, mode)

    def write_stdin(self, data: bytes) -> Path:
        path = self.io / "stdin"
        path.write_bytes(data)
        os.chmod(path, 0o644)
        return path

    def collect(self, limits: Limits) -> tuple[dict[str, bytes], bool]:
        """Regular files left in box/ (relative posix path -> bytes), and whether some were left out."""
        files: dict[str, bytes] = {}
        budget = limits.collect_bytes
        truncated = False
        stack = [(self.box, "")]
        while stack:
            directory, prefix = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                relative = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), relative + "/"))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue  # symlinks, FIFOs, sockets, devices: never opened
                if len(files) >= limits.collect_files:
                    truncated = True
                    continue
                data = _read_regular(entry.path, budget)
                if data is None:
                    truncated = True
                    continue
                files[relative] = data
                budget -= len(data)
        return files, truncated

    def remove(self) -> bool:
        """Delete the directory; False when something could not be removed."""
        if self.mounted and _umount(self.box):
            self.mounted = False
        if self.mounted:
            return False  # never rmtree across a mount we failed to detach
        shutil.rmtree(self.root, ignore_errors=True)
        return not self.root.exists()


def reap_stale(parent: str | None = None) -> int:
    """Remove run dirs (and their tmpfs) whose owning process is gone; returns how many went."""
    from benchlab.sandboxes.cache import pid_alive

    reaped = 0
    for root in Path(parent or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        owner = root.name[len(PREFIX):].split("-", 1)[0]
        if not owner.isdigit() or pid_alive(int(owner)) or root.is_symlink() or not root.is_dir():
            continue
        box = root / "box"
        if os.path.ismount(box) and not _umount(box):
            continue
        shutil.rmtree(root, ignore_errors=True)
        reaped += 1
    return reaped


_MS_NOSUID, _MS_NODEV = 2, 4
_MNT_DETACH = 2
_libc: ctypes.CDLL | None = None


def _c_library() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _mount_tmpfs(path: Path, size: int, owner_uid: int | None) -> bool:
    """A size-capped tmpfs on ``path``; False where mounting is not allowed (then a plain directory)."""
    owner = f",uid={owner_uid},gid={owner_uid}" if owner_uid is not None else ""
    options = f"size={size},mode=0700{owner}".encode()
    done = _c_library().mount(b"tmpfs", str(path).encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options)
    return done == 0


def _umount(path: Path) -> bool:
    return _c_library().umount2(str(path).encode(), _MNT_DETACH) == 0


def _read_regular(path: str, budget: int) -> bytes | None:
    """The file's bytes, or None if it is no longer a regular file or does not fit ``budget``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EACCES, errno.ENOENT):
            return None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > budget:
            return None
        chunks = []
        remaining = info.st_size
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
