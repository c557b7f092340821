"""Each result's whole transcript, read back one result at a time as a page streams them.

Since record schema 3, ``run.json`` keeps result summaries; the requests, responses and turns
live only in the run's journal, read here by byte offset (``benchlab.journal.JournalReader``),
so writing a page holds one raw exchange at a time however long the run. A folder with no
journal (a negative control keeps its junk answers whole in ``run.json``) is read from
``run.json``; a result given whole (a ``ScenarioResult``) is used as it is.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any, Iterable, Iterator

from benchlab.codec import structure
from benchlab.errors import BenchlabError
from benchlab.journal import JournalReader
from benchlab.model import ResultKey, ResultSummary, ScenarioResult
from benchlab.plugins.reporters.html.transcripts import transcript
from benchlab.run_ref import RUN_RECORD
from benchlab.upgrade import upgrade_result

# What a page may hold for a result: its summary (the exchange is read back) or the whole result.
Result = ResultSummary | ScenarioResult


class _Folder:
    """One run folder's exchanges: its journal, else the whole results its run.json keeps."""

    def __init__(self, run_dir: Path | None) -> None:
        self.journal: JournalReader | None = None
        self.whole: dict[tuple[ResultKey, str], deque[ScenarioResult]] = {}
        if run_dir is None:
            return
        try:
            self.journal = JournalReader(run_dir)
        except BenchlabError:
            self.whole = _whole_results(run_dir)

    def full(self, result: Result) -> Result | dict[str, Any]:
        """The whole result: given whole, else its journal line as parsed (the page needs no objects)."""
        if isinstance(result, ScenarioResult):
            return result
        if self.journal is not None:
            return self.journal.line(result)
        # Nowhere to read the exchange from: the transcript shows the verdict and its checks.
        kept = self.whole.get((result.key, result.junk_kind))
        return kept.popleft() if kept else result

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()


def _whole_results(run_dir: Path) -> dict[tuple[ResultKey, str], deque[ScenarioResult]]:
    """The results ``run.json`` keeps whole (a negative control's: it has no journal), in its
    order by key and junk kind (one scenario gets several junk answers); {} otherwise."""
    try:
        data = json.loads((run_dir / RUN_RECORD).read_bytes())
    except (OSError, ValueError):
        return {}
    version = data.get("schema_version", 0) if isinstance(data, dict) else 0
    whole: dict[tuple[ResultKey, str], deque[ScenarioResult]] = {}
    for entry in data.get("results") or [] if isinstance(data, dict) else []:
        if isinstance(entry, dict) and any(entry.get(field) for field in ("request", "response", "turns")):
            entry = {k: v for k, v in entry.items() if k not in ("schema_version", "type", "journal_offset")}
            result = structure(upgrade_result(entry, version), ScenarioResult)
            whole.setdefault((result.key, result.junk_kind), deque()).append(result)
    return whole


def transcripts(results: Iterable[tuple[Path | None, Result]]) -> Iterator[dict[str, Any]]:
    """The transcript of each (run folder, result), its exchange read from that folder as it comes.

    A generator: nothing is opened until a page starts writing it, and every journal is closed
    when it ends (or is abandoned)."""
    folders: dict[Path | None, _Folder] = {}
    try:
        for run_dir, result in results:
            folder = folders.get(run_dir)
            if folder is None:
                folder = folders[run_dir] = _Folder(run_dir)
            yield transcript(folder.full(result))
    finally:
        for folder in folders.values():
            folder.close()
