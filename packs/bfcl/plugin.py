"""The BFCL packs as a plugin: their registration, the --bfcl-mode run option, run notes and the report section.

Registering imports nothing from BFCL's data or the checker: those load when a run plays a bfcl-* pack.
"""

from __future__ import annotations

from typing import Any

from benchlab import hookimpl
from benchlab.model import PackSource, RunOption

# BFCL's single-turn Python categories, as BFCL spells them (the same list as
# benchlab.packs.bfcl.data.CATEGORIES, repeated here so registering imports nothing).
BFCL_CATEGORIES = (
    "simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance", "live_simple", "live_multiple",
    "live_parallel", "live_parallel_multiple", "live_irrelevance", "live_relevance",
)


@hookimpl
def register_packs(register: Any) -> None:
    for category in BFCL_CATEGORIES:
        register(PackSource(id=f"bfcl-{category}", loader="benchlab.packs.bfcl.loader:load", modes=(),
                            summary=f"BFCL's {category} category from the bfcl-eval package (50 by default)"))


@hookimpl
def register_run_options(register: Any) -> None:
    register("bfcl_mode", RunOption(
        flag="--bfcl-mode", default="fc", choices=("fc", "prompt"),
        help="How the bfcl-* packs ask: fc (the tools API) or prompt (function docs in the system prompt, calls as Python syntax)",
    ))


@hookimpl
def on_run_start(run: Any) -> None:
    # A BFCL run's record says when its scores are not the leaderboard's (a subset, another release).
    if any(pack.id.startswith("bfcl-") for pack in run.packs):
        from benchlab.packs.bfcl.loader import run_notes

        run.warnings.extend(run_notes(run.packs, run.config.selection.scenarios))


@hookimpl
def report_sections(record: Any) -> list[str] | None:
    if not any(pack.pack.startswith("bfcl-") for pack in record.packs):
        return None
    from benchlab.packs.bfcl.report import bfcl_section

    return bfcl_section(record)
