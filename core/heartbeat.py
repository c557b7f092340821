"""A heartbeat for long set-up work: a line whenever a step has been quiet for too long.

A log that shows nothing for minutes reads as a hang (a CI log, a pipe). Set-up
steps that can go silent -- a pip download, cmake configuring, a slow compile step,
debootstrap, compressing or importing an image -- run inside a Heartbeat, which
says what is still going on whenever ``interval_s`` pass without a line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Callable, Iterator

# Below the 15 s a log may stay silent, with room for a loaded machine's scheduling delays.
HEARTBEAT_S = 10.0


class Heartbeat:
    """Calls ``say(status())`` from a daemon thread whenever ``interval_s`` pass without ``beat()``.

    ``beat`` records that a line was just printed by someone else, so the heartbeat
    only fills silences and never doubles a log's lines.
    """

    def __init__(self, say: Callable[[str], None], status: Callable[[], str], *, interval_s: float = HEARTBEAT_S) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.say = say
        self.status = status
        self.interval_s = interval_s
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        self._last = time.monotonic()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self.beat()
        self._thread = threading.Thread(target=self._run, name="benchlab-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            if thread is not threading.current_thread():
                thread.join()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        while not self._stop.wait(max(self._last + self.interval_s - time.monotonic(), 0.0)):
            if time.monotonic() - self._last >= self.interval_s:
                self.beat()
                try:
                    self.say(self.status())
                except Exception:  # a closed stream must not kill the work it reports on
                    return

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def keep_alive(progress: Callable[[str], None], what: str, *, interval_s: float | None = None) -> Iterator[Callable[[str], None]]:
    """A ``progress`` callable for one step that also says ``WHAT: still working (Ns)`` in its silences.

    Lines sent through the yielded callable reset the heartbeat's clock.
    """
    started = time.monotonic()
    # One line at a time: print() writes the text and its newline separately.
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            progress(line)

    heartbeat = Heartbeat(
        say,
        lambda: f"{what}: still working ({time.monotonic() - started:.0f}s)",
        interval_s=HEARTBEAT_S if interval_s is None else interval_s,
    )

    def forward(line: str) -> None:
        heartbeat.beat()
        say(line)

    with heartbeat:
        yield forward
