"""BFCL's data, read from the installed ``bfcl-eval`` distribution without importing it.

The package's dependency tree pulls in torch, so the one documented install is
``pip install --no-deps bfcl-eval==2026.3.23``; importing ``bfcl_eval`` would then fail
on its missing dependencies, and benchlab never does. The data files are located
with ``importlib.util.find_spec`` (which finds a top-level package without running
it) and read as JSON lines: ``data/BFCL_v4_<category>.json`` holds the questions and
function docs, ``data/possible_answer/BFCL_v4_<category>.json`` the possible answers
(irrelevance and relevance categories have none: any answer without a call, or any
call, is what they ask for).

Ids and data change between releases, so benchlab is pinned to one release
(``PINNED_VERSION``); another installed version still loads, with a note saying so.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

PINNED_VERSION = "2026.3.23"
DISTRIBUTION = "bfcl-eval"
INSTALL_COMMAND = f"pip install --no-deps {DISTRIBUTION}=={PINNED_VERSION}"
FILE_PREFIX = "BFCL_v4_"

# The single-turn Python categories benchlab plays, spelled as BFCL spells them.
CATEGORIES = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "live_irrelevance",
    "live_relevance",
)
PACK_PREFIX = "bfcl-"
DEFAULT_SUBSET = 50  # the first entries of each category, in file order


def is_irrelevance(category: str) -> bool:
    """The right answer is no function call at all."""
    return "irrelevance" in category


def is_relevance(category: str) -> bool:
    """Any function call is the right answer (BFCL checks only that one decodes)."""
    return category == "live_relevance"


def has_possible_answers(category: str) -> bool:
    return not is_irrelevance(category) and not is_relevance(category)


def category_of_pack(pack_id: str) -> str | None:
    """``bfcl-multiple`` -> ``multiple``; None for a pack that is not a BFCL category."""
    if not pack_id.startswith(PACK_PREFIX):
        return None
    category = pack_id[len(PACK_PREFIX):]
    return category if category in CATEGORIES else None


def data_dir() -> Path | None:
    """The package's ``data`` folder, or None when bfcl-eval is not installed."""
    try:
        spec = importlib.util.find_spec("bfcl_eval")
    except (ImportError, ValueError):  # blocked (sys.modules entry None) or broken: unusable either way
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data"
        if (candidate / f"{FILE_PREFIX}{CATEGORIES[0]}.json").is_file():
            return candidate
    return None


def installed_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


def version_note(version: str | None) -> str | None:
    """What to tell the user when the installed release is not the pinned one."""
    if version == PINNED_VERSION:
        return None
    found = f"bfcl-eval {version}" if version else "a bfcl-eval of unknown version"
    return (f"{found} is installed, but benchlab's BFCL packs are checked against {PINNED_VERSION} "
            f"(ids and data change between releases): {INSTALL_COMMAND}")


def _read_lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_entries(folder: Path, category: str) -> list[dict[str, Any]]:
    """The category's entries in file order: ``id``, ``question`` (turns of messages), ``function``."""
    return _read_lines(folder / f"{FILE_PREFIX}{category}.json")


def entry_count(folder: Path, category: str) -> int:
    """How many entries the category has (its full size), without parsing them."""
    with (folder / f"{FILE_PREFIX}{category}.json").open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def read_possible_answers(folder: Path, category: str) -> dict[str, list[dict[str, Any]]]:
    """Entry id -> its ``ground_truth``: one ``{function: {param: [possible values]}}`` per expected call."""
    if not has_possible_answers(category):
        return {}
    return {row["id"]: row["ground_truth"] for row in _read_lines(folder / "possible_answer" / f"{FILE_PREFIX}{category}.json")}


def choose(entries: list[dict[str, Any]], full_dataset: bool, named: set[str]) -> list[dict[str, Any]]:
    """The entries a run plays: the first DEFAULT_SUBSET (every one with ``full_dataset``), plus any named."""
    if full_dataset:
        return list(entries)
    return [e for index, e in enumerate(entries) if index < DEFAULT_SUBSET or e["id"] in named]
