"""The user cache dir, and the lock that keeps two processes from building the same thing twice."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, Any, Callable

from benchlab.errors import BenchlabError

LOCK_WAIT_S = 1800.0


def cache_dir() -> Path:
    """``$BENCHLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/benchlab``, else ``~/.cache/benchlab``."""
    explicit = os.environ.get("BENCHLAB_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "benchlab"
    return Path.home() / ".cache" / "benchlab"


class CacheLock:
    """An exclusive ``flock`` on ``path``, held by this process (its pid is written in).

    The kernel drops the lock when its holder dies, so a killed build never
    leaves a stale lock behind. Waiting past ``timeout_s`` is a BenchlabError.
    """

    def __init__(self, path: Path, *, timeout_s: float = LOCK_WAIT_S, on_wait: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self.on_wait = on_wait
        self._handle: IO[str] | None = None

    @classmethod
    def named(cls, cache: Path, name: str, **options: Any) -> CacheLock:
        """The lock ``cache/locks/NAME.lock``."""
        return cls(cache / "locks" / f"{name}.lock", **options)

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        deadline = time.monotonic() + self.timeout_s
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise BenchlabError(
                        f"another benchlab process has held {self.path} for over {self.timeout_s:g}s; "
                        "wait for it to finish or stop it"
                    ) from None
                if not told and self.on_wait is not None:
                    self.on_wait(f"waiting for another benchlab process to finish (lock {self.path})")
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            import fcntl

            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> CacheLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
