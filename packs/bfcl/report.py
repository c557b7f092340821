"""The BFCL section of a run's report: per category and BFCL's aggregates, as BFCL computes them."""

from __future__ import annotations

from typing import Any

from benchlab.packs.bfcl import data as bfcl_data
from benchlab.packs.bfcl.summary import summarize


def bfcl_section(record: Any) -> list[str]:
    """Markdown lines for the bfcl-* packs of ``record`` (none when it played none)."""
    verdicts = [
        (category, result.passed, result.scenario_id)
        for result in record.results
        if (category := bfcl_data.category_of_pack(result.pack)) is not None
        and (result.failure_mode is None or result.failure_mode.is_scored)
    ]
    if not verdicts:
        return []
    # Categories the run selected: one whose every entry failed on the way (or was never
    # played) has no verdict, and the numbers must not pass for the leaderboard's.
    selected = [c for pack in record.packs if (c := bfcl_data.category_of_pack(pack.pack)) is not None]
    folder = bfcl_data.data_dir()
    sizes = {c: bfcl_data.entry_count(folder, c) for c in bfcl_data.CATEGORIES} if folder is not None else {}
    summary = summarize(verdicts, sizes, unscored=selected)
    lines = ["BFCL summary (computed as BFCL's leaderboard computes it):", "",
             "| Category | Accuracy | Played | Entries |", "| --- | --- | --- | --- |"]
    for category, score in summary.categories.items():
        lines.append(f"| {category} | {score.accuracy:.2%} | {score.passed}/{score.total} | {sizes.get(category, '?')} |")
    for aggregate, label in ((summary.non_live_ast, "Non-live AST"), (summary.live_ast, "Live AST")):
        missing = f" (missing: {', '.join(aggregate.missing)})" if aggregate.missing else ""
        lines.append(f"| **{label}** | {aggregate.display}{missing} | | {aggregate.total_count} |")
    lines += ["", "Comparable with the leaderboard." if summary.comparable else f"BFCL numbers {summary.caveat}."]
    return lines
