"""Reading JSONL input files (scenarios, proofs, recorded responses) line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from benchlab.errors import PackError
from benchlab.text_files import read_text


def read_jsonl(path: Path, label: str | None = None) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line; bad JSON is ``PATH:LINE: json: message``.

    The file must be UTF-8 (a byte-order mark is accepted); anything else is one error
    naming the file (``[LABEL ]PATH``) and the encoding found.
    """
    text = read_text(path, label)
    # Universal newlines, as text-mode open() would give: a raw CR cannot sit inside a JSON string.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise PackError(path, lineno, "json", f"{exc.msg} (column {exc.colno})") from None
        except (ValueError, RecursionError) as exc:  # an integer past the digit limit; nesting past the recursion limit
            raise PackError(path, lineno, "json", str(exc) or "nested too deeply") from None
