"""Statistics of repeated runs: per-scenario tiers, spread across repeats, pass@k and pass^k,
and a pass-rate interval with the scenario as the cluster.

Repeats of one scenario are not independent evidence about a pack: a scenario the model cannot
do fails every repeat. So rates are averaged per scenario first, and the interval's standard
error comes from the spread of those scenario means (docs/statistics.md).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence

import attrs

from benchlab.stats import Interval, StatisticsError, student_t_quantile, wilson_interval


class Tier(str, enum.Enum):
    """How a scenario behaved across its repeats."""

    STABLE_PASS = "stable pass"  # passed every repeat
    FLAKY = "flaky"  # passed some repeats, not all
    STABLE_FAIL = "stable fail"  # passed none


@attrs.frozen
class ScenarioCounts:
    """One scenario's scored repeats and how many of them passed.

    Only scored repeats count: an infrastructure failure or a skipped scenario says nothing
    about the model, so the caller leaves it out of both numbers.
    """

    passes: int
    repeats: int

    def __attrs_post_init__(self) -> None:
        for name in ("passes", "repeats"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise StatisticsError(f"{name} must be a whole number, not {value!r}")
        if self.repeats < 1:
            raise StatisticsError(f"a scenario needs at least one scored repeat, not {self.repeats}")
        if not 0 <= self.passes <= self.repeats:
            raise StatisticsError(f"passes must lie in 0..{self.repeats}, not {self.passes}")

    @property
    def failures(self) -> int:
        return self.repeats - self.passes

    @property
    def rate(self) -> float:
        return self.passes / self.repeats

    @property
    def tier(self) -> Tier:
        if self.passes == self.repeats:
            return Tier.STABLE_PASS
        if self.passes == 0:
            return Tier.STABLE_FAIL
        return Tier.FLAKY


@attrs.frozen
class Spread:
    """Per-repeat pack pass rates: their mean, sample std (n - 1) and CV (std / mean).

    std is None with fewer than two repeats; cv is None then, and when the mean is 0.
    """

    mean: float
    std: float | None
    cv: float | None


@attrs.frozen
class RepeatSummary:
    """One pack's repeats, summarised (see summarize_repeats)."""

    scenarios: int
    tiers: Mapping[Tier, int]
    mean_rate: float
    spread: Spread
    interval: Interval
    pass_at_k: Mapping[int, float]
    pass_hat_k: Mapping[int, float]


