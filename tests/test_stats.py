"""benchlab.stats and benchlab.repeat_stats against hand-computed values, edge cases and
properties, with scipy as an independent cross-check where it has the same statistic.

The arithmetic behind each expected value is written beside it. z = 1.959964 and
z^2 = 3.841459 throughout (the 97.5% normal quantile).
"""

from __future__ import annotations

import math
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchlab import stats
from benchlab.errors import BenchlabError
from benchlab.repeat_stats import (
    ScenarioCounts,
    Tier,
    clustered_interval,
    mean_pass_at_k,
    mean_pass_hat_k,
    pass_at_k,
    pass_hat_k,
    spread,
    summarize_repeats,
)
from benchlab.stats import (
    StatisticsError,
    format_p,
    holm,
    mcnemar_exact,
    minimum_detectable_difference,
    paired_difference_interval,
    paired_permutation,
    student_t_quantile,
    wilson_interval,
)
from conftest import require_or_skip

Z2 = 3.841459


def scipy_stats() -> ModuleType:
    try:
        from scipy import stats as scipy_module
    except ImportError:
        require_or_skip("scipy is not installed (pip install -e '.[test]')")
    return scipy_module


# --- format_p ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.004, "p = 0.004"),
        (0.0126, "p = 0.013"),
        (0.001, "p = 0.001"),  # exactly 0.001 is not below it
        (0.00099, "p < 0.001"),  # would round to 0.001, but it is below
        (0.0, "p < 0.001"),
        (1.0, "p = 1.000"),
        (1, "p = 1.000"),
    ],
)
def test_format_p_three_decimals_or_below_a_thousandth(p: float, text: str) -> None:
    assert format_p(p) == text


@pytest.mark.parametrize("bad", [-0.01, 1.5, math.nan, True, "0.1"])
def test_format_p_refuses_what_is_not_a_probability(bad: object) -> None:
    with pytest.raises(StatisticsError, match="p-value"):
        format_p(bad)  # type: ignore[arg-type]


# --- holm -------------------------------------------------------------------------------


def test_holm_by_hand() -> None:
    """Sorted: 0.01 * 4 = 0.04; 0.03 * 3 = 0.09; 0.04 * 2 = 0.08, raised to the running
    maximum 0.09; 0.5 * 1 = 0.5. Returned in the input's order."""
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_holm_caps_at_one_and_takes_nothing() -> None:
    # 0.4 * 3 = 1.2 -> 1; then 0.5 * 2 = 1.0; 0.9 * 1 -> the running maximum 1.0
    assert holm([0.5, 0.4, 0.9]) == [1.0, 1.0, 1.0]
    assert holm([]) == []
    assert holm([0.03]) == [0.03]


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=12))
def test_holm_is_monotone_and_never_below_the_raw_p(pvalues: list[float]) -> None:
    adjusted = holm(pvalues)
    assert all(p <= a <= 1 for p, a in zip(pvalues, adjusted))
    pairs = sorted(zip(pvalues, adjusted))
    assert all(a1 <= a2 for (_, a1), (_, a2) in zip(pairs, pairs[1:]))


def test_holm_refuses_a_p_value_above_one() -> None:
    with pytest.raises(StatisticsError):
        holm([0.2, 1.2])


