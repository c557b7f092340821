"""The regression gate: did a run get worse than its baseline by more than noise explains?

One function, :func:`check`, takes per pack and per scenario the baseline's and the run's
(passes, scored repeats) and returns a typed decision. ``baseline check`` calls it on saved
records and ``benchmarks/gate`` on simulated ones, so the measured false-alarm and detection
rates are those of the rule that ships.

The rule (docs/statistics.md has the formulas and the reasoning):

- Each scenario is a stratum. Given its margins (how many repeats each side ran, how many
  failed in all), "no change" makes the run's share of the failures hypergeometric, whatever
  the scenario's pass probability. A scenario that passed 3/3 in the baseline and fails 1/1 now
  had a 1-in-4 chance of that under no change; a scenario at 2/3 failing 1/1, 2-in-4: a stable
  scenario that breaks is stronger evidence than a flaky one failing, and a scenario that
  failed or passed everything on both sides carries none.
- Per pack, the statistic is the run's total failures over its scenarios, and its p-value is
  exact: the upper tail of the convolution of the scenarios' hypergeometric distributions (the
  exact conditional test of a common odds ratio, an exact Cochran-Mantel-Haenszel test).
- The same test over every scenario of every pack catches a small drop spread everywhere.
- Holm's correction runs over the pack tests and the all-packs test; the gate fires when any
  adjusted p-value is at most alpha, so an unchanged endpoint fires at most alpha of the time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

import attrs

from benchlab.repeat_stats import ScenarioCounts, Tier
from benchlab.stats import StatisticsError, holm

ALPHA = 0.05
# What baseline capture requires per result key. check() itself takes any counts: the test
# stays exact with fewer, only weaker.
MIN_BASELINE_REPEATS = 3
TEST_NAME = "exact stratified test (scenarios as strata)"

PackCounts = Mapping[str, ScenarioCounts]  # scenario id -> counts
Counts = Mapping[str, PackCounts]  # pack id -> its scenarios


@attrs.frozen
class ScenarioChange:
    """A scenario whose pass rate fell, with its own one-sided exact (Fisher) p-value."""

    pack: str
    scenario: str
    baseline: ScenarioCounts
    run: ScenarioCounts
    p_value: float

    @property
    def baseline_tier(self) -> Tier:
        return self.baseline.tier

    @property
    def evidence(self) -> str:
        """e.g. ``passed 3/3 in the baseline (stable pass), 0/1 now``."""
        b, r = self.baseline, self.run
        return f"passed {b.passes}/{b.repeats} in the baseline ({b.tier.value}), {r.passes}/{r.repeats} now"


@attrs.frozen
class PackTest:
    """The exact stratified test over one pack's scenarios (pack None: over every pack)."""

    pack: str | None
    scenarios: int  # scenarios in both the baseline and the run
    run_failures: int  # the statistic: failed repeats in the run
    expected_failures: float  # its mean under no change, given each scenario's margins
    p_value: float  # P(run failures >= observed | no change), exact
    adjusted_p: float  # Holm-adjusted over every test the gate ran
    regressed: bool
    worse: tuple[ScenarioChange, ...]  # scenarios whose pass rate fell, strongest evidence first
    test: str = TEST_NAME


@attrs.frozen
class GateDecision:
    fired: bool
    alpha: float
    packs: tuple[PackTest, ...]
    overall: PackTest | None  # None with fewer than two packs compared
    unmatched: tuple[str, ...]  # "pack/scenario" keys on one side only: not compared

    @property
    def regressed_packs(self) -> tuple[PackTest, ...]:
        return tuple(test for test in self.packs if test.regressed)

    @property
    def regressed_scenarios(self) -> tuple[ScenarioChange, ...]:
        """The evidence behind a firing: every scenario that fell when the all-packs test fired,
        else those of the packs that regressed; strongest first."""
        if self.overall is not None and self.overall.regressed:
            return _strongest_first(change for test in self.packs for change in test.worse)
        return _strongest_first(change for test in self.regressed_packs for change in test.worse)


