"""BFCL's summary numbers from a run's verdicts, computed as BFCL's leaderboard computes them.

Per category: accuracy = passed / played. The aggregates follow BFCL's
``generate_leaderboard_csv`` (bfcl-eval 2026.3.23):

- Non-live AST: the unweighted mean of simple, multiple, parallel and parallel_multiple,
  where simple is itself the unweighted mean of simple_python, simple_java and
  simple_javascript. benchlab does not play Java or JavaScript yet, so this aggregate is
  always incomplete here.
- Live AST: the mean of live_simple, live_multiple, live_parallel and
  live_parallel_multiple weighted by their entry counts.
- Irrelevance, live irrelevance and live relevance are reported on their own.

As in BFCL, a category that was not played counts as 0 (with its full entry count in a
weighted mean) and makes the aggregate display as N/A: ``Aggregate.missing`` names it.
The numbers are the leaderboard's only when every category was played in full
(``--full-dataset``); ``BfclSummary.comparable`` says whether that holds.
"""

from __future__ import annotations

from typing import Iterable

import attrs

NON_LIVE_SIMPLE = ("simple_python", "simple_java", "simple_javascript")
NON_LIVE_AST = ("multiple", "parallel", "parallel_multiple")
LIVE_AST = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")


@attrs.frozen
class CategoryScore:
    category: str
    passed: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.passed / self.total if self.total else 0.0


@attrs.frozen
class Aggregate:
    """An aggregate as BFCL computes it; shown as N/A when ``missing`` is not empty."""

    name: str
    accuracy: float
    total_count: int
    missing: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return "N/A" if self.missing else f"{self.accuracy:.2%}"


@attrs.frozen
class BfclSummary:
    categories: dict[str, CategoryScore]
    non_live_ast: Aggregate
    live_ast: Aggregate
    comparable: bool
    caveat: str = ""


def summarize(results: Iterable[tuple[str, bool]], sizes: dict[str, int] | None = None) -> BfclSummary:
    """The summary of ``(category, passed)`` verdicts (one per played entry).

    ``sizes`` maps a category to its full entry count in the dataset; it weighs an
    unplayed category in the live mean (as BFCL does) and tells a full run from a subset.
    """
    sizes = sizes or {}
    counts: dict[str, list[int]] = {}
    for category, passed in results:
        tally = counts.setdefault(category, [0, 0])
        tally[0] += bool(passed)
        tally[1] += 1
    categories = {c: CategoryScore(c, p, t) for c, (p, t) in counts.items()}

    def score(category: str) -> tuple[float, int, tuple[str, ...]]:
        if category in categories:
            return categories[category].accuracy, categories[category].total, ()
        return 0.0, sizes.get(category, 0), (category,)

    simple = _unweighted("simple", [score(c) for c in NON_LIVE_SIMPLE])
    non_live = _unweighted("non_live_ast", [(simple.accuracy, simple.total_count, simple.missing)] + [score(c) for c in NON_LIVE_AST])
    live = _weighted("live_ast", [score(c) for c in LIVE_AST])
    subset = sorted(c for c, s in categories.items() if sizes.get(c) is None or s.total < sizes[c])
    caveat = ""
    if subset:
        caveat = (f"not comparable with the leaderboard: {', '.join(subset)} played "
                  + ("without its full size known" if any(c not in sizes for c in subset) else "in part") + " (--full-dataset plays every entry)")
    return BfclSummary(categories, non_live, live, comparable=not subset and bool(categories), caveat=caveat)


def _unweighted(name: str, parts: list[tuple[float, int, tuple[str, ...]]]) -> Aggregate:
    return Aggregate(name, sum(p[0] for p in parts) / len(parts), sum(p[1] for p in parts), tuple(m for p in parts for m in p[2]))


def _weighted(name: str, parts: list[tuple[float, int, tuple[str, ...]]]) -> Aggregate:
    total = sum(p[1] for p in parts)
    accuracy = sum(p[0] * p[1] for p in parts) / total if total else 0.0
    return Aggregate(name, accuracy, total, tuple(m for p in parts for m in p[2]))
