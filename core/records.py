"""Reading a saved run back: ``run.json`` as a typed ``RunRecord``, whatever schema wrote it."""

from __future__ import annotations

import json
from pathlib import Path

from benchlab.codec import check_version, structure
from benchlab.errors import BenchlabError
from benchlab.model import RunRecord
from benchlab.run_ref import RUN_RECORD
from benchlab.upgrade import upgrade_record



def read_record(path: Path) -> RunRecord:
    """The record in ``path`` (a ``run.json`` or the run folder holding it); older schemas are upgraded."""
    file = path / RUN_RECORD if path.is_dir() else path
    from benchlab.text_files import read_text

    if not file.is_file():
        raise BenchlabError(f"{file}: no such file; is this a finished benchlab run?")
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
