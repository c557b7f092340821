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


def summarize(pack: Pack, results: list[ScenarioResult]) -> PackSummary:
    """Infrastructure failures and not-scored scenarios are kept out of Pass/Total:
    they say nothing about the model."""
    scored = [r for r in results if r.failure_mode is None or r.failure_mode.is_scored]
    infra = sum(1 for r in results if r.failure_mode is not None and r.failure_mode.is_infrastructure)
    not_scored = sum(1 for r in results if r.failure_mode is not None and r.failure_mode.category == "not_scored")
    pass_count = sum(1 for r in scored if r.passed)
    score = pass_count / len(scored) if scored else None
    latencies = [r.latency_s for r in results if r.latency_s is not None]
    floor = pack.manifest.floor
    return PackSummary(
        pack=pack.id,
        title=pack.manifest.title,
        version=pack.manifest.version,
        pass_count=pass_count,
        total=len(scored),
        score=score,
        p50_s=percentile(latencies, 0.50),
        p95_s=percentile(latencies, 0.95),
        status=_status(score, floor, infra, not_scored),
        floor=floor,
        infrastructure_failures=infra,
        not_scored=not_scored,
        scenarios=len(results),
    )


def _status(score: float | None, floor: float | None, infra: int, not_scored: int) -> str:
    if score is None:
        return "⚠️ not scored" if not infra else f"⚠️ {infra} infra"
    if infra:
        return f"⚠️ {infra} infra"
    if floor is None:
        return "—"
    return "✅" if score >= floor - 1e-9 else "❌"
