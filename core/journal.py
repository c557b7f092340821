"""The append-only journal of a run: a header line, then one line per finished scenario.

Between results, a ``server`` line records who answered (model, server version) each time
the run starts or resumes, and a ``resume`` line the settings a resume changed.

Each line is written and flushed as soon as its scenario finishes, so a killed
process loses nothing it finished (the OS holds the data); fsync runs in the
background so that durability against power loss costs no scenario latency.

The journal is the only place that keeps a result's raw exchange (request, response,
turns). Everything else holds ``ResultSummary`` objects that point back into it by byte
offset: ``Journal.append`` returns where the line starts, ``JournalReader`` reads the full
result there, so no reader needs every raw response in memory at once.
"""

from __future__ import annotations

import codecs
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterator

from benchlab.codec import SCHEMA_VERSION, check_version, dumps, structure, unstructure
from benchlab.config import RunConfig, apply_changes, upgrade_config
from benchlab.errors import BenchlabError
from benchlab.gc_pause import collector_paused
from benchlab.model import EXCHANGE_FIELDS, ResultKey, ResultSummary, ScenarioResult
from benchlab.run_ref import JOURNAL
from benchlab.text_files import decode_text
from benchlab.upgrade import summary_data, upgrade_result


class Journal:
    """Appends results to ``run_dir/journal.jsonl``."""

    def __init__(self, run_dir: Path, name: str = JOURNAL) -> None:
        self.path = run_dir / name
        self._handle = self.path.open("ab")
        self._handle.seek(0, os.SEEK_END)
        self._offset = self._handle.tell()
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

    def append(self, result: ScenarioResult | dict[str, Any]) -> int:
        """Journal ``result`` (or its unstructured data); the byte offset its line starts at (its summary's ``journal_offset``)."""
        return self._write(dumps(result, type="result"))

    def append_line(self, raw: bytes) -> int:
        """Journal a result line exactly as another journal holds it (``JournalReader.entry``'s
        bytes, newline included): a re-scored result whose verdict did not change is copied, not
        re-encoded. The byte offset it starts at."""
        if not raw.endswith(b"\n"):
            raise ValueError("a journal line ends with a newline")
        return self._write_bytes(raw)

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

    def _write(self, line: str) -> int:
        return self._write_bytes((line + "\n").encode("utf-8"))

    def _write_bytes(self, data: bytes) -> int:
        start = self._offset
        self._handle.write(data)
        self._handle.flush()
        self._offset += len(data)
        self._dirty.set()
        return start

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


def splice_journal(spool: Path, run_dir: Path) -> int:
    """Append the lines of ``spool`` (result lines journaled aside) to the run's journal and
    remove it; the journal's size before, which turns the spool's offsets into the journal's."""
    path = run_dir / JOURNAL
    with path.open("ab") as target, spool.open("rb") as source:
        target.seek(0, os.SEEK_END)
        base = target.tell()
        while block := source.read(1 << 20):
            target.write(block)
        target.flush()
        os.fsync(target.fileno())
    spool.unlink()
    return base


class JournalContents:
    """A journal read back: its header and the summaries of the results it holds (the last
    line of each result key), each pointing at its full line."""

    def __init__(
        self, run_id: str, started_at: str, config: RunConfig, results: list[ResultSummary], server: dict[str, Any] | None = None
    ) -> None:
        self.run_id = run_id
        self.started_at = started_at
        self.config = config
        self.results = results
        # The last ``server`` line: who answered most recently (None in journals that predate it).
        self.server = server
        # The last ``packs`` line (None in journals that predate it).
        self.packs: list[dict[str, Any]] | None = None


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) for every complete line, cutting a torn last line first
    (the process was killed mid-write) so later appends start on a fresh line."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        if size:
            handle.seek(size - 1)
            if handle.read(1) != b"\n":
                # Find the last newline from the end, in blocks.
                end = size
                keep = 0
                while end > 0:
                    begin = max(0, end - 65536)
                    handle.seek(begin)
                    found = handle.read(end - begin).rfind(b"\n")
                    if found >= 0:
                        keep = begin + found + 1
                        break
                    end = begin
                handle.truncate(keep)
        handle.seek(0)
        offset = 0
        # "\n" only: a model may write U+2028 or U+0085, which JSON keeps raw.
        for lineno, line in enumerate(handle, start=1):
            yield lineno, offset, line
            offset += len(line)


def read_journal(run_dir: Path) -> JournalContents:
    """Read a journal's header and the summary of each result key's last line."""
    path = run_dir / JOURNAL
    if not path.is_file():
        raise BenchlabError(f"{run_dir}: no {JOURNAL} here; is this a benchlab run folder?")
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head.startswith((b"{", codecs.BOM_UTF8)):
        decode_text(path.read_bytes(), str(path))  # a re-saved file (UTF-16...): one line naming its encoding
    with collector_paused():  # a summary per result: no cycle among them
        return _read_lines(path)