def check(baseline: Counts, run: Counts, *, alpha: float = ALPHA) -> GateDecision:
    """The gate's decision for a run against a baseline (see the module docstring)."""
    if not 0 < alpha < 1:
        raise StatisticsError(f"alpha must lie strictly between 0 and 1, not {alpha!r}")
    unmatched: list[str] = []
    matched: dict[str, list[tuple[str, ScenarioCounts, ScenarioCounts]]] = {}
    for pack in sorted(set(baseline) | set(run)):
        before, after = baseline.get(pack, {}), run.get(pack, {})
        unmatched.extend(f"{pack}/{scenario}" for scenario in sorted(set(before) ^ set(after)))
        shared = sorted(set(before) & set(after))
        pairs = [(s, _counts(before[s], pack, s), _counts(after[s], pack, s)) for s in shared]
        if pairs:
            matched[pack] = pairs
    if not matched:
        raise StatisticsError("the run and the baseline share no scenario: nothing to compare")

    raw = [_stratified_test(pack, pairs) for pack, pairs in matched.items()]
    if len(raw) > 1:
        raw.append(_stratified_test(None, [pair for pairs in matched.values() for pair in pairs], raw))
    adjusted = holm([test.p_value for test in raw])
    tests = [attrs.evolve(test, adjusted_p=p, regressed=p <= alpha) for test, p in zip(raw, adjusted)]
    packs = tuple(test for test in tests if test.pack is not None)
    overall = next((test for test in tests if test.pack is None), None)
    return GateDecision(
        fired=any(test.regressed for test in tests),
        alpha=alpha,
        packs=packs,
        overall=overall,
        unmatched=tuple(unmatched),
    )


def _stratified_test(
    pack: str | None,
    pairs: Sequence[tuple[str, ScenarioCounts, ScenarioCounts]],
    pack_tests: Sequence[PackTest] = (),
) -> PackTest:
    strata = [_run_failure_ways(before, after) for _, before, after in pairs]
    observed = sum(after.failures for _, _, after in pairs)
    # E[x] of a hypergeometric: the run's share of the repeats times the scenario's failures
    expected = sum(
        after.repeats * (before.failures + after.failures) / (before.repeats + after.repeats)
        for _, before, after in pairs
    )
    if pack is None:
        worse = _strongest_first(change for test in pack_tests for change in test.worse)
    else:
        worse = _strongest_first(
            ScenarioChange(pack, scenario, before, after, _upper_tail([ways], after.failures))
            for (scenario, before, after), ways in zip(pairs, strata)
            if after.rate < before.rate
        )
    return PackTest(
        pack=pack,
        scenarios=len(pairs),
        run_failures=observed,
        expected_failures=expected,
        p_value=_upper_tail(strata, observed),
        adjusted_p=1.0,
        regressed=False,
        worse=worse,
    )


def _run_failure_ways(before: ScenarioCounts, after: ScenarioCounts) -> dict[int, int]:
    """For each possible number x of run failures, how many ways the scenario's F failures can
    fall on its N repeats with x of them in the run's n: C(F, x) * C(N - F, n - x).

    Divided by C(N, n) this is the hypergeometric distribution of x under no change.
    """
    total = before.repeats + after.repeats
    failures = before.failures + after.failures
    n = after.repeats
    return {
        x: math.comb(failures, x) * math.comb(total - failures, n - x)
        for x in range(max(0, n - (total - failures)), min(n, failures) + 1)
    }


def _upper_tail(strata: Sequence[dict[int, int]], observed: int) -> float:
    """P(sum of the strata's run failures >= observed), exactly (integer convolution)."""
    ways = {0: 1}
    all_ways = 1
    for stratum in strata:
        combined: dict[int, int] = {}
        for total, count in ways.items():
            for x, stratum_count in stratum.items():
                combined[total + x] = combined.get(total + x, 0) + count * stratum_count
        ways = combined
        all_ways *= sum(stratum.values())
    extreme = sum(count for total, count in ways.items() if total >= observed)
    return float(Fraction(extreme, all_ways))


def _strongest_first(changes: Iterable[ScenarioChange]) -> tuple[ScenarioChange, ...]:
    # smallest p first; among equals, the scenario that was more reliable in the baseline
    return tuple(sorted(changes, key=lambda c: (c.p_value, -c.baseline.rate, c.pack, c.scenario)))


def _counts(value: object, pack: str, scenario: str) -> ScenarioCounts:
    if not isinstance(value, ScenarioCounts):
        raise StatisticsError(f"{pack}/{scenario}: expected pass counts, got {type(value).__name__}")
    return value
