"""Reading JSONL input files (scenarios, proofs, recorded responses) line by line."""

from __future__ import annotations

import codecs
import json
import sys
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from benchlab.errors import BenchlabError, PackError
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
        yield lineno, _parse(path, lineno, line)


def _parse(path: Path, lineno: int, line: str) -> Any:
    try:
        return _DECODER.decode(line)
    except json.JSONDecodeError as exc:
        raise PackError(path, lineno, "json", f"{exc.msg} (column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # an integer past the digit limit; nesting past the recursion limit
        raise PackError(path, lineno, "json", str(exc) or "nested too deeply") from None


# Leading bytes that tell a file in a wide encoding (UTF-16/32 put NULs among ASCII text).
_HEAD = 64


def read_jsonl_places(path: Path, label: str | None = None) -> Iterator[tuple[int, int, int, Any]]:
    """``(line number, byte offset, byte length, value)`` for every non-blank line, the file read a
    line at a time: a caller can keep where each value is (``read_jsonl_at``) instead of every
    value (a replay file of 10,000 long answers). Line numbers, blank lines, errors and encodings
    as ``read_jsonl``: LF, CR LF and a lone CR each end a line, a UTF-8 byte-order mark is dropped."""
    where = f"{label} {path}" if label else str(path)
    try:
        handle = Path(path).open("rb")
    except OSError as exc:
        raise BenchlabError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    with handle:
        head = handle.read(_HEAD)
        if b"\0" in head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            read_text(path, label)  # UTF-16 or UTF-32: one error naming the encoding
        offset = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
        handle.seek(offset)
        lineno = 0
        for raw in handle:
            body = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
            start = offset
            for piece in body.split(b"\r"):  # a lone CR ends a line, as text-mode open() reads it
                lineno += 1
                try:
                    line = piece.decode("utf-8")
                except UnicodeDecodeError:
                    read_text(path, label)  # names the byte, its line and a likely encoding
                    raise
                if line.strip():
                    yield lineno, start, len(piece), _parse(path, lineno, line)
                start += len(piece) + 1
            offset += len(raw)


def read_jsonl_at(source: Path | BinaryIO, offset: int, length: int) -> Any:
    """The value of the line ``read_jsonl_places`` found at ``offset`` (``length`` bytes), read
    from the file at ``source`` or from ``source`` itself, a file open for reading bytes."""
    try:
        if isinstance(source, Path):
            with source.open("rb") as handle:
                handle.seek(offset)
                line = handle.read(length)
        else:
            source.seek(offset)
            line = source.read(length)
        return json.loads(line)
    except OSError as exc:
        raise BenchlabError(f"{getattr(source, 'name', source)}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, RecursionError):
        raise BenchlabError(f"{getattr(source, 'name', source)}: byte {offset} is no longer the line read there: the file changed") from None
