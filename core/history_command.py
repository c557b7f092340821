"""``benchlab history``: list indexed runs, one pack's score over time, rebuild the index, add a run.

Everything reads ``index.sqlite`` (``benchlab.history``); nothing contacts an endpoint.
``--format json`` prints ``{"schema_version", "runs"}`` for a listing and
``{"schema_version", "pack", "model", "points"}`` for ``--trend``, and
``{"schema_version", "index", "indexed", "incomplete", "unreadable"}`` for ``--reindex`` (README "Results").
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from benchlab import exit_codes
from benchlab.aggregate import unscored_marks
from benchlab.errors import BenchlabError
from benchlab.history import INDEX, IndexedRun, index_run, open_index, reindex
from benchlab.history_query import Filters, iter_trend, list_runs
from benchlab.resume import resume_command
from benchlab.run_ref import RUN_RECORD, is_folder_name, run_folder_at

FORMATS = ("md", "json", "csv")


@attrs.frozen
class HistoryRequest:
    """What ``benchlab history`` was asked."""

    out: Path
    model: str | None = None
    pack: str | None = None
    since: str | None = None
    limit: int | None = None
    format: str = "md"
    trend: bool = False
    reindex: bool = False
    add: Path | None = None


def parse_since(text: str) -> str:
    """``--since``: a date (midnight UTC) or an ISO 8601 time (UTC when it names no zone), as a UTC ISO stamp."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BenchlabError(f"--since {text!r}: expected a date (2026-11-25) or an ISO time (2026-11-25T09:30)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def check_request(request: HistoryRequest) -> None:
    """Refuse combinations that mean nothing, in one line."""
    from benchlab.cli.checks import one_of

    one_of({"trend": request.trend, "reindex": request.reindex, "add": request.add is not None})
    if request.format not in FORMATS:
        raise BenchlabError(f"--format {request.format!r}: history prints {', '.join(FORMATS)}")
    if request.trend and not (request.pack and request.model):
        raise BenchlabError("--trend shows one pack's score for one model: give --pack P and --model M")
    if request.reindex or request.add is not None:
        given = [flag for flag, value in (("--model", request.model), ("--pack", request.pack), ("--since", request.since),
                                          ("--limit", request.limit)) if value is not None]
        if given:
            action = "--reindex" if request.reindex else "--add"
            raise BenchlabError(f"{', '.join(given)} {'filters' if len(given) == 1 else 'filter'} a listing; {action} takes none")


def history_command(request: HistoryRequest) -> int:
    """Run ``benchlab history``; the exit code follows benchlab.exit_codes."""
    check_request(request)
    out = request.out
    if request.add is not None:
        return add_run(request.add, out)
    if not out.is_dir():
        raise BenchlabError(f"--out {out}: no such folder; runs are saved under results/ unless --out says otherwise")
    if request.reindex:
        return _reindex(out, request.format)
    since = parse_since(request.since) if request.since is not None else None
    try:
        with closing(open_index(out)) as db:
            if request.trend:
                assert request.pack is not None and request.model is not None
                points = [r for r in iter_trend(db, out, request.pack, request.model) if since is None or r.finished_at >= since]
                sys.stdout.write(render_trend(points, request.pack, request.model, request.format))
            else:
                runs = list_runs(db, out, Filters(request.model, request.pack, since, request.limit))
                sys.stdout.write(render_runs(runs, request.format, out, request.pack))
    except OSError as exc:
        raise BenchlabError(f"{out / INDEX}: {exc.strerror or exc}") from None
    return exit_codes.OK


def _reindex(out: Path, fmt: str = "md") -> int:
    try:
        found = reindex(out)
    except OSError as exc:
        raise BenchlabError(f"{out / INDEX}: cannot rebuild it ({exc.strerror or exc})") from None
    if fmt == "json":
        sys.stdout.write(_json({"index": str(out / INDEX), "indexed": found.indexed, "incomplete": found.incomplete,
                                "unreadable": [{"folder": str(out / name), "why": why} for name, why in found.unreadable]}))
        return exit_codes.OK
    print(f"indexed {found.indexed} run(s) under {out}/ into {out / INDEX}")
    if found.incomplete:
        print(f"not indexed, no {RUN_RECORD} (stopped before the end): {', '.join(found.incomplete)}; "
              f"finish one with: {resume_command(found.incomplete[-1], out)}")
    return exit_codes.OK


