"""benchlab.regression_gate: hand-computed p-values, the evidence it reports, its exactness
(checked by brute-force enumeration with scipy's hypergeometric distribution), and its false
alarm rate computed exactly, not simulated (the simulated rates are benchmarks/gate's)."""

from __future__ import annotations

import itertools
import math

import pytest

from benchlab.errors import BenchlabError
from benchlab.regression_gate import GateDecision, check
from benchlab.repeat_stats import ScenarioCounts as C
from benchlab.repeat_stats import Tier
from benchlab.stats import StatisticsError
from test_stats import scipy_stats


def stable_pack(size: int, baseline: C = C(3, 3), run: C = C(3, 3)) -> tuple[dict[str, C], dict[str, C]]:
    return {f"S{i:02d}": baseline for i in range(size)}, {f"S{i:02d}": run for i in range(size)}


def test_pack_p_value_by_hand() -> None:
    """Three scenarios, one repeat now. Run failures per scenario, given its margins:
    a 3/3 -> 0/1: 1 failure among 4 repeats, in the run's 1 with probability 1/4;
    b 2/3 -> 0/1: 2 failures among 4, in the run with probability 2/4;
    c 0/3 -> 0/1: every repeat failed, so the run's failure is certain (no evidence).
    Observed 3 failures = the maximum: P = 1/4 * 2/4 * 1 = 0.125; expected 1/4 + 2/4 + 1 = 1.75."""
    decision = check(
        {"p": {"a": C(3, 3), "b": C(2, 3), "c": C(0, 3)}}, {"p": {"a": C(0, 1), "b": C(0, 1), "c": C(0, 1)}}
    )
    (pack,) = decision.packs
    assert (pack.scenarios, pack.run_failures) == (3, 3)
    assert pack.expected_failures == pytest.approx(1.75)
    assert pack.p_value == pytest.approx(0.125)
    assert pack.adjusted_p == pytest.approx(0.125)  # one pack: no all-packs test, nothing to adjust
    assert decision.overall is None and not decision.fired


def test_a_stable_scenario_failing_is_stronger_evidence_than_a_flaky_one() -> None:
    """Same pack as above: the stable scenario's own Fisher p (1/4) is below the flaky one's
    (2/4), it is listed first, and its evidence names the baseline counts and tier."""
    decision = check({"p": {"a": C(3, 3), "b": C(2, 3)}}, {"p": {"a": C(0, 1), "b": C(0, 1)}})
    stable, flaky = decision.packs[0].worse
    assert (stable.scenario, stable.p_value, stable.baseline_tier) == ("a", 0.25, Tier.STABLE_PASS)
    assert (flaky.scenario, flaky.p_value, flaky.baseline_tier) == ("b", 0.5, Tier.FLAKY)
    assert stable.evidence == "passed 3/3 in the baseline (stable pass), 0/1 now"
    assert flaky.evidence == "passed 2/3 in the baseline (flaky), 0/1 now"


def test_a_flaky_scenario_failing_every_repeat_does_not_fire_on_its_own() -> None:
    """Baseline 5 runs, run 3 repeats; 14 other scenarios pass everything (no evidence).
    Flaky 3/5 -> 0/3: 5 failures among 8 repeats; all 3 run repeats among them with
    probability C(5,3) C(3,0) / C(8,3) = 10/56 = 0.179: no firing.
    Stable 5/5 -> 0/3: C(3,3) C(5,0) / C(8,3) = 1/56 = 0.018: fires."""
    baseline, run = stable_pack(14, C(5, 5))
    flaky = check({"p": {**baseline, "X": C(3, 5)}}, {"p": {**run, "X": C(0, 3)}})
    assert flaky.packs[0].p_value == pytest.approx(10 / 56)
    assert not flaky.fired
    stable = check({"p": {**baseline, "X": C(5, 5)}}, {"p": {**run, "X": C(0, 3)}})
    assert stable.packs[0].p_value == pytest.approx(1 / 56)
    assert stable.fired
    assert [(c.scenario, c.evidence) for c in stable.regressed_scenarios] == [
        ("X", "passed 5/5 in the baseline (stable pass), 0/3 now")
    ]