# --- mcnemar_exact ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (1, 6, 0.125),  # 2 * P(X <= 1 | n=7, 1/2) = 2 * (1 + 7) / 128 = 16/128
        (6, 1, 0.125),  # symmetric
        (0, 5, 0.0625),  # 2 * 1/32: five one-way pairs are not enough at 0.05
        (0, 6, 0.03125),  # 2 * 1/64: six are
        (2, 10, 158 / 4096),  # 2 * (1 + 12 + 66) / 4096 = 0.038574
        (3, 3, 1.0),  # 2 * (1 + 6 + 15 + 20) / 64 = 84/64, capped at 1
        (0, 0, 1.0),  # no discordant pair: no evidence
    ],
)
def test_mcnemar_by_hand(b: int, c: int, expected: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_matches_scipy_binomial_test() -> None:
    scipy = scipy_stats()
    for b, c in [(1, 6), (4, 9), (0, 13), (12, 30), (50, 71), (200, 160)]:
        reference = scipy.binomtest(min(b, c), b + c, 0.5).pvalue
        assert mcnemar_exact(b, c) == pytest.approx(reference, rel=1e-9), (b, c)


@pytest.mark.parametrize(("b", "c"), [(-1, 3), (1.5, 2), (True, 2), (2, "3")])
def test_mcnemar_refuses_what_is_not_a_count(b: object, c: object) -> None:
    with pytest.raises(StatisticsError, match="count"):
        mcnemar_exact(b, c)  # type: ignore[arg-type]


def test_statistics_errors_are_user_errors() -> None:
    """A command passing user input straight in prints them as one line (BenchlabError)."""
    assert issubclass(StatisticsError, BenchlabError) and issubclass(StatisticsError, ValueError)


# --- paired_permutation -----------------------------------------------------------------


def test_permutation_six_full_improvements() -> None:
    """Six differences of +1: only all-plus and all-minus reach |sum| = 6: 2 / 2**6."""
    assert paired_permutation([1, 1, 1, 1, 1, 1]) == pytest.approx(1 / 32)


def test_permutation_rates_by_hand() -> None:
    """In thirds the non-zero magnitudes are 1, 2, 1, 3, 3 (total 10), observed sum
    1 + 2 - 1 + 3 + 3 = 8. Flipping a subset of magnitude F gives 10 - 2F, so |sum| >= 8
    needs F <= 1 ({}, {1}, {1'}) or F >= 9 (their complements): 6 of 32 patterns."""
    assert paired_permutation([1 / 3, 2 / 3, -1 / 3, 1, 1, 0]) == pytest.approx(6 / 32)


def test_permutation_without_a_difference_is_one() -> None:
    assert paired_permutation([0, 0.0, 0]) == 1.0
    assert paired_permutation([]) == 1.0


def test_permutation_matches_scipy_exact_permutation_test() -> None:
    scipy = scipy_stats()
    cases = [[1, 2 / 3, -1 / 3, 1, 0, 1 / 3, 1], [0.5, -0.5, 1, 1, -1, 0.5, 0.5, 1], [1, 1, 1, -1 / 3, 2 / 3]]
    for diffs in cases:
        reference = scipy.permutation_test(
            (diffs,), lambda d: sum(d), permutation_type="samples", n_resamples=math.inf, vectorized=False
        ).pvalue
        assert paired_permutation(diffs) == pytest.approx(reference, rel=1e-9), diffs


def test_permutation_monte_carlo_is_seeded_and_close_to_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forced to sample, ten +1 differences (exact p = 2/1024 = 0.00195) come out within
    four standard errors (sqrt(p/20000) = 0.0003) and identical on every call."""
    monkeypatch.setattr(stats, "EXACT_STATE_LIMIT", 1)
    first = paired_permutation([1] * 10)
    assert first == paired_permutation([1] * 10)
    assert abs(first - 2 / 1024) < 4 * math.sqrt(2 / 1024 / stats.MONTE_CARLO_DRAWS)


@given(st.lists(st.integers(min_value=-3, max_value=3).map(lambda i: i / 3), max_size=40))
def test_permutation_p_lies_in_zero_one(diffs: list[float]) -> None:
    p = paired_permutation(diffs)
    assert 0 < p <= 1


def test_permutation_refuses_a_difference_outside_minus_one_one() -> None:
    with pytest.raises(StatisticsError, match="-1..1"):
        paired_permutation([0.5, 1.5])
    with pytest.raises(StatisticsError, match="finite"):
        paired_permutation([math.nan])


# --- wilson_interval and paired_difference_interval ------------------------------------


def test_wilson_at_zero_of_fifteen() -> None:
    """centre = (0 + z^2/2) / (15 + z^2) and half-width = z / (15 + z^2) * sqrt(z^2/4) = the
    same, so the upper end is z^2 / (15 + z^2) = 3.841459 / 18.841459 = 0.203883."""
    interval = wilson_interval(0, 15)
    assert (interval.estimate, interval.low) == (0, 0)
    assert interval.high == pytest.approx(Z2 / (15 + Z2), abs=1e-6)


def test_wilson_matches_scipy() -> None:
    scipy = scipy_stats()
    for x, n in [(0, 15), (3, 15), (12, 15), (15, 15), (1, 1), (40, 200)]:
        reference = scipy.binomtest(x, n).proportion_ci(method="wilson")
        interval = wilson_interval(x, n)
        assert (interval.low, interval.high) == pytest.approx((reference.low, reference.high), abs=1e-9)


def test_paired_interval_keeps_a_width_with_no_discordant_pair() -> None:
    """15 of 15 on both sides: p1 = p2 = 1, phi = 0 (a zero margin), Wilson lower ends
    1 - 0.203883, so the interval is 0 -/+ sqrt(0.203883^2 + 0^2)."""
    interval = paired_difference_interval([True] * 15, [True] * 15)
    assert interval.estimate == 0
    assert (interval.low, interval.high) == pytest.approx((-Z2 / (15 + Z2), Z2 / (15 + Z2)), abs=1e-6)


def test_paired_interval_newcombe_worked_example() -> None:
    """Newcombe (1998), example (a): 36 pairs pass both, 12 only the first, 2 only the
    second, 0 neither (n = 50). p1 = 48/50, p2 = 38/50, D = p2 - p1 = -0.2.
    Wilson: 48/50 -> 0.865399..0.988961; 38/50 -> 0.625873..0.857026.
    B = ad - bc = 0 - 24 < 0, so phi = -24 / sqrt(48 * 2 * 38 * 12) = -24 / 209.23 = -0.114708.
    low = -0.2 - sqrt(0.134127^2 + 2 * 0.114708 * 0.134127 * 0.028961 + 0.028961^2) = -0.340428
    high = -0.2 + sqrt(0.097026^2 + 2 * 0.114708 * 0.097026 * 0.094601 + 0.094601^2) = -0.056930
    His published method-10 interval for p1 - p2 is 0.0569 to 0.3404."""
    a = [1] * 36 + [1] * 12 + [0] * 2
    b = [1] * 36 + [0] * 12 + [1] * 2
    interval = paired_difference_interval(a, b)
    assert interval.estimate == pytest.approx(-0.2)
    assert (interval.low, interval.high) == pytest.approx((-0.340428, -0.056930), abs=2e-6)


def test_paired_interval_positive_association_gets_the_continuity_correction() -> None:
    """10 both, 3 first only, 1 second only, 6 neither (n = 20): B = 60 - 3 = 57 > n/2, so
    C = 57 - 10 = 47 and phi = 47 / sqrt(13 * 7 * 11 * 9) = 47 / 94.916 = 0.495176.
    p1 = 0.65 (Wilson 0.432854..0.818808), p2 = 0.55 (0.342085..0.741802), D = -0.1.
    low = -0.1 - sqrt(0.207915^2 - 2 * 0.495176 * 0.207915 * 0.168808 + 0.168808^2) = -0.29226
    high = -0.1 + sqrt(0.191802^2 - 2 * 0.495176 * 0.191802 * 0.217146 + 0.217146^2) = 0.10662
    (Without the correction phi would be 57 / 94.916 = 0.6005 and the interval narrower.)"""
    a = [1] * 10 + [1] * 3 + [0] * 1 + [0] * 6
    b = [1] * 10 + [0] * 3 + [1] * 1 + [0] * 6
    interval = paired_difference_interval(a, b)
    assert interval.estimate == pytest.approx(-0.1)
    assert (interval.low, interval.high) == pytest.approx((-0.29226, 0.10662), abs=1e-5)


def test_paired_interval_from_one_scenario_stays_inside_minus_one_one() -> None:
    """One scenario that passed and then failed: the estimate is the floor -1, and one pair
    says little, so the interval reaches far above it (to about 0.12)."""
    interval = paired_difference_interval([1.0], [0.0])
    assert interval.low == interval.estimate == -1
    assert 0 < interval.high < 1


@given(
    st.lists(
        st.tuples(st.integers(0, 3).map(lambda i: i / 3), st.integers(0, 3).map(lambda i: i / 3)),
        min_size=1,
        max_size=30,
    )
)
def test_paired_interval_contains_its_estimate(pairs: list[tuple[float, float]]) -> None:
    interval = paired_difference_interval([a for a, _ in pairs], [b for _, b in pairs])
    assert -1 <= interval.low <= interval.estimate <= interval.high <= 1


def test_paired_interval_refuses_bad_input() -> None:
    with pytest.raises(StatisticsError, match="same scenarios"):
        paired_difference_interval([1, 0], [1])
    with pytest.raises(StatisticsError, match="at least one"):
        paired_difference_interval([], [])
    with pytest.raises(StatisticsError, match="0..1"):
        paired_difference_interval([1.2], [1])


# --- student_t_quantile -----------------------------------------------------------------


def test_t_quantile_closed_forms() -> None:
    """df = 1 is Cauchy: tan(pi * (0.975 - 1/2)) = 12.706205. df = 2:
    (2q - 1) / sqrt(2 q (1 - q)) = 0.95 / sqrt(0.04875) = 4.302653."""
    assert student_t_quantile(0.975, 1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-9)
    assert student_t_quantile(0.975, 2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-9)


def test_t_quantile_matches_scipy() -> None:
    scipy = scipy_stats()
    for df in [*range(1, 41), 60, 100, 999]:
        for q in (0.9, 0.975, 0.995):
            assert student_t_quantile(q, df) == pytest.approx(scipy.t.ppf(q, df), rel=1e-8), (q, df)


def test_t_quantile_refuses_bad_degrees_of_freedom() -> None:
    with pytest.raises(StatisticsError):
        student_t_quantile(0.975, 0)
    with pytest.raises(StatisticsError):
        student_t_quantile(0.4, 3)


# --- minimum_detectable_difference ------------------------------------------------------


def test_mdd_none_when_no_split_can_be_significant() -> None:
    """Five scenarios all flipping one way give p = 2/32 = 0.0625 > 0.05: nothing is detectable."""
    assert minimum_detectable_difference(5) is None
    assert minimum_detectable_difference(6) is not None  # 2/64 = 0.031 can


def test_mdd_fifteen_scenarios_best_case() -> None:
    """With no background discordance every discordant pair favours the better side, and the
    test rejects from 6 discordant pairs (2/64 = 0.031; 5 give 0.0625). So the power is
    P(Binomial(15, delta) >= 6), which is 0.8 at delta = 0.4757 (scipy solves it below)."""
    scipy = scipy_stats()
    from scipy.optimize import brentq

    reference = brentq(lambda d: scipy.binom.sf(5, 15, d) - 0.8, 0.01, 0.99)
    assert minimum_detectable_difference(15) == pytest.approx(reference, abs=2e-4)


def _power_by_scipy(n: int, background: float, delta: float, alpha: float = 0.05) -> float:
    """An independent power computation: scipy's binomial test on every possible split."""
    scipy = scipy_stats()
    discordance = background + delta
    towards_better = (background / 2 + delta) / discordance
    power = 0.0
    for k in range(1, n + 1):
        rejecting = sum(
            scipy.binom.pmf(c, k, towards_better)
            for c in range(k + 1)
            if scipy.binomtest(min(c, k - c), k, 0.5).pvalue <= alpha
        )
        power += scipy.binom.pmf(k, n, discordance) * rejecting
    return power


@pytest.mark.parametrize(("n", "background"), [(15, 0.2), (30, 0.1), (40, 0.0)])
def test_mdd_is_where_the_power_reaches_eighty_percent(n: int, background: float) -> None:
    delta = minimum_detectable_difference(n, background_discordance=background)
    assert delta is not None
    assert _power_by_scipy(n, background, delta) >= 0.8 - 1e-6
    assert _power_by_scipy(n, background, delta - 0.002) < 0.8


def test_mdd_shrinks_with_more_scenarios_and_grows_with_noise() -> None:
    values = [minimum_detectable_difference(n) for n in (15, 30, 100)]
    assert values[0] > values[1] > values[2]  # type: ignore[operator]
    assert minimum_detectable_difference(30, background_discordance=0.2) > values[1]  # type: ignore[operator]


def test_mdd_refuses_bad_input() -> None:
    with pytest.raises(StatisticsError, match="scenarios"):
        minimum_detectable_difference(0)
    with pytest.raises(StatisticsError, match="power"):
        minimum_detectable_difference(15, power=1.0)
    with pytest.raises(StatisticsError, match="background"):
        minimum_detectable_difference(15, background_discordance=1.0)


# --- repeat statistics ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passes", "repeats", "tier"),
    [
        (3, 3, Tier.STABLE_PASS),
        (1, 1, Tier.STABLE_PASS),
        (0, 3, Tier.STABLE_FAIL),
        (1, 3, Tier.FLAKY),
        (2, 3, Tier.FLAKY),
    ],
)
def test_tiers(passes: int, repeats: int, tier: Tier) -> None:
    assert ScenarioCounts(passes, repeats).tier is tier


