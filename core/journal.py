"""The append-only journal of a run: a header line, then one line per finished scenario.

Between results, a ``server`` line records who answered (model, server version) each time
the run starts or resumes, and a ``resume`` line the settings a resume changed.

Each line is written and flushed as soon as its scenario finishes, so a killed
process loses nothing it finished (the OS holds the data); fsync runs in the
background so that durability against power loss costs no scenario latency.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from benchlab.codec import SCHEMA_VERSION, check_version, dumps, structure, unstructure
from benchlab.config import RunConfig, apply_changes, upgrade_config
from benchlab.errors import BenchlabError
from benchlab.model import ResultKey, ScenarioResult
from benchlab.upgrade import upgrade_result

JOURNAL = "journal.jsonl"


class Journal:
    """Appends results to ``run_dir/journal.jsonl``."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / JOURNAL
        self._handle = self.path.open("a", encoding="utf-8")
        self._dirty = threading.Event()
        self._closed = False
        self._syncer = threading.Thread(target=self._sync_loop, name="journal-fsync", daemon=True)
        self._syncer.start()

    @classmethod
    def create(cls, run_dir: Path, run_id: str, config: RunConfig, started_at: str) -> Journal:
        run_dir.mkdir(parents=True, exist_ok=False)
        journal = cls(run_dir)
        journal._write(dumps({"type": "header", "run_id": run_id, "started_at": started_at, "config": unstructure(config)}))
        return journal

    def append(self, result: ScenarioResult) -> None:
        self._write(dumps(result, type="result"))

    def note_server(self, facts: dict[str, Any]) -> None:
        """Who answers from here on (``model``, ``version``, ...): a resume elsewhere is checked against it."""
        self._write(dumps({"type": "server", **facts}))

    def note_packs(self, packs: list[dict[str, Any]]) -> None:
        """The packs this run plays (id, title, version, floor, expected results): a run read back
        from its journal alone (killed before run.json) still names and sizes its packs."""
        self._write(dumps({"type": "packs", "packs": packs}))

    def note_resume(self, at: str, changes: dict[str, Any]) -> None:
        """The RunConfig fields a resume changed (dotted paths: ``budgets.retries``); read back into the config."""
        self._write(dumps({"type": "resume", "at": at, "changes": changes}))

    def _write(self, line: str) -> None:
        self._handle.write(line + "\n")
        self._handle.flush()
        self._dirty.set()

    def _sync_loop(self) -> None:
        while not self._closed:
            self._dirty.wait()
            self._dirty.clear()
            try:
                os.fsync(self._handle.fileno())
            except (OSError, ValueError):
                return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._dirty.set()
        self._syncer.join(timeout=5)
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()


class JournalContents:
    """A journal read back: its header and the results it holds."""

    def __init__(
        self, run_id: str, started_at: str, config: RunConfig, results: list[ScenarioResult], server: dict[str, Any] | None = None
    ) -> None:
        self.run_id = run_id
        self.started_at = started_at
        self.config = config
        self.results = results
        # The last ``server`` line: who answered most recently (None in journals that predate it).
        self.server = server
        # The last ``packs`` line (None in journals that predate it).
        self.packs: list[dict[str, Any]] | None = None


def read_journal(run_dir: Path) -> JournalContents:
    """Read a journal, dropping a torn last line (the process was killed mid-write)."""
    path = run_dir / JOURNAL
    if not path.is_file():
        raise BenchlabError(f"{run_dir}: no {JOURNAL} here; is this a benchlab run folder?")
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        # Truncate the torn line so later appends start on a fresh line.
        keep = raw.rfind(b"\n") + 1
        with path.open("r+b") as handle:
            handle.truncate(keep)
        raw = raw[:keep]
    from benchlab.text_files import decode_text

    # "\n" only: splitlines() would also split at a U+2028 or U+0085 a model wrote (JSON keeps them raw).
    lines = decode_text(raw, str(path)).split("\n")[:-1]
    if not lines:
        raise BenchlabError(f"{path}: empty journal")
    header = _parse(lines[0], path, 1)
    if header.get("type") != "header":
        raise BenchlabError(f"{path}:1: the first line is not a journal header")
    results: dict[ResultKey, ScenarioResult] = {}
    config_data = upgrade_config(dict(header["config"]))
    server: dict[str, Any] | None = None
    packs: list[dict[str, Any]] | None = None
    for lineno, line in enumerate(lines[1:], start=2):
        data = _parse(line, path, lineno)
        version = data.pop("schema_version")
        kind = data.pop("type", "result")
        if kind == "server":
            server = data
        elif kind == "packs":
            packs = data.get("packs")
        elif kind == "resume":
            config_data = apply_changes(config_data, data.get("changes") or {})
        else:
            result = structure(upgrade_result(data, version), ScenarioResult)
            results[result.key] = result  # a scenario journaled twice keeps its last result
    config = structure(config_data, RunConfig)
    contents = JournalContents(header["run_id"], header.get("started_at", ""), config, list(results.values()), server)
    contents.packs = packs
    return contents


def _parse(line: str, path: Path, lineno: int) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BenchlabError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # an integer past the digit limit; nesting past the recursion limit
        raise BenchlabError(f"{path}:{lineno}: not JSON ({exc})") from None
    check_version(data, f"{path}:{lineno}")
    return data


__all__ = ["Journal", "JournalContents", "read_journal", "SCHEMA_VERSION"]
