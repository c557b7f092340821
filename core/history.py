"""The run index: ``index.sqlite`` in an ``--out`` folder, one row per run and one per pack.

The run folders are the truth and the index is a cache of their ``run.json`` summaries,
so that ``benchlab history`` answers without reading every record:

- ``index_run(out_dir, run_dir, record)`` adds or replaces one run (by run id).
  ``benchlab.run.write_run_files`` calls it after ``run.json`` and the reporters' files, for
  every run (finished or interrupted), resume and re-score. It never raises: a run that cannot
  be indexed is saved all the same, and a warning says how to add it later.
- ``reindex(out)`` rebuilds the index from the run folders. A folder holding a journal but
  no ``run.json`` (a run killed before its end) is not indexed: it is counted as incomplete
  and listed, with the command that finishes it.
- Every reader first brings the index up to date with the folders (``open_index``): run
  folders it does not hold are added, rows whose folder is gone are dropped. A corrupt (or wrongly shaped: a table or column missing)
  ``index.sqlite`` is rebuilt from the folders with one warning line.

Two processes finishing at once both land: every write is one ``BEGIN IMMEDIATE``
transaction and each connection waits up to ``BUSY_TIMEOUT_S`` for the other's lock.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from benchlab.errors import BenchlabError, warn
from benchlab.model import RunRecord
from benchlab.redact import redact_url
from benchlab.run_ref import RUN_RECORD, is_run_folder

INDEX = "index.sqlite"
# PRAGMA user_version of the index this benchlab writes; an older index is rebuilt, a newer one refused.
INDEX_SCHEMA = 2  # 2: runs.rescored
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,          -- UTC, ISO 8601: ordering and --since compare it as text
    model TEXT,
    backend TEXT NOT NULL,
    endpoint TEXT,                      -- credentials removed
    server TEXT NOT NULL,               -- the server fingerprint, a JSON object
    benchlab_version TEXT NOT NULL,
    mode TEXT NOT NULL,
    thinking_arms TEXT NOT NULL,        -- a JSON list: "off", "on"
    canonical INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    folder TEXT NOT NULL,               -- relative to the index's folder when inside it
    rescored TEXT                       -- the last re-scoring, "at T by benchlab V (packs ...)", or NULL
);
CREATE INDEX runs_by_time ON runs (finished_at);
CREATE INDEX runs_by_model ON runs (model, finished_at);
CREATE TABLE pack_scores (
    run_id TEXT NOT NULL,
    position INTEGER NOT NULL,          -- the pack's place in the run
    pack TEXT NOT NULL,
    title TEXT NOT NULL,
    version TEXT NOT NULL,
    pass_count INTEGER NOT NULL,
    total INTEGER NOT NULL,
    score REAL,
    infrastructure_failures INTEGER NOT NULL,
    not_scored INTEGER NOT NULL,
    unplayed INTEGER NOT NULL,
    PRIMARY KEY (run_id, pack)
);
CREATE INDEX pack_scores_by_pack ON pack_scores (pack);
"""

_RUN_COLUMNS = ("run_id", "started_at", "finished_at", "model", "backend", "endpoint", "server", "benchlab_version",
                "mode", "thinking_arms", "canonical", "complete", "folder", "rescored")
PACK_COLUMNS = ("run_id", "position", "pack", "title", "version", "pass_count", "total", "score",
                 "infrastructure_failures", "not_scored", "unplayed")


@attrs.frozen
class PackScore:
    """One pack's line of an indexed run (the record's ``PackSummary``, without latencies)."""

    pack: str
    title: str
    version: str
    pass_count: int
    total: int
    score: float | None
    infrastructure_failures: int = 0
    not_scored: int = 0
    unplayed: int = 0


@attrs.frozen
class IndexedRun:
    """One run as the index holds it; ``folder`` is absolute."""

    run_id: str
    started_at: str
    finished_at: str
    model: str | None
    backend: str
    endpoint: str | None
    server: dict[str, Any]
    benchlab_version: str
    mode: str
    thinking_arms: list[str]
    canonical: bool
    complete: bool
    folder: str
    packs: list[PackScore] = attrs.field(factory=list)
    rescored: str | None = None  # RunRecord.rescored_text


@attrs.frozen
class Reindexed:
    """What ``reindex`` found: runs indexed, run folders without ``run.json``, folders it could not read."""

    indexed: int
    incomplete: list[str]
    unreadable: list[tuple[str, str]]


def utc_iso(stamp: str) -> str:
    """``stamp`` (ISO 8601) as UTC to the second, so that stamps compare as text; unparseable ones are kept."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def index_entry(run_dir: Path, record: RunRecord, out: Path) -> IndexedRun:
    """The index's view of ``record``, saved in ``run_dir``."""
    folder = run_dir.resolve()
    return IndexedRun(
        run_id=record.run_id,
        started_at=utc_iso(record.started_at),
        finished_at=utc_iso(record.finished_at),
        model=record.model,
        backend=record.backend,
        # Records hold the endpoint already redacted; redacting again costs nothing and guards the index.
        endpoint=redact_url(record.endpoint) if record.endpoint else None,
        server={k: v for k, v in attrs.asdict(record.probe.server).items() if v is not None},
        benchlab_version=record.benchlab_version,
        mode=record.mode,
        thinking_arms=sorted({r.thinking for r in record.results}),
        canonical=record.canonical,
        complete=record.complete,
        folder=str(folder),
        packs=[PackScore(p.pack, p.title, p.version, p.pass_count, p.total, p.score, p.infrastructure_failures,
                         p.not_scored, p.unplayed) for p in record.packs],
        rescored=record.rescored_text,
    )