def add_run(source: Path, out: Path) -> int:
    """Copy the run folder ``source`` into ``out`` (named by its run id) and index it."""
    from benchlab.records import read_record

    folder = run_folder_at(source)
    if not (folder / RUN_RECORD).is_file():
        raise BenchlabError(f"{folder}: no {RUN_RECORD}: the run did not finish; finish it with "
                            f"{resume_command(folder.name, folder.parent)} and add it then")
    record = read_record(folder)
    if not is_folder_name(record.run_id):
        raise BenchlabError(f"{folder / RUN_RECORD}: run id {record.run_id!r} cannot name a folder; nothing was copied")
    target = out / record.run_id
    if target.resolve() == folder.resolve():
        if not index_run(out, target, record):
            return exit_codes.ERROR
        print(f"{record.run_id} is already under {out}/: indexed")
        return exit_codes.OK
    if target.exists():
        raise BenchlabError(f"{target} already exists: --out holds a run with id {record.run_id}; "
                            "nothing was copied (compare the two folders, or add into another --out)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        # Copied under a hidden name and renamed: a half-copied folder is never taken for a run.
        staging = Path(tempfile.mkdtemp(prefix=f".adding-{record.run_id}-", dir=out))
        try:
            shutil.copytree(folder, staging, dirs_exist_ok=True)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as exc:
        raise BenchlabError(f"--add {folder}: cannot copy it to {target} ({exc.strerror or exc}); nothing was added") from None
    print(f"added {record.run_id} to {out}/ (copied from {folder})")
    return exit_codes.OK if index_run(out, target, record) else exit_codes.ERROR


# -- rendering -------------------------------------------------------------------------------


def _json(document: dict[str, Any]) -> str:
    from benchlab.codec import json_text, with_version  # cattrs loads for --format json only

    return json_text(with_version(document), indent=2) + "\n"


def _percent(score: float | None) -> str:
    return f"{score * 100:.0f}%" if score is not None else "n/a"


def _cell(text: object) -> str:
    """A markdown table cell: names come from servers, so pipes and line breaks are neutralised."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _when(stamp: str) -> str:
    return stamp[:16].replace("T", " ")


def _notes(run: IndexedRun) -> str:
    notes = [] if run.canonical else ["non-canonical"]
    if not run.complete:
        notes.append("incomplete")
    if run.thinking_arms == ["off", "on"]:
        notes.append("both thinking arms")
    if run.rescored:
        notes.append(f"re-scored {run.rescored}")
    return ", ".join(notes)


def render_runs(runs: list[IndexedRun], fmt: str, out: Path, pack: str | None = None) -> str:
    if fmt == "json":
        return _json({"runs": [attrs.asdict(r) for r in runs]})
    if fmt == "csv":
        return _runs_csv(runs)
    if not runs:
        return f"No runs indexed under {out}/ match.\n"
    lines = ["| Run | Finished (UTC) | Model | Backend | Packs | Notes |", "| --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        shown = [p for p in run.packs if pack is None or p.pack == pack]
        packs = " · ".join(f"{p.title} {p.pass_count}/{p.total} ({_percent(p.score)}){unscored_marks(p.infrastructure_failures, p.unplayed)}"
                           for p in shown)
        lines.append(f"| {_cell(run.run_id)} | {_when(run.finished_at)} | {_cell(run.model or '?')} | {_cell(run.backend)} | "
                     f"{_cell(packs)} | {_notes(run)} |")
    lines += ["", f"{len(runs)} run(s), newest first ({out / INDEX})."]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("run_id", "started_at", "finished_at", "model", "backend", "endpoint", "benchlab_version", "mode",
               "canonical", "complete", "thinking_arms", "pack", "pack_version", "pass_count", "total", "score",
               "infrastructure_failures", "not_scored", "unplayed", "folder", "rescored")


def _runs_csv(runs: list[IndexedRun]) -> str:
    """One row per run and pack (a run without packs has one row with the pack columns empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for run in runs:
        common: dict[str, Any] = {**attrs.asdict(run, recurse=False), "thinking_arms": " ".join(run.thinking_arms),
                                  "canonical": str(run.canonical).lower(), "complete": str(run.complete).lower()}
        for pack in run.packs or [None]:
            row = dict(common)
            if pack is not None:
                row.update(attrs.asdict(pack), pack_version=pack.version)
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
    return buffer.getvalue()


TREND_COLUMNS = ("run_id", "finished_at", "pass_count", "total", "score", "version", "canonical", "complete",
                 "infrastructure_failures", "not_scored", "unplayed", "folder")


def _point(run: IndexedRun) -> dict[str, Any]:
    """A trend point: the run's facts and its one pack's line (``iter_trend`` keeps only that pack)."""
    values = {**attrs.asdict(run, recurse=False), **attrs.asdict(run.packs[0])}
    return {column: values[column] for column in TREND_COLUMNS}


def render_trend(runs: list[IndexedRun], pack: str, model: str, fmt: str) -> str:
    """One pack's score for one model over time, oldest first."""
    points = [_point(r) for r in runs]
    if fmt == "json":
        return _json({"pack": pack, "model": model, "points": points})
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=TREND_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(points)
        return buffer.getvalue()
    if not runs:
        return f"No indexed run of model {model!r} played pack {pack!r}.\n"
    title = runs[0].packs[0].title
    lines = [f"{_cell(title)} ({pack}) with {_cell(model)}: {len(runs)} run(s), oldest first", "",
             "| Finished (UTC) | Run | Pass/Total | Score | Change | Pack version | Notes |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    previous: float | None = None
    for run, point in zip(runs, points):
        score = point["score"]
        change = f"{(score - previous) * 100:+.0f} pts" if score is not None and previous is not None else ""
        marks = unscored_marks(point["infrastructure_failures"], point["unplayed"]).strip()
        notes = ", ".join(n for n in (_notes(run), marks) if n)
        lines.append(f"| {_when(run.finished_at)} | {_cell(run.run_id)} | {point['pass_count']}/{point['total']} | {_percent(score)} | "
                     f"{change} | {_cell(point['version'])} | {notes} |")
        previous = score if score is not None else previous
    versions = sorted({p["version"] for p in points})
    if len(versions) > 1:
        lines += ["", f"The pack changed between these runs (versions {', '.join(versions)}): scores across versions are not comparable."]
    return "\n".join(lines) + "\n"
