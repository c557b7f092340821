"""The index page (``index.html`` in ``--out``): every run the history index holds, filterable by
model and pack, and each pack's score over time, one line per model."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchlab.history import IndexedRun
from benchlab.plugins.reporters.html import REPORT_FILE, charts
from benchlab.plugins.reporters.html.page import Page


def _time(stamp: str) -> float | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _link(run: IndexedRun, out: Path) -> str | None:
    """The run's page relative to ``out``, percent-quoted (a ``:`` becomes ``%3A``: never a scheme)."""
    page = Path(run.folder) / REPORT_FILE
    if not page.is_file():
        return None
    return quote(os.path.relpath(page, out).replace(os.sep, "/"))


def _score(p: Any) -> str:
    score = "n/a" if p.score is None else f"{p.score * 100:.0f}%"
    return f"{p.title} {p.pass_count}/{p.total} ({score})"


def _trends(runs: list[IndexedRun]) -> list[dict[str, Any]]:
    """Per pack (by id), each model's scores over time (oldest first), placed on one time axis; models by
    name, so two runs finishing in the same second draw the same page whichever the index lists first."""
    points: dict[str, dict[str, list[tuple[float, float, str]]]] = {}
    titles: dict[str, str] = {}
    stamps = []
    for run in sorted(runs, key=lambda r: (r.finished_at, r.run_id)):
        moment = _time(run.finished_at)
        if moment is None:
            continue
        for p in run.packs:
            if p.score is None:
                continue
            titles.setdefault(p.pack, p.title)
            label = f"{run.model or '?'}, {run.finished_at[:16]}: {p.pass_count}/{p.total} ({p.score * 100:.0f}%), v{p.version}, run {run.run_id}"
            points.setdefault(p.pack, {}).setdefault(run.model or "?", []).append((moment, p.score, label))
            stamps.append(moment)
    if not stamps:
        return []
    start, end = min(stamps), max(stamps)
    return [{"pack": pack, "title": titles[pack], "lines": charts.trend_lines(dict(sorted(series.items())), start, end)}
            for pack, series in sorted(points.items())]


def index_page(runs: list[IndexedRun], out: Path) -> Page:
    """The page of ``benchlab report --index``; ``runs`` newest first, as ``history`` lists them."""
    rows = []
    for run in runs:
        row: dict[str, Any] = {
            "c": [run.run_id, run.finished_at, run.model or "?", f"{run.server.get('kind') or run.backend}",
                  " · ".join(_score(p) for p in run.packs) or "-",
                  ("canonical" if run.canonical else "non-canonical") + ("" if run.complete else ", INCOMPLETE")],
            "f": {"model": run.model or "?", "pack": [p.pack for p in run.packs]},
            "t": [],
        }
        link = _link(run, out)
        if link:
            row["h"] = link
        rows.append(row)
    facets = {
        "model": sorted({run.model or "?" for run in runs}),
        "pack": sorted({p.pack for run in runs for p in run.packs}),
    }
    context = {"kind": "index", "out": str(out), "trends": _trends(runs), "facets": facets, "count": len(runs),
               "columns": ["Run", "Finished (UTC)", "Model", "Server", "Packs", "Sampling"]}
    data = {"rows": {"rows": rows, "linked": {"model": True, "pack": True}}}
    return Page("index.html.j2", "benchlab: every run", context, data)
