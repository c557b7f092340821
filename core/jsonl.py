"""Reading JSONL input files (scenarios, proofs, recorded responses) line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from benchlab.errors import PackError


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line; bad JSON is ``PATH:LINE: json: message``."""
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise PackError(path, lineno, "json", f"{exc.msg} (column {exc.colno})") from None
            except (ValueError, RecursionError) as exc:  # an integer past the digit limit; nesting past the recursion limit
                raise PackError(path, lineno, "json", str(exc) or "nested too deeply") from None
