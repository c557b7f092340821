"""Pairing two runs by the result key, and the per-pack comparison, against hand-computed values."""

from __future__ import annotations

import math

import pytest

from benchlab.model import ResultKey
from benchlab.pairing import Outcome, compare_packs, pair_keys


def o(scenario: str, passed: bool, *, repeat: int = 0, scored: bool = True, pack: str = "p") -> Outcome:
    return Outcome(ResultKey(pack, scenario, "default", "off", repeat), passed, scored)


def test_every_key_is_classified_once():
    a = [o("S1", True), o("S2", True), o("S3", False), o("S4", False), o("S5", True), o("S6", True, scored=False)]
    b = [o("S1", True), o("S2", False), o("S3", True), o("S4", False), o("S6", True), o("S7", True)]
    kinds = {p.key.scenario_id: p.kind for p in pair_keys(a, b)}
    assert kinds == {"S1": "still_passing", "S2": "regression", "S3": "fix", "S4": "still_failing",
                     "S5": "dropped", "S6": "not_comparable", "S7": "new"}


def test_one_repeat_each_uses_exact_mcnemar_on_scenario_pairs():
    # 10 scenarios: 6 pass -> fail (b = 6), 1 fail -> pass (c = 1), 3 pass both.
    # p = 2 * P(X <= 1 | n = 7, 1/2) = 2 * (1 + 7) / 128 = 0.125
    a = [o(f"S{i}", True) for i in range(6)] + [o("S6", False)] + [o(f"T{i}", True) for i in range(3)]
    b = [o(f"S{i}", False) for i in range(6)] + [o("S6", True)] + [o(f"T{i}", True) for i in range(3)]
    [row] = compare_packs(pair_keys(a, b), ["p"])
    assert row.test == "mcnemar" and row.scenarios == 10
    assert row.p == pytest.approx(0.125) and row.p_holm == pytest.approx(0.125)
    assert (row.rate_a, row.rate_b) == (pytest.approx(0.9), pytest.approx(0.4))
    assert row.difference.estimate == pytest.approx(-0.5) and row.difference.low < -0.5 < row.difference.high
    assert (row.regressions, row.fixes) == (6, 1)


def test_repeats_are_pooled_per_scenario_and_tested_by_permutation():
    # Two scenarios, 3 repeats each. S1: 3/3 -> 0/3 (diff -1); S2: 2/3 -> 2/3 (diff 0).
    # Sign flips over the one non-zero difference: |sum| >= 1 in both of 2 patterns -> p = 1.
    a = [o("S1", True, repeat=r) for r in range(3)] + [o("S2", r < 2, repeat=r) for r in range(3)]
    b = [o("S1", False, repeat=r) for r in range(3)] + [o("S2", r < 2, repeat=r) for r in range(3)]
    [row] = compare_packs(pair_keys(a, b), ["p"])
    assert row.test == "permutation" and row.scenarios == 2  # the scenario is the unit, not the 6 results
    assert row.p == 1.0
    assert row.rate_a == pytest.approx((1 + 2 / 3) / 2) and row.rate_b == pytest.approx((0 + 2 / 3) / 2)
    assert row.regressions == 3  # per result key: three repeats went pass -> fail


def test_holm_across_packs_and_a_pack_with_nothing_paired():
    # pack x: b = 8, c = 0 -> p = 2 / 256 = 0.0078125; pack y: b = 1, c = 0 -> p = 1.0
    # Holm: sorted 0.0078125 (x2 = 0.015625), 1.0 -> adjusted [0.015625, 1.0]
    a = [o(f"S{i}", True, pack="x") for i in range(8)] + [o("S0", True, pack="y")]
    b = [o(f"S{i}", False, pack="x") for i in range(8)] + [o("S0", False, pack="y")]
    rows = compare_packs(pair_keys(a, b), ["x", "y", "z"])
    assert [r.pack for r in rows] == ["x", "y", "z"]
    assert rows[0].p == pytest.approx(0.0078125) and rows[0].p_holm == pytest.approx(0.015625)
    assert rows[1].p == 1.0 and rows[1].p_holm == 1.0
    assert rows[2].test == "none" and rows[2].p is None and rows[2].difference is None
    assert math.isclose(rows[0].difference.estimate, -1.0)
