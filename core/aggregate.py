"""Per-pack aggregates: pass/total, score, latency percentiles, status, and per thinking arm
the statistics of repeats (each scenario's pass count and tier, benchlab.repeat_stats)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import attrs

from benchlab.model import DEFAULT_VARIANT, ArmSummary, Pack, PackSummary, ScenarioResult
from benchlab.repeat_stats import ScenarioCounts, summarize_repeats


def is_scored(result: ScenarioResult) -> bool:
    """Whether a result counts in Pass/Total (infrastructure failures and skips say nothing of the model)."""
    return result.failure_mode is None or result.failure_mode.is_scored


@attrs.frozen
class ScenarioTally:
    """One scenario, in one prompt variant and thinking arm, across its repeats."""

    pack: str
    scenario_id: str
    prompt_variant: str
    thinking: str
    verdicts: tuple[bool | None, ...]  # per repeat: passed, failed, or None (not scored or not played)

    @property
    def label(self) -> str:
        """The scenario's name inside its pack: its id, and its prompt variant when not the default."""
        return self.scenario_id if self.prompt_variant == DEFAULT_VARIANT else f"{self.scenario_id} [{self.prompt_variant}]"

    @property
    def counts(self) -> ScenarioCounts | None:
        """Passes out of scored repeats; None when no repeat was scored."""
        scored = [v for v in self.verdicts if v is not None]
        return ScenarioCounts(sum(scored), len(scored)) if scored else None


def scenario_tallies(results: Iterable[ScenarioResult]) -> list[ScenarioTally]:
    """Every (pack, scenario, variant, arm) of ``results`` in first-seen order, with its verdict per repeat.

    Each arm's lists run to the arm's highest repeat, so repeat r lines up across scenarios.
    """
    found: dict[tuple[str, str, str, str], dict[int, bool | None]] = {}
    last: dict[tuple[str, str], int] = {}
    for r in results:
        found.setdefault((r.pack, r.scenario_id, r.prompt_variant, r.thinking), {})[r.repeat] = (
            bool(r.passed) if is_scored(r) else None
        )
        last[(r.pack, r.thinking)] = max(last.get((r.pack, r.thinking), 0), r.repeat)
    return [
        ScenarioTally(*key, tuple(by_repeat.get(n) for n in range(last[(key[0], key[3])] + 1)))
        for key, by_repeat in found.items()
    ]


def arm_summaries(results: list[ScenarioResult]) -> dict[str, ArmSummary]:
    """One pack's results per thinking arm: Pass/Total and the statistics of its repeats."""
    arms: dict[str, ArmSummary] = {}
    tallies = scenario_tallies(results)
    for arm in sorted({r.thinking for r in results}):
        mine = [r for r in results if r.thinking == arm and is_scored(r)]
        passed = sum(1 for r in mine if r.passed)
        outcomes = {t.label: t.verdicts for t in tallies if t.thinking == arm and t.counts is not None}
        arms[arm] = ArmSummary(
            pass_count=passed,
            total=len(mine),
            score=passed / len(mine) if mine else None,
            repeats=max(r.repeat for r in results if r.thinking == arm) + 1,
            stats=summarize_repeats(outcomes) if outcomes else None,
        )
    return arms


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
    scored = [r for r in results if is_scored(r)]
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
        arms=arm_summaries(results),
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