def spread(rates: Sequence[float]) -> Spread:
    """Mean, sample standard deviation (divided by n - 1) and coefficient of variation."""
    if not rates:
        raise StatisticsError("a spread needs at least one repeat")
    mean = sum(rates) / len(rates)
    if len(rates) < 2:
        return Spread(mean, None, None)
    std = math.sqrt(sum((rate - mean) ** 2 for rate in rates) / (len(rates) - 1))
    return Spread(mean, std, std / mean if mean > 0 else None)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one scenario: 1 - C(n - c, k) / C(n, k).

    The chance that k repeats drawn without replacement from the n observed (c of them
    passing) contain at least one pass (Chen et al. 2021).
    """
    _require_k(n, c, k)
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k for one scenario: C(c, k) / C(n, k).

    The chance that k repeats drawn without replacement from the n observed all pass: the
    reliability counterpart of pass@k.
    """
    _require_k(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def mean_pass_at_k(scenarios: Sequence[ScenarioCounts], k: int) -> float:
    """pass@k averaged over scenarios (each scenario needs at least k repeats)."""
    return _mean_over(scenarios, lambda s: pass_at_k(s.repeats, s.passes, k))


def mean_pass_hat_k(scenarios: Sequence[ScenarioCounts], k: int) -> float:
    """pass^k averaged over scenarios (each scenario needs at least k repeats)."""
    return _mean_over(scenarios, lambda s: pass_hat_k(s.repeats, s.passes, k))


def clustered_interval(scenarios: Sequence[ScenarioCounts], *, confidence: float = 0.95) -> Interval:
    """The pack pass rate with a confidence interval that treats each scenario as a cluster.

    estimate = the mean of the m scenario means r_i = passes_i / repeats_i;
    SE = s / sqrt(m) with s the sample standard deviation (m - 1) of the r_i;
    interval = estimate -/+ t(m - 1, 0.975) * SE, clipped to 0..1 (t, not z: m is often 15).
    Degenerate cases, where s is 0 or undefined (m = 1, or every scenario has the same mean,
    e.g. all passed every repeat), would give a point: the interval is then the Wilson score
    interval for the sum of the scenario means out of m, which uses p(1 - p), the largest
    variance a 0..1 scenario mean can have (15 scenarios all passing: 0.796..1).
    """
    m = len(scenarios)
    if m == 0:
        raise StatisticsError("a pass-rate interval needs at least one scenario")
    means = [s.rate for s in scenarios]
    estimate = sum(means) / m
    if m == 1 or all(mean == means[0] for mean in means):
        bounds = wilson_interval(sum(means), m, confidence=confidence)
        return Interval(estimate, bounds.low, bounds.high, "Wilson score over scenarios (no spread to cluster)")
    sd = math.sqrt(sum((mean - estimate) ** 2 for mean in means) / (m - 1))
    half = student_t_quantile(0.5 + confidence / 2, m - 1) * sd / math.sqrt(m)
    return Interval(
        estimate, max(0.0, estimate - half), min(1.0, estimate + half), "clustered by scenario (t, m - 1 df)"
    )


def summarize_repeats(outcomes: Mapping[str, Sequence[bool | None]]) -> RepeatSummary:
    """One pack's statistics from each scenario's verdict per repeat.

    ``outcomes[scenario][r]`` is True (passed), False (failed) or None (not scored in repeat r:
    an infrastructure failure or a skip, left out everywhere). The spread is over per-repeat
    pack pass rates (the share of the scenarios scored in repeat r that passed); pass@k and
    pass^k are given for every k up to the fewest scored repeats of any scenario.
    """
    counts = []
    per_repeat: dict[int, list[bool]] = {}
    for scenario, verdicts in outcomes.items():
        scored = [v for v in verdicts if v is not None]
        if not scored:
            raise StatisticsError(f"scenario {scenario!r} has no scored repeat")
        counts.append(ScenarioCounts(sum(scored), len(scored)))
        for index, verdict in enumerate(verdicts):
            if verdict is not None:
                per_repeat.setdefault(index, []).append(bool(verdict))
    if not counts:
        raise StatisticsError("a repeat summary needs at least one scenario")
    rates = [sum(v) / len(v) for _, v in sorted(per_repeat.items())]
    fewest = min(c.repeats for c in counts)
    interval = clustered_interval(counts)
    return RepeatSummary(
        scenarios=len(counts),
        tiers={tier: sum(1 for c in counts if c.tier is tier) for tier in Tier},
        mean_rate=interval.estimate,
        spread=spread(rates),
        interval=interval,
        pass_at_k={k: mean_pass_at_k(counts, k) for k in range(1, fewest + 1)},
        pass_hat_k={k: mean_pass_hat_k(counts, k) for k in range(1, fewest + 1)},
    )


def _mean_over(scenarios: Sequence[ScenarioCounts], value: Callable[[ScenarioCounts], float]) -> float:
    if not scenarios:
        raise StatisticsError("an average over scenarios needs at least one scenario")
    return sum(value(s) for s in scenarios) / len(scenarios)


def _require_k(n: int, c: int, k: int) -> None:
    for name, number in (("n", n), ("c", c), ("k", k)):
        if isinstance(number, bool) or not isinstance(number, int):
            raise StatisticsError(f"{name} must be a whole number, not {number!r}")
    if n < 1 or not 0 <= c <= n:
        raise StatisticsError(f"need n >= 1 repeats and 0 <= c <= n passes (n = {n}, c = {c})")
    if not 1 <= k <= n:
        raise StatisticsError(f"k must lie in 1..n (the repeats run): k = {k}, n = {n}")
