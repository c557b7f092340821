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
(``--full-dataset``) and each of the run's categories has verdicts; ``BfclSummary.comparable``
says whether that holds. Repeats (``--repeat``) average into a category's accuracy, but an
entry counts once towards its size: played 10 of 16 entries twice is still a part.
"""

from __future__ import annotations

from typing import Iterable

import attrs

NON_LIVE_SIMPLE = ("simple_python", "simple_java", "simple_javascript")
NON_LIVE_AST = ("multiple", "parallel", "parallel_multiple")
LIVE_AST = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")


@attrs.frozen
class CategoryScore:
    """``passed`` of ``total`` verdicts, on ``entries`` distinct entries (fewer than ``total`` with repeats)."""

    category: str
    passed: int
    total: int
    entries: int = attrs.field()

    @entries.default
    def _one_verdict_per_entry(self) -> int:
        return self.total

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


def summarize(results: Iterable[tuple[str, bool] | tuple[str, bool, str]], sizes: dict[str, int] | None = None,
              unscored: Iterable[str] = ()) -> BfclSummary:
    """The summary of ``(category, passed)`` verdicts, one per played entry, or of
    ``(category, passed, entry_id)`` verdicts when an entry may have several (repeats).

    ``sizes`` maps a category to its full entry count in the dataset; it weighs an
    unplayed category in the live mean (as BFCL does) and tells a full run from a subset.
    ``unscored`` names categories the run selected that got no verdict at all (every
    entry an infrastructure failure, or never played): their numbers are not the leaderboard's.
    """
    sizes = sizes or {}
    counts: dict[str, list[int]] = {}
    entries: dict[str, set[object]] = {}
    for index, (category, passed, *entry) in enumerate(results):
        tally = counts.setdefault(category, [0, 0])
        tally[0] += bool(passed)
        tally[1] += 1
        entries.setdefault(category, set()).add(entry[0] if entry else index)
    categories = {c: CategoryScore(c, p, t, len(entries[c])) for c, (p, t) in counts.items()}

    def score(category: str) -> tuple[float, int, tuple[str, ...]]:
        if category in categories:
            return categories[category].accuracy, categories[category].entries, ()
        return 0.0, sizes.get(category, 0), (category,)

    simple = _unweighted("simple", [score(c) for c in NON_LIVE_SIMPLE])
    non_live = _unweighted("non_live_ast", [(simple.accuracy, simple.total_count, simple.missing)] + [score(c) for c in NON_LIVE_AST])
    live = _weighted("live_ast", [score(c) for c in LIVE_AST])
    subset = sorted(c for c, s in categories.items() if sizes.get(c) is None or s.entries < sizes[c])
    not_scored = sorted(set(unscored) - set(categories))
    reasons = []
    if subset:
        reasons.append(f"{', '.join(subset)} played "
                       + ("without its full size known" if any(c not in sizes for c in subset) else "in part")
                       + " (--full-dataset plays every entry; a resume plays what has no verdict)")
    if not_scored:
        reasons.append(f"{', '.join(not_scored)} not scored (infrastructure failures or never played)")
    caveat = f"not comparable with the leaderboard: {'; '.join(reasons)}" if reasons else ""
    return BfclSummary(categories, non_live, live, comparable=not reasons and bool(categories), caveat=caveat)


def _unweighted(name: str, parts: list[tuple[float, int, tuple[str, ...]]]) -> Aggregate:
    return Aggregate(name, sum(p[0] for p in parts) / len(parts), sum(p[1] for p in parts), tuple(m for p in parts for m in p[2]))


def _weighted(name: str, parts: list[tuple[float, int, tuple[str, ...]]]) -> Aggregate:
    total = sum(p[1] for p in parts)
    accuracy = sum(p[0] * p[1] for p in parts) / total if total else 0.0
    return Aggregate(name, accuracy, total, tuple(m for p in parts for m in p[2]))
