"""The sandboxes' corner of the user cache dir, and non-blocking slot locks."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from benchlab.cache import cache_dir


def sandbox_cache_dir() -> Path:
    path = cache_dir() / "sandbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def try_lock(path: Path) -> int | None:
    """An fd holding a non-blocking exclusive lock on ``path``, or None if someone else holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def traversable_by_others(path: Path) -> bool:
    """Whether an unprivileged uid can reach ``path`` (every ancestor has o+x)."""
    path = path.resolve()
    for part in [path, *path.parents]:
        try:
            if not os.stat(part).st_mode & 0o001:
                return False
        except FileNotFoundError:
            continue
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


