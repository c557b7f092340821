"""benchlab's built-in packs: one folder per pack, registered with the modes they belong to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlab import hookimpl
from benchlab.model import PackSource

HERE = Path(__file__).parent

# (pack id == folder name, modes it belongs to), in the order reports list them.
BUILTIN_PACKS: list[tuple[str, tuple[str, ...]]] = [
    ("toolcall-15", ("quick", "medium", "full")),
    ("instructfollow-15", ("quick", "medium", "full")),
    ("dataextract-15", ("medium", "full")),
    ("reasonmath-15", ("medium", "full")),
    ("structoutput-15", ("medium", "full")),
    ("bugfind-15", ("full",)),
    ("hermesagent-20", ("full",)),
    ("cli-40", ("full",)),
    ("aider-polyglot-30", ()),
]


@hookimpl
def register_packs(register: Any) -> None:
    for pack_id, modes in BUILTIN_PACKS:
        register(PackSource(id=pack_id, path=HERE / pack_id, modes=modes))
