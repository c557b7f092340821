"""Per-pack aggregates: pass/total, score, latency percentiles, status."""

from __future__ import annotations

import math

from benchlab.model import Pack, PackSummary, ScenarioResult


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (p50 of [1, 2, 3, 4] is 2)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(pack: Pack, results: list[ScenarioResult], expected: int | None = None) -> PackSummary:
    """Infrastructure failures and not-scored scenarios are kept out of Pass/Total:
    they say nothing about the model. ``expected`` results (default: as many as given)
    minus those present were never played."""
    scored = [r for r in results if r.failure_mode is None or r.failure_mode.is_scored]
    infra = sum(1 for r in results if r.failure_mode is not None and r.failure_mode.is_infrastructure)
    not_scored = sum(1 for r in results if r.failure_mode is not None and r.failure_mode.category == "not_scored")
    pass_count = sum(1 for r in scored if r.passed)
    score = pass_count / len(scored) if scored else None
    latencies = [r.latency_s for r in results if r.latency_s is not None]
    floor = pack.manifest.floor
    unplayed = max((expected if expected is not None else len(results)) - len(results), 0)
    return PackSummary(
        pack=pack.id,
        title=pack.manifest.title,
        version=pack.manifest.version,
        pass_count=pass_count,
        total=len(scored),
        score=score,
        p50_s=percentile(latencies, 0.50),
        p95_s=percentile(latencies, 0.95),
        status=_status(score, floor, infra, unplayed),
        floor=floor,
        infrastructure_failures=infra,
        not_scored=not_scored,
        scenarios=len(results),
        unplayed=unplayed,
        dataset=pack.manifest.dataset,
    )


def unscored_marks(infra: int, unplayed: int) -> str:
    """`` ⚠️ N infra`` and/or `` ⚠️ N unplayed``: what a pack's score leaves out."""
    marks = [f"⚠️ {n} {what}" for n, what in ((infra, "infra"), (unplayed, "unplayed")) if n]
    return "".join(f" {mark}" for mark in marks)


def _status(score: float | None, floor: float | None, infra: int, unplayed: int) -> str:
    marks = unscored_marks(infra, unplayed).strip()
    if marks:
        return marks
    if score is None:
        return "⚠️ not scored"
    if floor is None:
        return "—"
    return "✅" if score >= floor - 1e-9 else "❌"