def test_one_broken_scenario_among_five_packs_is_reported_but_cannot_fire() -> None:
    """With a 3-run baseline a scenario going 3/3 -> 0/3 has p = 1/C(6,3) = 1/20 = 0.05 in its
    pack; Holm over 5 packs and the all-packs test needs 0.05/6: the gate stays quiet (the limit
    of what one scenario can prove with 3 + 3 repeats) yet shows the scenario as worse."""
    baseline = {f"pack{i}": stable_pack(15)[0] for i in range(5)}
    run = {f"pack{i}": stable_pack(15)[1] for i in range(5)}
    run["pack0"] = {**run["pack0"], "S00": C(0, 3)}
    decision = check(baseline, run)
    assert not decision.fired
    assert decision.packs[0].p_value == pytest.approx(0.05)
    assert decision.packs[0].adjusted_p == pytest.approx(0.3)  # 6 tests * 0.05 (the all-packs test too)
    assert [c.scenario for c in decision.packs[0].worse] == ["S00"]
    assert decision.regressed_scenarios == ()


def test_a_pack_that_drops_fires_and_names_its_scenarios() -> None:
    """Pack 'tools': 11 stable scenarios fall from 3/3 to 1/3. Each has 2 failures among 6
    repeats, both in the run with probability C(2,2) C(4,1) / C(6,3) = 4/20; all 11 at once:
    (1/5)^11 = 2.0e-8. Holm over 2 packs + all packs keeps it far below 0.05."""
    tools_before, tools_after = stable_pack(11, C(3, 3), C(1, 3))
    other_before, other_after = stable_pack(15)
    decision = check({"tools": tools_before, "other": other_before}, {"tools": tools_after, "other": other_after})
    assert decision.fired
    tools = next(test for test in decision.packs if test.pack == "tools")
    assert tools.p_value == pytest.approx(0.2**11)
    assert tools.regressed and tools.test.startswith("exact stratified test")
    assert [test.pack for test in decision.regressed_packs] == ["tools"]
    assert len(decision.regressed_scenarios) == 11  # the all-packs test fired too; 'other' has none worse
    assert all(c.evidence == "passed 3/3 in the baseline (stable pass), 1/3 now" for c in decision.regressed_scenarios)


def test_a_small_drop_everywhere_fires_through_the_all_packs_test() -> None:
    """5 packs, 3 scenarios each falling 3/3 -> 2/3: one failure among 6 repeats, in the run
    with probability 3/6. Per pack all three: 1/8 = 0.125; over all 15: 2^-15 = 3.1e-5.
    Holm over 6 tests: 6 * 3.1e-5 fires; then 5 * 0.125 does not: only the all-packs test."""
    baseline = {f"pack{i}": stable_pack(15)[0] for i in range(5)}
    run = {f"pack{i}": {**stable_pack(15)[1], "S00": C(2, 3), "S01": C(2, 3), "S02": C(2, 3)} for i in range(5)}
    decision = check(baseline, run)
    assert decision.fired
    assert decision.overall is not None and decision.overall.regressed
    assert decision.overall.p_value == pytest.approx(2**-15)
    assert decision.overall.adjusted_p == pytest.approx(6 * 2**-15)
    assert all(not test.regressed and test.p_value == pytest.approx(0.125) for test in decision.packs)
    assert decision.regressed_packs == ()
    assert len(decision.regressed_scenarios) == 15


def test_an_improvement_never_fires() -> None:
    baseline, run = stable_pack(15, C(0, 3), C(3, 3))
    decision = check({"p": baseline}, {"p": run})
    assert decision.packs[0].p_value == 1.0 and not decision.fired and decision.packs[0].worse == ()


def test_unmatched_scenarios_and_packs_are_listed_not_compared() -> None:
    decision = check(
        {"p": {"a": C(3, 3), "gone": C(3, 3)}, "old": {"x": C(3, 3)}},
        {"p": {"a": C(3, 3), "new": C(0, 1)}, "fresh": {"y": C(0, 1)}},
    )
    assert decision.unmatched == ("fresh/y", "old/x", "p/gone", "p/new")
    assert [test.pack for test in decision.packs] == ["p"]
    assert decision.packs[0].scenarios == 1