@pytest.mark.parametrize(("passes", "repeats"), [(4, 3), (-1, 3), (0, 0), (1.0, 3), (True, 3)])
def test_counts_refuse_impossible_values(passes: object, repeats: object) -> None:
    with pytest.raises(StatisticsError):
        ScenarioCounts(passes, repeats)  # type: ignore[arg-type]


def test_pass_at_k_and_pass_hat_k_by_hand() -> None:
    """n = 5 repeats, c = 2 passes, k = 2: pass@2 = 1 - C(3,2)/C(5,2) = 1 - 3/10 = 0.7;
    pass^2 = C(2,2)/C(5,2) = 1/10."""
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert pass_hat_k(5, 2, 2) == pytest.approx(0.1)
    assert pass_at_k(3, 0, 3) == 0 and pass_hat_k(3, 3, 3) == 1
    assert pass_at_k(4, 3, 2) == 1  # C(1, 2) = 0: any two of the four include a pass


def test_k_above_the_repeats_is_refused() -> None:
    with pytest.raises(StatisticsError, match="k must lie in 1..n"):
        pass_at_k(3, 1, 4)
    with pytest.raises(StatisticsError, match="k must lie in 1..n"):
        pass_hat_k(3, 1, 0)
    with pytest.raises(StatisticsError, match="k must lie in 1..n"):
        mean_pass_at_k([ScenarioCounts(3, 3), ScenarioCounts(1, 1)], 2)