# -- connections -----------------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit: every write below opens its own BEGIN IMMEDIATE, so a writer takes the lock
    # before reading anything and two writers queue instead of deadlocking.
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    db.row_factory = sqlite3.Row
    return db


class _Write:
    """``with _Write(db):`` one BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")


def _prepare(db: sqlite3.Connection, path: Path, *, replace_newer: bool = False) -> bool:
    """Create the tables in an empty index; False when the index must be rebuilt (an older
    schema, or with ``replace_newer`` a newer one)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == INDEX_SCHEMA:
        return True
    if version > INDEX_SCHEMA:
        if replace_newer:
            return False
        raise BenchlabError(
            f"{path} was written by a newer benchlab (index schema {version}; this one reads {INDEX_SCHEMA}): "
            "upgrade benchlab, or rebuild it with `benchlab history --reindex`"
        )
    with _Write(db):
        # Another process may have created the tables while this one waited for the lock.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if version == 0 and tables == 0:
            for statement in _statements():
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {INDEX_SCHEMA}")
            return True
    return db.execute("PRAGMA user_version").fetchone()[0] == INDEX_SCHEMA


def _statements() -> list[str]:
    # executescript() would COMMIT the open transaction first: run the statements one by one.
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]


def _healthy(db: sqlite3.Connection) -> str | None:
    """None when the file is a sound SQLite database, else what is wrong with it."""
    try:
        found = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.OperationalError:
        raise  # locked or unreadable: not a reason to throw the index away
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return _missing_columns(db) if found == "ok" else str(found)


def _missing_columns(db: sqlite3.Connection) -> str | None:
    """What an index of this schema lacks (a table dropped, a column gone): a sound file
    with the wrong shape is as unusable as a corrupt one."""
    if db.execute("PRAGMA user_version").fetchone()[0] != INDEX_SCHEMA:
        return None  # empty, or another schema: _prepare decides
    for table, columns in (("runs", _RUN_COLUMNS), ("pack_scores", PACK_COLUMNS)):
        found = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if not found:
            return f"no table {table}"
        lacking = [c for c in columns if c not in found]
        if lacking:
            return f"table {table} has no column {', '.join(lacking)}"
    return None


def open_index(out: Path, *, sync: bool = True, replace_newer: bool = False) -> sqlite3.Connection:
    """A connection to ``out``'s index, created or rebuilt when missing, corrupt or of an older
    schema; with ``sync``, first brought up to date with the run folders under ``out``.
    An index of a newer schema is an error, unless ``replace_newer`` (``--reindex``)."""
    path = out / INDEX
    if not out.is_dir():
        raise BenchlabError(f"--out {out}: no such folder")
    existed = path.exists()
    try:
        db = _connect(path)
        problem = _healthy(db)
        if problem is None and _prepare(db, path, replace_newer=replace_newer):
            if sync:
                _sync(db, out)
            return db
        db.close()
    except sqlite3.OperationalError as exc:  # a lock held past the timeout, a read-only folder
        raise BenchlabError(f"{path}: {exc}") from None
    except sqlite3.DatabaseError as exc:  # not a database, or a malformed one
        problem = str(exc)
    if existed:
        warn(f"{path} was {'corrupt (' + problem + ')' if problem else 'of another index schema'}; rebuilt from the run folders")
    _rebuild_file(out)
    return _connect(path)


def _rebuild_file(out: Path) -> None:
    """A new index built beside the old one and swapped in: a corrupt file cannot be repaired in place."""
    fd, temp = tempfile.mkstemp(prefix=f".{INDEX}.", dir=out)
    os.close(fd)
    try:
        with closing(_connect(Path(temp))) as db:
            _prepare(db, Path(temp))
            _report(reindex_into(db, out), out)
        for suffix in ("-journal", "-wal", "-shm"):
            (out / (INDEX + suffix)).unlink(missing_ok=True)
        os.replace(temp, out / INDEX)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- writing ---------------------------------------------------------------------------------


def _folder_value(folder: str, out: Path) -> str:
    path = Path(folder)
    return path.name if path.parent == out.resolve() else str(path)


def _insert(db: sqlite3.Connection, entry: IndexedRun, out: Path) -> None:
    values = attrs.asdict(entry, recurse=False)
    values.update(server=json.dumps(entry.server, sort_keys=True), thinking_arms=json.dumps(entry.thinking_arms),
                  canonical=int(entry.canonical), complete=int(entry.complete), folder=_folder_value(entry.folder, out))
    db.execute("DELETE FROM pack_scores WHERE run_id = ?", (entry.run_id,))
    db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))})",
               [values[c] for c in _RUN_COLUMNS])
    db.executemany(
        f"INSERT INTO pack_scores ({', '.join(PACK_COLUMNS)}) VALUES ({', '.join('?' * len(PACK_COLUMNS))})",
        [(entry.run_id, n, *attrs.astuple(p)) for n, p in enumerate(entry.packs)],
    )


