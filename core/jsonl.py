"""Reading JSONL input files (scenarios, proofs, recorded responses) line by line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

from benchlab.errors import PackError
from benchlab.text_files import read_text


def _interned(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Each line is its own JSON document, so the decoder cannot share key strings between lines:
    # a 100,000-line pack held 100,000 copies of "role", "content", "verifier"... Interned, one each.
    return {sys.intern(k): v for k, v in pairs}


_DECODER = json.JSONDecoder(object_pairs_hook=_interned)


def _lines(text: str) -> Iterator[str]:
    """``text.split("\\n")`` one line at a time: a list of every line beside the text doubled a large pack's peak."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def read_jsonl(path: Path, label: str | None = None) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line; bad JSON is ``PATH:LINE: json: message``.

    The file must be UTF-8 (a byte-order mark is accepted); anything else is one error
    naming the file (``[LABEL ]PATH``) and the encoding found.
    """
    text = read_text(path, label)
    # Universal newlines, as text-mode open() would give: a raw CR cannot sit inside a JSON string.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for lineno, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, _DECODER.decode(line)
        except json.JSONDecodeError as exc:
            raise PackError(path, lineno, "json", f"{exc.msg} (column {exc.colno})") from None
        except (ValueError, RecursionError) as exc:  # an integer past the digit limit; nesting past the recursion limit
            raise PackError(path, lineno, "json", str(exc) or "nested too deeply") from None
