"""Reading the run index: the runs ``benchlab history`` lists, and one pack's trend.

Rows come back as ``benchlab.history.IndexedRun`` with absolute folders. Within one second
(the stamps' resolution) the run indexed last counts as the newest: rows are inserted in the
order runs finished (``benchlab.history``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterator

import attrs

from benchlab.history import PACK_COLUMNS, IndexedRun, PackScore


@attrs.frozen
class Filters:
    """What ``benchlab history`` lists: exact model name, pack id, finished at or after ``since`` (UTC ISO)."""

    model: str | None = None
    pack: str | None = None
    since: str | None = None
    limit: int | None = None


def _where(filters: Filters) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if filters.model is not None:
        clauses.append("runs.model = ?")
        params.append(filters.model)
    if filters.pack is not None:
        clauses.append("EXISTS (SELECT 1 FROM pack_scores p WHERE p.run_id = runs.run_id AND p.pack = ?)")
        params.append(filters.pack)
    if filters.since is not None:
        clauses.append("runs.finished_at >= ?")
        params.append(filters.since)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _run(row: sqlite3.Row, packs: list[PackScore], base: str) -> IndexedRun:
    """A row as an IndexedRun; ``base`` is the index's folder, resolved once (folders inside it are stored by name)."""
    folder = row["folder"]
    return IndexedRun(
        run_id=row["run_id"], started_at=row["started_at"], finished_at=row["finished_at"], model=row["model"],
        backend=row["backend"], endpoint=row["endpoint"], server=json.loads(row["server"]),
        benchlab_version=row["benchlab_version"], mode=row["mode"], thinking_arms=json.loads(row["thinking_arms"]),
        canonical=bool(row["canonical"]), complete=bool(row["complete"]),
        folder=os.path.join(base, folder) if "/" not in folder else folder, packs=packs, rescored=row["rescored"],
    )


_NEWEST_FIRST = "finished_at DESC, rowid DESC"


def list_runs(db: sqlite3.Connection, out: Path, filters: Filters) -> list[IndexedRun]:
    """The indexed runs that pass ``filters``, newest first."""
    where, params = _where(filters)
    limit = f" LIMIT {int(filters.limit)}" if filters.limit else ""
    rows = db.execute(f"SELECT * FROM runs{where} ORDER BY {_NEWEST_FIRST}{limit}", params).fetchall()
    packs: dict[str, list[PackScore]] = {}
    chosen = f"SELECT run_id FROM runs{where} ORDER BY {_NEWEST_FIRST}{limit}"
    for p in db.execute(f"SELECT * FROM pack_scores WHERE run_id IN ({chosen}) ORDER BY run_id, position", params):
        packs.setdefault(p["run_id"], []).append(PackScore(*(p[c] for c in PACK_COLUMNS[2:])))
    base = str(out.resolve())
    return [_run(row, packs.get(row["run_id"], []), base) for row in rows]


def iter_trend(db: sqlite3.Connection, out: Path, pack: str, model: str) -> Iterator[IndexedRun]:
    """The runs of ``model`` that played ``pack``, oldest first, each with that pack's line only."""
    rows = db.execute(
        "SELECT runs.*, " + ", ".join(f"p.{c} AS p_{c}" for c in PACK_COLUMNS[2:]) +
        " FROM runs JOIN pack_scores p ON p.run_id = runs.run_id WHERE p.pack = ? AND runs.model = ?"
        " ORDER BY runs.finished_at, runs.rowid",
        (pack, model),
    )
    base = str(out.resolve())
    for row in rows:
        yield _run(row, [PackScore(*(row[f"p_{c}"] for c in PACK_COLUMNS[2:]))], base)
