"""A run's record on disk: ``run.json`` written, and read back as a typed ``RunRecord`` whatever schema wrote it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from benchlab.codec import check_version, structure, write_json_listing
from benchlab.errors import BenchlabError
from benchlab.gc_pause import collector_paused
from benchlab.model import RunRecord
from benchlab.run_ref import JOURNAL, RUN_RECORD
from benchlab.upgrade import upgrade_record


def write_record(run_dir: Path, record: RunRecord) -> None:
    """``run_dir/run.json``, atomically: the record indented, its results one compact line each,
    with the journal's size now (``load_run`` tells by it whether the journal has grown since)."""
    journal = run_dir / JOURNAL
    size = journal.stat().st_size if journal.is_file() else None
    write_json_listing(run_dir / RUN_RECORD, attrs.evolve(record, results=[], journal_bytes=size), "results", record.results)


def read_record(path: Path) -> RunRecord:
    """The record in ``path`` (a ``run.json`` or the run folder holding it); older schemas are upgraded."""
    file = path / RUN_RECORD if path.is_dir() else path
    from benchlab.text_files import read_text

    if not file.is_file():
        raise BenchlabError(f"{file}: no such file; is this a finished benchlab run?")
    with collector_paused():  # a summary per result, and their parsed JSON: no cycle among them
        try:
            data = json.loads(read_text(file, "run record"))
        except (ValueError, RecursionError) as exc:
            raise BenchlabError(f"{file}: not a JSON run record ({exc})") from None
        if not isinstance(data, dict):
            raise BenchlabError(f"{file}: not a JSON run record (a {type(data).__name__}, not an object)")
        check_version(data, file)
        try:
            return structure(upgrade_record(data), RunRecord)
        except Exception as exc:  # cattrs' structuring errors: the file is not a record this benchlab can read
            raise BenchlabError(f"{file}: not a run record benchlab can read ({type(exc).__name__}: {exc})") from None


def load_run(run_dir: Path) -> RunRecord:
    """A run as a record: its ``run.json`` when that is current, else rebuilt from its journal
    (a run killed before it wrote run.json, or killed while resuming).

    run.json is current unless the journal has grown past the size it recorded (by content,
    so a copied folder with new mtimes still reads as finished); a record from before that
    field is current when it is not older than the journal.
    A record rebuilt from the journal is marked incomplete; its packs are named and sized
    from the journal's ``packs`` line when it has one (journals before it give ids only).
    """
    from benchlab.journal import read_journal

    journal = run_dir / JOURNAL
    record_file = run_dir / RUN_RECORD
    if record_file.is_file() and not journal.is_file():
        return read_record(run_dir)
    if record_file.is_file():
        record = read_record(run_dir)
        if record.journal_bytes is not None:
            if journal.stat().st_size <= record.journal_bytes:
                return record
        elif record_file.stat().st_mtime >= journal.stat().st_mtime:
            return record
    return _from_journal(read_journal(run_dir))


def _from_journal(contents: Any) -> RunRecord:

    from benchlab import __version__
    from benchlab.aggregate import summarize
    from benchlab.model import Pack, PackManifest, ProbeFacts, ServerFingerprint

    results = contents.results
    described = contents.packs or [{"id": p, "title": p, "version": "?", "floor": None, "expected": None}
                                   for p in dict.fromkeys(r.pack for r in results)]
    summaries = []
    for info in described:
        manifest = PackManifest(id=info["id"], version=str(info.get("version") or "?"), title=str(info.get("title") or info["id"]),
                                dimension="", default_thinking=False, default_max_seconds=1.0, floor=info.get("floor"),
                                dataset=info.get("dataset"))
        mine = [r for r in results if r.pack == manifest.id]
        summaries.append(summarize(Pack(manifest, [], None), mine, info.get("expected") or len(mine)))
    server = contents.server or {}
    config = contents.config
    return RunRecord(
        run_id=contents.run_id, benchlab_version=__version__, started_at=contents.started_at, finished_at="",
        backend=config.target.backend, endpoint=server.get("endpoint") or config.target.endpoint,
        model=server.get("model") or config.target.model, mode=config.selection.mode, config=config,
        probe=ProbeFacts(server=ServerFingerprint(kind=server.get("server_kind"), version=server.get("version"), model=server.get("model"))),
        packs=summaries, results=results, complete=False,
        warnings=["read from journal.jsonl: the run did not finish (no current run.json); "
                  f"{len(results)} result(s) so far"],
    )