def index_run(out_dir: Path, run_dir: Path, record: RunRecord) -> bool:
    """Add (or replace, by run id) ``record``, saved in ``run_dir``, to ``out_dir``'s index.

    Called after ``run.json`` is written (``benchlab.run.write_run_files``: runs, resumes,
    re-scores). Never raises: False, after a warning, when the index
    could not take the run (the run folder is kept; ``history --reindex`` adds it later).
    """
    try:
        entry = index_entry(run_dir, record, out_dir)
        with closing(open_index(out_dir, sync=False)) as db, _Write(db):
            _insert(db, entry, out_dir)
        return True
    except (sqlite3.Error, OSError, BenchlabError) as exc:
        warn(f"run {record.run_id} is saved but not indexed ({exc}); `benchlab history --reindex --out {out_dir}` adds it")
        return False


def _scan(out: Path, skip: set[str]) -> tuple[dict[str, Path], list[str]]:
    """Run folders under ``out`` not named in ``skip``: those with a record, and those with a journal only."""
    done: dict[str, Path] = {}
    incomplete: list[str] = []
    for entry in os.scandir(out):
        hidden = entry.name.startswith(".")  # a run being copied in by --add
        if hidden or entry.name in skip or not entry.is_dir() or not is_run_folder(Path(entry.path)):
            continue
        if (Path(entry.path) / RUN_RECORD).is_file():
            done[entry.name] = Path(entry.path)
        else:
            incomplete.append(entry.name)
    return done, sorted(incomplete)


def _entries(folders: dict[str, Path], out: Path) -> tuple[list[IndexedRun], list[tuple[str, str]]]:
    """The index entries of ``folders`` in the order the runs finished, and the folders that could not be read."""
    from benchlab.records import read_record  # the codec loads only when a record is read

    stamped: list[tuple[tuple[str, int], IndexedRun]] = []
    unreadable: list[tuple[str, str]] = []
    for name, folder in sorted(folders.items()):
        try:
            record = read_record(folder)
        except BenchlabError as exc:
            unreadable.append((name, str(exc)))
            continue
        # Stamps have one-second resolution; within a second, the record written last finished last.
        order = (utc_iso(record.finished_at), (folder / RUN_RECORD).stat().st_mtime_ns)
        stamped.append((order, index_entry(folder, record, out)))
    return [entry for _, entry in sorted(stamped, key=lambda pair: pair[0])], unreadable


def reindex_into(db: sqlite3.Connection, out: Path) -> Reindexed:
    """Replace everything ``db`` holds with what the run folders under ``out`` hold."""
    folders, _ = _scan(out, set())
    entries, unreadable = _entries(folders, out)  # read outside the lock: records can be large
    with _Write(db):
        # Runs that finished while the records were read are in their folders now: take them too.
        late, incomplete = _scan(out, set(folders))
        more, late_unreadable = _entries(late, out)
        db.execute("DELETE FROM pack_scores")
        db.execute("DELETE FROM runs")
        seen: set[str] = set()
        for entry in entries + more:
            if entry.run_id in seen:
                unreadable.append((Path(entry.folder).name, f"run id {entry.run_id} is already indexed from another folder"))
                continue
            seen.add(entry.run_id)
            _insert(db, entry, out)
    return Reindexed(len(seen), incomplete, unreadable + late_unreadable)


def reindex(out: Path) -> Reindexed:
    """Rebuild ``out``'s index from its run folders (``benchlab history --reindex``)."""
    with closing(open_index(out, sync=False, replace_newer=True)) as db:
        found = reindex_into(db, out)
    _report(found, out)
    return found


def _report(found: Reindexed, out: Path) -> None:
    for name, why in found.unreadable:
        warn(f"{out / name} not indexed: {why}")


def _sync(db: sqlite3.Connection, out: Path) -> None:
    """Add run folders the index lacks and drop rows whose folder is gone (the folders are the truth)."""
    rows = db.execute("SELECT run_id, folder FROM runs").fetchall()
    names = {entry.name for entry in os.scandir(out)}
    gone = [r["run_id"] for r in rows if not (r["folder"] in names if "/" not in r["folder"] else Path(r["folder"]).is_dir())]
    new, _ = _scan(out, {r["folder"] for r in rows})
    entries, unreadable = _entries(new, out)
    indexed = {r["run_id"] for r in rows}
    unreadable += [(Path(e.folder).name, f"run id {e.run_id} is already indexed from another folder")
                   for e in entries if e.run_id in indexed]
    entries = [e for e in entries if e.run_id not in indexed]
    if gone or entries:
        with _Write(db):
            for run_id in gone:
                db.execute("DELETE FROM pack_scores WHERE run_id = ?", (run_id,))
                db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            for entry in entries:
                _insert(db, entry, out)
    for name, why in unreadable:
        warn(f"{out / name} not indexed: {why}")