def test_nothing_shared_is_one_clear_error() -> None:
    with pytest.raises(StatisticsError, match="share no scenario") as caught:
        check({"p": {"a": C(3, 3)}}, {"q": {"a": C(3, 3)}})
    assert isinstance(caught.value, BenchlabError)


def test_counts_must_be_scenario_counts() -> None:
    with pytest.raises(StatisticsError, match="p/a: expected pass counts"):
        check({"p": {"a": (3, 3)}}, {"p": {"a": C(3, 3)}})  # type: ignore[dict-item]
    with pytest.raises(StatisticsError, match="alpha"):
        check({"p": {"a": C(3, 3)}}, {"p": {"a": C(3, 3)}}, alpha=0)


STRATA = [  # (baseline, run) per scenario: mixed tiers and repeat counts
    (C(3, 3), C(1, 3)),
    (C(2, 3), C(0, 1)),
    (C(5, 5), C(2, 3)),
    (C(1, 3), C(1, 2)),
    (C(4, 4), C(4, 4)),
]


def test_pack_p_value_is_the_exact_convolution_of_hypergeometrics() -> None:
    """Brute force: every combination of run failures per scenario, each weighted by scipy's
    hypergeometric pmf for its margins; P(total >= observed) must equal the gate's p."""
    scipy = scipy_stats()
    supports = []
    for before, after in STRATA:
        total, failures = before.repeats + after.repeats, before.failures + after.failures
        supports.append([(x, scipy.hypergeom.pmf(x, total, failures, after.repeats)) for x in range(after.repeats + 1)])
    observed = sum(after.failures for _, after in STRATA)
    reference = sum(
        math.prod(p for _, p in combination)
        for combination in itertools.product(*supports)
        if sum(x for x, _ in combination) >= observed
    )
    baseline = {f"s{i}": before for i, (before, _) in enumerate(STRATA)}
    decision = check({"p": baseline}, {"p": {f"s{i}": after for i, (_, after) in enumerate(STRATA)}})
    assert decision.packs[0].p_value == pytest.approx(reference, rel=1e-9)
    for change in decision.packs[0].worse:  # each scenario's own p is Fisher's one-sided exact test
        before, after = change.baseline, change.run
        total, failures = before.repeats + after.repeats, before.failures + after.failures
        single = scipy.hypergeom.sf(after.failures - 1, total, failures, after.repeats)
        assert change.p_value == pytest.approx(single, rel=1e-9)


def _exact_false_alarm_rate(probabilities: list[float], baseline_repeats: int, run_repeats: int) -> float:
    """P(the gate fires) when nothing changed, summed over every possible outcome."""
    outcomes = []
    for p in probabilities:
        per_scenario = []
        for b in range(baseline_repeats + 1):
            for r in range(run_repeats + 1):
                weight = (
                    math.comb(baseline_repeats, b) * p**b * (1 - p) ** (baseline_repeats - b)
                    * math.comb(run_repeats, r) * p**r * (1 - p) ** (run_repeats - r)
                )
                per_scenario.append((C(b, baseline_repeats), C(r, run_repeats), weight))
        outcomes.append(per_scenario)
    rate = 0.0
    for combination in itertools.product(*outcomes):
        decision: GateDecision = check(
            {"p": {f"s{i}": b for i, (b, _, _) in enumerate(combination)}},
            {"p": {f"s{i}": r for i, (_, r, _) in enumerate(combination)}},
        )
        if decision.fired:
            rate += math.prod(w for _, _, w in combination)
    return rate


@pytest.mark.parametrize("probabilities", [[0.97, 0.5], [0.5, 0.5], [0.8, 0.3], [0.97, 0.97]])
def test_an_unchanged_pack_fires_at_most_alpha_whatever_the_pass_probabilities(probabilities: list[float]) -> None:
    """The exact test's promise, computed over all 16 * 16 outcomes of two scenarios with a
    3-run baseline and 3 repeats now: the chance of firing without a change is at most 5%."""
    assert _exact_false_alarm_rate(probabilities, 3, 3) <= 0.05
