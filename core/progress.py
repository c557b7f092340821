"""Progress while a run goes on: a rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from benchlab.model import ScenarioResult


def verdict_word(result: ScenarioResult) -> str:
    if result.passed:
        return "pass"
    return f"fail ({result.failure_mode.value})" if result.failure_mode else "fail"


def latency_text(seconds: float | None) -> str:
    return f"{seconds:.2f}s" if seconds is not None else "-"


class Progress:
    """``[N/M] pack scenario verdict latency`` lines on stderr, or a rich bar on a TTY."""

    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None, done: int = 0) -> None:
        self.total = total
        self.done = done
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None
        if enabled and self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._task = self._bar.add_task("benchlab", total=total, completed=done, last="")
            self._bar.start()

    def note(self, text: str) -> None:
        """A status line (setup, probe) shown whatever the progress mode."""
        if self._bar is not None:
            self._bar.console.print(text)
        else:
            print(text, file=self.stream, flush=True)

    def advance(self, result: ScenarioResult) -> None:
        self.done += 1
        if not self.enabled:
            return
        line = f"{result.pack} {result.scenario_id} {verdict_word(result)} {latency_text(result.latency_s)}"
        if self._bar is not None:
            self._bar.update(self._task, advance=1, last=line)
        else:
            self.stream.write(f"[{self.done}/{self.total}] {line}\n")
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
