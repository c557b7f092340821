"""Progress of a long set-up step (a download, a build) on stderr.

A rich spinner and bar on a terminal; plain, sparse lines otherwise, so that a
CI log shows the build advancing without 200 lines of compiler steps.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

PLAIN_STEP_PERCENT = 10


class SetupProgress:
    """Phases (``phase``), step counters (``count``) and one-off lines (``note``, ``done``)."""

    def __init__(self, stream: TextIO | None = None, *, rich: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.rich = self.stream.isatty() if rich is None else rich
        self._bar: Any = None
        self._task: Any = None
        self._phase = ""
        self._phase_started = time.monotonic()
        self._last_percent = -1

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(f"benchlab: {text}", file=self.stream, flush=True)

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
        percent = done * 100 // max(total, 1)
        if percent // PLAIN_STEP_PERCENT > self._last_percent // PLAIN_STEP_PERCENT or done == total:
            if percent != self._last_percent:
                elapsed = time.monotonic() - self._phase_started
                self._line(f"{self._phase}: {done}/{total} ({percent}%, {elapsed:.0f}s)")
            self._last_percent = percent

    def note(self, text: str) -> None:
        self._line(text)

    def done(self, text: str) -> None:
        """The phase is over: clear the bar and leave ``text`` behind."""
        self.close()
        self._line(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None

    def __enter__(self) -> SetupProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
