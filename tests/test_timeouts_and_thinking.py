"""Time budgets and the thinking validity check."""

from __future__ import annotations

from benchlab.model import ChatResponse, ScenarioResult
from benchlab.thinking import thinking_problem
from benchlab.timeouts import TimeoutPolicy


def test_override_wins():
    assert TimeoutPolicy(per_case_s=7, measured_tps=1).budget(60, 10_000) == 7


def test_without_a_measurement_the_pack_default_applies_capped():
    assert TimeoutPolicy().budget(60, 512) == 60
    assert TimeoutPolicy(ceiling_s=30).budget(60, 512) == 30


def test_slow_endpoint_gets_more_time_fast_one_never_less_than_the_default():
    slow = TimeoutPolicy(measured_tps=10, reference_tps=30).budget(60, 64)
    fast = TimeoutPolicy(measured_tps=300, reference_tps=30).budget(60, 64)
    assert slow == 180 and fast == 60


def test_token_budget_raises_the_budget_and_the_ceiling_caps_it():
    thinking = TimeoutPolicy(measured_tps=50).budget(60, 16_384 + 512)
    assert thinking > 500
    assert TimeoutPolicy(measured_tps=50, ceiling_s=300).budget(60, 16_896) == 300


def test_requests_that_share_the_measured_speed_get_their_share_of_it():
    alone = TimeoutPolicy(measured_tps=64).budget(10, 256)
    shared = TimeoutPolicy(measured_tps=64, sharing=8).budget(10, 256)
    assert alone == 16.0 and shared == 1.5 * 256 * 8 / 64 + 10
    assert TimeoutPolicy(measured_tps=64, sharing=8).budget(120, 256) == 120  # the base still stands as a floor


def result(reasoning):
    return ScenarioResult("p", "s", True, 1.0, None, "", 0.1, response=ChatResponse(content="a", reasoning=reasoning))


def test_silent_and_contaminated_thinking():
    assert "silent" in thinking_problem("p", True, [result(None), result("")])
    assert "contaminated" in thinking_problem("p", False, [result(None), result("hmm")])
    assert thinking_problem("p", True, [result("hmm")]) is None
    assert thinking_problem("p", False, [result(None)]) is None
