"""The one cattrs converter, and the only way benchlab writes JSON to disk.

Every JSON document and every JSONL line benchlab writes carries ``schema_version``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO, TypeVar

import cattrs

# 2: RunConfig in groups, typed probe facts and fingerprint, the five-part result key.
# 3: run.json keeps result summaries pointing into the journal (benchlab.model.ResultSummary).
SCHEMA_VERSION = 3

T = TypeVar("T")

converter = cattrs.Converter()
converter.register_unstructure_hook(Path, str)
converter.register_structure_hook(Path, lambda value, _: Path(value))


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    return converter.structure(data, cls)


def with_version(data: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **data}


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(data: Any, *, indent: int | None = None) -> str:
    """JSON that keeps text readable (no ASCII escaping) and can always be written as UTF-8.

    A model may send a lone surrogate (``"\\ud800"`` is valid JSON); UTF-8 cannot carry it
    raw, so it is written back as the same ``\\uXXXX`` escape, which reads back unchanged.
    """
    text = json.dumps(data, ensure_ascii=False, indent=indent, default=str)
    if text.isascii():  # O(1) in CPython; the regex costs as much as the encoding itself on a long answer
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def dumps(obj: Any, **extra: Any) -> str:
    """One JSON object (attrs instance or dict) with ``schema_version`` first."""
    data = unstructure(obj) if not isinstance(obj, dict) else obj
    return json_text(with_version({**data, **extra}))


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[TextIO]:
    """A text file written in full or not at all: a reader never sees half a file, a crash never leaves one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any, **extra: Any) -> None:
    """Write atomically (``atomic_file``), indented, ``schema_version`` first."""
    with atomic_file(path) as handle:
        data = unstructure(obj) if not isinstance(obj, dict) else obj
        handle.write(json_text(with_version({**data, **extra}), indent=2))
        handle.write("\n")


def write_json_listing(path: Path, obj: Any, key: str, items: Iterable[Any]) -> None:
    """Like ``write_json``, with ``key`` last: a list written one compact item per line, each
    unstructured as it is written. A long list then costs neither its whole unstructured copy
    in memory nor the pure-Python indenting encoder (the C encoder writes compact JSON)."""
    with atomic_file(path) as handle:
        data = unstructure(obj) if not isinstance(obj, dict) else obj
        head = json_text(with_version({k: v for k, v in data.items() if k != key}), indent=2)
        handle.write(head[:-2] if head.endswith("\n}") else head[:-1])  # reopen the object
        handle.write(f',\n  {json_text(key)}: [')
        first = True
        for item in items:
            handle.write("\n    " if first else ",\n    ")
            handle.write(json_text(unstructure(item)))
            first = False
        handle.write("\n  ]\n}\n" if not first else "]\n}\n")


def check_version(data: dict[str, Any], source: object) -> None:
    """Every file benchlab reads says which schema wrote it; this benchlab reads up to its own."""
    from benchlab.errors import BenchlabError

    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BenchlabError(f"{source}: no schema_version: not a file benchlab wrote")
    if version > SCHEMA_VERSION:
        raise BenchlabError(
            f"{source}: schema_version {version} is newer than this benchlab reads ({SCHEMA_VERSION}); "
            "it was written by a newer benchlab: upgrade benchlab to read it"
        )