@given(st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_one_is_the_rate_and_k_orders_the_estimators(case: tuple[int, int, int]) -> None:
    n, c, k = case
    assert pass_at_k(n, c, 1) == pytest.approx(c / n) == pytest.approx(pass_hat_k(n, c, 1))
    assert pass_hat_k(n, c, k) <= c / n + 1e-12 <= pass_at_k(n, c, k) + 2e-12


def test_means_over_scenarios_by_hand() -> None:
    """3/3, 1/3, 0/3 at k = 2: pass@2 = (1 + (1 - C(2,2)/C(3,2)) + 0) / 3 = (1 + 2/3) / 3 = 5/9;
    pass^2 = (1 + C(1,2)/3 + 0) / 3 = 1/3; at k = 1 both are the mean rate (1 + 1/3) / 3 = 4/9."""
    scenarios = [ScenarioCounts(3, 3), ScenarioCounts(1, 3), ScenarioCounts(0, 3)]
    assert mean_pass_at_k(scenarios, 2) == pytest.approx(5 / 9)
    assert mean_pass_hat_k(scenarios, 2) == pytest.approx(1 / 3)
    assert mean_pass_at_k(scenarios, 1) == pytest.approx(4 / 9) == pytest.approx(mean_pass_hat_k(scenarios, 1))


def test_spread_by_hand() -> None:
    """0.8, 0.6, 0.7: mean 0.7, deviations 0.1, -0.1, 0, sample variance 0.02 / 2 = 0.01,
    std 0.1, CV 0.1 / 0.7 = 0.142857."""
    result = spread([0.8, 0.6, 0.7])
    assert (result.mean, result.std, result.cv) == pytest.approx((0.7, 0.1, 0.1 / 0.7))
    assert spread([0.5]).std is None and spread([0.5]).cv is None  # one repeat: no spread
    assert spread([0.0, 0.0]).cv is None  # a zero mean has no CV
    with pytest.raises(StatisticsError):
        spread([])


def test_clustered_interval_by_hand() -> None:
    """Scenario means 1, 2/3, 2/3, 1/3, 1/3, 0 (m = 6): mean 0.5; squared deviations
    0.25 + 4 * (1/36) + 0.25 = 0.611111, / 5 = 0.122222, s = 0.349603, SE = s / sqrt(6) =
    0.142725; t(5, 0.975) = 2.570582; half-width 0.366886 -> 0.133114..0.866886."""
    scenarios = [ScenarioCounts(p, 3) for p in (3, 2, 2, 1, 1, 0)]
    interval = clustered_interval(scenarios)
    assert interval.estimate == pytest.approx(0.5)
    assert (interval.low, interval.high) == pytest.approx((0.133114, 0.866886), abs=1e-6)


def test_clustered_interval_matches_scipy_t_interval() -> None:
    scipy = scipy_stats()
    scenarios = [ScenarioCounts(p, r) for p, r in [(3, 3), (2, 3), (5, 5), (0, 2), (1, 3), (4, 5), (3, 3)]]
    means = [s.rate for s in scenarios]
    low, high = scipy.t.interval(0.95, len(means) - 1, loc=sum(means) / len(means), scale=scipy.sem(means))
    interval = clustered_interval(scenarios)
    assert (interval.low, interval.high) == pytest.approx((max(0.0, low), min(1.0, high)), abs=1e-9)


def test_clustered_interval_degenerate_cases_fall_back_to_wilson() -> None:
    """All 15 scenarios passed every repeat: s = 0, so a t-interval would be the point 1.
    Wilson for 15 of 15 instead: 1 - z^2 / (15 + z^2) = 0.796117. One scenario at 1:
    Wilson for 1 of 1, 1 / (1 + z^2) = 0.206543."""
    every = clustered_interval([ScenarioCounts(3, 3)] * 15)
    assert (every.estimate, every.high) == (1.0, 1.0)
    assert every.low == pytest.approx(15 / (15 + Z2), abs=1e-6)
    alone = clustered_interval([ScenarioCounts(2, 2)])
    assert alone.low == pytest.approx(1 / (1 + Z2), abs=1e-6)
    with pytest.raises(StatisticsError):
        clustered_interval([])


def test_summarize_repeats_by_hand() -> None:
    """a passed 3/3, b 1/2 (its third repeat not scored), c 0/3. Mean rate (1 + 1/2 + 0) / 3
    = 1/2. Per-repeat pack rates: 2/3, 1/3, and 1/2 (the third repeat scored a and c only);
    their std: deviations 1/6, -1/6, 0 -> variance (2/36) / 2 = 1/36 -> std 1/6, CV 1/3.
    k goes up to 2 (b's scored repeats): pass@2 = (1 + 1 + 0) / 3, pass^2 = (1 + 0 + 0) / 3."""
    summary = summarize_repeats({"a": [True, True, True], "b": [True, False, None], "c": [False, False, False]})
    assert summary.scenarios == 3
    assert summary.tiers == {Tier.STABLE_PASS: 1, Tier.FLAKY: 1, Tier.STABLE_FAIL: 1}
    assert summary.mean_rate == pytest.approx(0.5)
    assert (summary.spread.mean, summary.spread.std, summary.spread.cv) == pytest.approx((0.5, 1 / 6, 1 / 3))
    assert summary.pass_at_k == pytest.approx({1: 0.5, 2: 2 / 3})
    assert summary.pass_hat_k == pytest.approx({1: 0.5, 2: 1 / 3})
    assert summary.interval == clustered_interval([ScenarioCounts(3, 3), ScenarioCounts(1, 2), ScenarioCounts(0, 3)])


def test_summarize_repeats_refuses_a_scenario_never_scored() -> None:
    with pytest.raises(StatisticsError, match="'b' has no scored repeat"):
        summarize_repeats({"a": [True], "b": [None]})