def _read_lines(path: Path) -> JournalContents:
    """``read_journal``'s pass over the lines: the header, then each line by its type."""
    results: dict[ResultKey, ResultSummary] = {}
    header: dict[str, Any] | None = None
    config_data: dict[str, Any] = {}
    server: dict[str, Any] | None = None
    packs: list[dict[str, Any]] | None = None
    for lineno, offset, line in _lines(path):
        data = _parse(line, path, lineno)
        if header is None:
            if data.get("type") != "header":
                raise BenchlabError(f"{path}:1: the first line is not a journal header")
            header = data
            config_data = upgrade_config(dict(header["config"]))
            continue
        version = data.pop("schema_version")
        kind = data.pop("type", "result")
        if kind == "server":
            server = data
        elif kind == "packs":
            packs = data.get("packs")
        elif kind == "resume":
            config_data = apply_changes(config_data, data.get("changes") or {})
        else:
            summary = structure(summary_data(upgrade_result(data, version), offset), ResultSummary)
            results.pop(summary.key, None)  # a scenario journaled twice keeps its last result, in its new place
            results[summary.key] = summary
    if header is None:
        raise BenchlabError(f"{path}: empty journal")
    config = structure(config_data, RunConfig)
    contents = JournalContents(header["run_id"], header.get("started_at", ""), config, list(results.values()), server)
    contents.packs = packs
    return contents


class JournalReader:
    """Full results read back from a journal, one line at a time, by their summaries' offsets.

    A summary without an offset (a record of schema 2 or before) is found by its key: the
    first such lookup indexes every result line's offset once.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / JOURNAL
        if not self.path.is_file():
            raise BenchlabError(f"{run_dir}: no {JOURNAL} here: the run's responses cannot be read back")
        # 64 KiB: a page reads every line nearly in order, and a seek inside the buffer costs no read
        # (the default 8 KiB held less than one 13 KB answer line).
        self._handle = self.path.open("rb", buffering=1 << 16)
        self._by_key: dict[ResultKey, int] | None = None

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    def full(self, summary: ResultSummary) -> ScenarioResult:
        """The journaled result behind ``summary``, request, response and turns included."""
        return structure(self.line(summary), ScenarioResult)

    def line(self, summary: ResultSummary) -> dict[str, Any]:
        """The journal line behind ``summary``, as today's result data (without ``schema_version``/``type``)."""
        return self.entry(summary)[0]

    def entry(self, summary: ResultSummary) -> tuple[dict[str, Any], bytes]:
        """The journal line behind ``summary``: as ``line`` gives it, and its bytes as they are
        on disk, newline included (what ``Journal.append_line`` copies)."""
        offset = summary.journal_offset
        if offset is None:
            offset = self._offsets().get(summary.key)
            if offset is None:
                raise BenchlabError(f"{self.path}: no line for {summary.pack}/{summary.scenario_id}: the journal does not match run.json")
        self._handle.seek(offset)
        raw = self._handle.readline()
        data = _parse(raw, self.path, f"byte {offset}")
        version = data.pop("schema_version")
        if data.pop("type", "result") != "result" or (data.get("pack"), data.get("scenario_id")) != (summary.pack, summary.scenario_id):
            raise BenchlabError(f"{self.path}: byte {offset} is not the line of {summary.pack}/{summary.scenario_id}: "
                                "the journal does not match run.json")
        if not raw.endswith(b"\n"):
            raw += b"\n"  # a torn last line that still parsed (the run was killed as it ended)
        return upgrade_result(data, version), raw

    def _offsets(self) -> dict[ResultKey, int]:
        if self._by_key is None:
            self._by_key = {}
            self._handle.seek(0)
            offset = 0
            for line in self._handle:
                data = _loads(line)
                if data.get("type", "result") == "result":
                    version = data.pop("schema_version")
                    self._by_key[structure(summary_data(upgrade_result(data, version), None), ResultSummary).key] = offset
                offset += len(line)
        return self._by_key


def _loads(line: bytes) -> Any:
    """``json.loads(line)``, parsed from the decoded text when the line is strict UTF-8 without a
    byte-order mark (what benchlab writes): about 40% faster than from bytes, which json decodes
    with ``surrogatepass``. Anything else takes the bytes path, with its results and errors."""
    if line.startswith(codecs.BOM_UTF8):
        return json.loads(line)
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return json.loads(line)
    return json.loads(text)


def _parse(line: bytes, path: Path, lineno: int | str) -> dict[str, Any]:
    try:
        data = _loads(line)
    except json.JSONDecodeError as exc:
        raise BenchlabError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        decode_text(path.read_bytes(), str(path))  # names the byte, its line and a likely encoding
        raise BenchlabError(f"{path}:{lineno}: not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:  # an integer past the digit limit; nesting past the recursion limit
        raise BenchlabError(f"{path}:{lineno}: not JSON ({exc})") from None
    check_version(data, f"{path}:{lineno}")
    return data


__all__ = ["Journal", "JournalContents", "JournalReader", "read_journal", "SCHEMA_VERSION", "EXCHANGE_FIELDS"]
