"""RUN on the command line: a run id looked up under ``--out``, or the path of a run folder.

Every command that reads a saved run (``run --resume``, ``history --add``, and the
commands that inspect, diff or re-score runs) resolves its RUN argument here, so the
same words mean the same run everywhere and a mistake reads the same way:

- a run folder is a folder holding ``journal.jsonl`` (``run.json`` comes when the run ends);
  the two names are defined here, once, for the writers (journal, records) and the readers;
- ``RUN`` is tried first as a path: an existing folder must be a run folder;
- otherwise it is an id, and ``OUT/RUN`` must be a run folder; an unknown id is one error
  line that lists the most recent runs under ``OUT``, newest first.
"""

from __future__ import annotations

from pathlib import Path

from benchlab.errors import BenchlabError

# Imported by nothing heavy: `benchlab history` resolves folders without loading the codec.
JOURNAL = "journal.jsonl"
RUN_RECORD = "run.json"

# How many run ids an "unknown run" error lists.
RECENT_SHOWN = 5


def is_folder_name(run_id: str) -> bool:
    """Whether ``run_id`` can name a folder directly under ``--out`` (a record read from elsewhere may lie)."""
    return bool(run_id) and not run_id.startswith(".") and not any(c in run_id for c in "/\\\0") and len(run_id) <= 200


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a run folder (it holds a journal)."""
    return (path / JOURNAL).is_file()


def run_folders(out: Path) -> list[Path]:
    """The run folders directly under ``out``, oldest first (run ids begin with their UTC start time).

    Hidden folders are not runs: ``history --add`` copies a run under a hidden name first."""
    if not out.is_dir():
        return []
    return sorted((p for p in out.iterdir() if not p.name.startswith(".") and is_run_folder(p)), key=lambda p: p.name)


def recent_runs(out: Path, count: int = RECENT_SHOWN) -> list[str]:
    """The ids of the ``count`` most recent runs under ``out``, newest first."""
    return [p.name for p in reversed(run_folders(out)[-count:])]


def unknown_run(out: Path, run_id: str) -> BenchlabError:
    """The error for an id that names no run under ``out``: it lists the recent ones."""
    listing = ", ".join(recent_runs(out)) or "none"
    return BenchlabError(
        f"no run {run_id!r} under {out}/ (recent runs: {listing}); pass --out if it lives elsewhere, or the run folder's path"
    )


def find_run_by_id(out: Path, run_id: str) -> Path:
    """The folder of run ``run_id`` under ``out`` (``--resume`` takes ids only)."""
    run_dir = out / run_id
    if not is_folder_name(run_id) or not is_run_folder(run_dir):
        raise unknown_run(out, run_id)
    return run_dir


def run_folder_at(path: Path) -> Path:
    """``path`` when it is a run folder; otherwise one error line saying what it is instead."""
    path = path.expanduser()
    if path.is_dir():
        if not is_run_folder(path):
            if _is_negative_control_record(path):
                raise BenchlabError(f"{path}: a negative control's record, not a run: it sent nothing and has no "
                                    f"{JOURNAL} to read back (its table is in {RUN_RECORD})")
            raise BenchlabError(f"{path}: not a benchlab run folder (no {JOURNAL} in it)")
        return path
    if path.exists():
        raise BenchlabError(f"{path}: a file, not a run folder; give the folder holding {JOURNAL}")
    raise BenchlabError(f"{path}: no such run folder")


def _is_negative_control_record(path: Path) -> bool:
    """Whether ``path`` holds the record ``run --negative-control`` writes (a run.json, no journal)."""
    import json

    try:
        record = json.loads((path / RUN_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and str(record.get("mode") or "").startswith("--negative-control")


def resolve_run(ref: str, out: Path) -> Path:
    """The run folder ``ref`` names: a run id under ``out``, or a path to a run folder."""
    looks_like_path = "/" in ref or ref in (".", "..") or ref.startswith("~")
    if not looks_like_path and is_run_folder(out / ref):
        return out / ref
    if looks_like_path or Path(ref).exists():
        return run_folder_at(Path(ref))
    raise unknown_run(out, ref)
