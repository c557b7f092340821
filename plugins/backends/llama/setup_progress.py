"""Progress of a long set-up step (a download, a build) on stderr.

A rich spinner and bar on a terminal; plain, sparse lines otherwise, so that a
CI log shows the build advancing without 200 lines of compiler steps. Plain lines
also come from a heartbeat whenever a phase has been quiet for ``heartbeat_s``
(a pip download or cmake's configure step prints nothing for a long while), so a
log never goes silent for minutes.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from benchlab.heartbeat import HEARTBEAT_S, Heartbeat

PLAIN_STEP_PERCENT = 10


class SetupProgress:
    """Phases (``phase``), step counters (``count``) and one-off lines (``note``, ``done``)."""

    def __init__(self, stream: TextIO | None = None, *, rich: bool | None = None, heartbeat_s: float = HEARTBEAT_S) -> None:
        self.stream = stream or sys.stderr
        self.rich = self.stream.isatty() if rich is None else rich
        self._bar: Any = None
        self._task: Any = None
        self._phase = ""
        self._phase_started = time.monotonic()
        self._last_percent = -1
        self._counted: tuple[int, int] | None = None
        self._write_lock = threading.Lock()
        self._heartbeat = Heartbeat(self._write, self._status, interval_s=heartbeat_s)

    def _write(self, text: str) -> None:
        with self._write_lock:
            self.stream.write(f"benchlab: {text}\n")
            self.stream.flush()

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
            return
        self._heartbeat.beat()
        self._write(text)
        if not self.rich:  # a terminal has its animated bar; a log needs the heartbeat
            self._heartbeat.start()  # from the first line until close()

    def _status(self) -> str:
        """What the heartbeat says: the step counter if there is one, else that the phase goes on."""
        elapsed = time.monotonic() - self._phase_started
        if self._counted is not None:
            done, total = self._counted
            return f"{self._phase}: {done}/{total} ({done * 100 // max(total, 1)}%, {elapsed:.0f}s)"
        return f"{self._phase}: still working ({elapsed:.0f}s)"

    def _ensure_bar(self) -> Any:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._bar.start()
        return self._bar

    def phase(self, text: str, total: int | None = None) -> None:
        """A new step; a bar is indeterminate until ``count`` gives it a total."""
        self._phase = text
        self._phase_started = time.monotonic()
        self._last_percent = -1
        self._counted = None
        if self.rich:
            bar = self._ensure_bar()
            if self._task is not None:
                bar.remove_task(self._task)
            self._task = bar.add_task(text, total=total)
        else:
            self._line(text)

    def count(self, done: int, total: int) -> None:
        """``done`` of ``total`` steps of the current phase (e.g. ninja's ``[n/206]``)."""
        if self.rich and self._task is not None:
            self._bar.update(self._task, completed=done, total=total)
            return
        self._counted = (done, total)
        percent = done * 100 // max(total, 1)
        if percent // PLAIN_STEP_PERCENT > self._last_percent // PLAIN_STEP_PERCENT or done == total:
            if percent != self._last_percent:
                self._line(self._status())
            self._last_percent = percent

    def note(self, text: str) -> None:
        if not self._phase:  # e.g. waiting for another process's lock: that is what goes on
            self._phase, self._phase_started = text, time.monotonic()
        self._line(text)

    def done(self, text: str) -> None:
        """The phase is over: clear the bar, stop the heartbeat and leave ``text`` behind."""
        self.close()
        self._phase = ""
        self._write(text)

    def close(self) -> None:
        self._heartbeat.stop()
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None

    def __enter__(self) -> SetupProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
