"""The ``numeric_answer`` verifier: the final-line convention (what is read, what is never
read), number formats, tolerances, percentages, units, param validation, and no model
output making it raise."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Scenario, Verdict, VerifierSpec
from benchlab.plugins.verifiers.extraction.numeric_answer import NumericAnswerVerifier, read_final_answer
from benchlab.verifiers import ParamError, VerifyContext

VERIFIER = NumericAnswerVerifier()
CTX = VerifyContext(scenario=Scenario(id="N", messages=[{"role": "user", "content": "x"}], verifier=VerifierSpec("numeric_answer")))


def judge(params: dict[str, Any], content: str, reasoning: str | None = None) -> Verdict:
    return VERIFIER.verify(VERIFIER.parse_params(params), ChatResponse(content=content, reasoning=reasoning), CTX)


def failed(verdict: Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.ok}


# --- what the convention reads ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Answer: 42", 42),
        ("42", 42),
        ("So the total is 42.", 42),
        ("**Answer:** 42", 42),
        ("The final answer is 42 apples", 42),
        ("#### 42", 42),
        ("Answer: 3 × 14 = 42", 42),  # after the last "=" in the segment
        ("Answer: 42 (= 6 × 7)", 42),  # a parenthesised aside is dropped
        ("The total is 42 (6 boxes of 7).", 42),
        ("So 3 boxes cost 42 dollars", 42),  # no marker: the last number of the line
        ("Answer: 42 for the 3 boxes", 42),  # a marker: the first number after it
        ("Total ≈ 3.14", 3.14),
        ("Answer: $1,284.50", 1284.5),
        ("Answer: -$5.25", -5.25),
        ("Answer: $-5.25", -5.25),
        ("Answer: −12", -12),  # unicode minus
        ("Answer: 1\u202f284", 1284),  # narrow no-break space thousands group
        ("Answer: 1.5e3", 1500),
        ("Answer: .5", 0.5),
        ("Answer: 3/8", 0.375),
        ("Answer: 2 1/2", 2.5),
        ("Answer: 1½ cups", 1.5),
        ("x\n\n$$\n\\boxed{\\frac{3}{8}}\n$$", 0.375),
        ("The answer is \\boxed{42} since 6 × 7 = 42 and 5 + 1 = 6", 42),  # the box wins over "="
        ("Answer: 12.5%", 12.5),
        ("Answer: 1{,}284", 1284),
        ("Answer: 1\\,284", 1284),
        ("Answer:42", 42),
        ("work 41\n```\n42\n```", 42),  # a closing fence is not the final line
        ("Answer: 90 minutes.", 90),
        ("Answer: 42km", 42),
    ],
)
def test_the_final_line_convention_reads(text: str, value: float) -> None:
    found = read_final_answer(text)
    assert found.number is not None, text
    assert found.number.value == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "Answer: 42\nHope this helps!",  # the final line holds no number; line 1 is never read
        "",
        "   \n\n",
        "Answer: Q3",  # glued to letters in front: not a number
        "Answer: v2",
        "Answer: 3,5",  # a decimal comma is not read as anything
        "Answer: 12.3.4",
        "---\n***",
    ],
)
def test_the_convention_reads_nothing_from(text: str) -> None:
    assert read_final_answer(text).number is None


def test_a_correct_number_earlier_in_the_text_does_not_count() -> None:
    verdict = judge({"expected": 21}, "Ben 10, Ada 20, Cal 16, so in 5 years Cal will be 21.\nAnswer: 16")
    assert not verdict.passed and failed(verdict) == {"value"}
    assert "expected 21, got 16" in verdict.detail
    verdict = judge({"expected": 21}, "In 5 years Cal will be 21.\nAnswer: 21\nLet me know if you need more.")
    assert not verdict.passed and failed(verdict) == {"final_line", "value"}
    assert "no number in the final line 'Let me know if you need more.'" in verdict.detail


def test_reasoning_is_never_read() -> None:
    verdict = judge({"expected": 7}, "<think>the answer is 7</think>Answer: 8")
    assert not verdict.passed and failed(verdict) == {"value"}
    verdict = judge({"expected": 7}, "Answer: 7", reasoning="Answer: 8")
    assert verdict.passed


def test_final_line_check_quotes_what_was_read() -> None:
    verdict = judge({"expected": 42}, "work\nAnswer: 42")
    assert verdict.passed and verdict.score == 1.0 and verdict.failure_mode is None
    assert verdict.checks[0].name == "final_line" and verdict.checks[0].detail == "read '42' from 'Answer: 42'"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Answer: 200.82 or 150.00 or 180.00", "several numbers"),
        ("The total is 150 or 180 or 200.82", "several numbers"),  # no marker: still a hedge
        ("Answer: $200.82 - wait, no, $150", "several numbers"),
        ("Answer: 200.82 is wrong; the right value is 150", "negates 200.82"),
        ("Answer: not 200.82", "negates 200.82"),
        ("Answer: the profit isn't 200.82", "negates 200.82"),
        ("Answer: 150, 200.82", "lists several numbers"),
        ("Answer: $150 / $200.82", "lists several numbers"),
        ("1. 150\n2. 200.82", "lists several numbers"),
        ("Answer: 3 × 14 = 200.82 or 150", "several numbers"),  # after the "=": still hedged
    ],
)
def test_a_final_line_that_hedges_or_negates_fails_as_ambiguous(text: str, why: str) -> None:
    verdict = judge({"expected": 200.82, "tolerance": 0.005}, text)
    assert not verdict.passed and verdict.failure_mode is FailureMode.WRONG_ANSWER
    assert "final_line" in failed(verdict)
    check = next(c for c in verdict.checks if c.name == "final_line")
    assert check.detail.startswith("ambiguous final answer: ") and why in check.detail, check.detail


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"expected": 200.82}, "Answer: 200.82 (i.e. $200.82)"),
        ({"expected": 200.82}, "Answer: 200.82 or $200.82"),  # one value written twice
        ({"expected": 200.82}, "Answer: 711.00 - 270.18 - 240.00 = 200.82"),  # an "=" chain
        ({"expected": 200.82}, "Answer: 200.82 = $200.82"),
        ({"expected": 200.82}, "Answer: 200.82, not 150"),  # a negated number is no candidate
        ({"expected": 1284.5}, "Answer: $1,284.50 USD"),
        ({"expected": 42}, "Answer: 42 for the 3 boxes"),  # other numbers in words, no hedge
        ({"expected": 42}, "So 3 boxes cost 42 dollars"),
        ({"expected": 0.3111, "percent": "fraction", "tolerance": 0.0001}, "Answer: 31.11% or 0.3111"),
        ({"expected": 10, "units": ["m^2"]}, "Answer: 10 m^2"),
    ],
)
def test_one_value_restated_or_other_numbers_in_words_are_not_ambiguous(params: dict[str, Any], text: str) -> None:
    verdict = judge(params, text)
    assert verdict.passed, verdict.detail


# --- tolerance, percentages, units -------------------------------------------------------------


def test_default_tolerance_is_float_rounding_only() -> None:
    assert judge({"expected": 0.3}, "0.1 + 0.2 gives\nAnswer: 0.30000000000000004").passed
    assert not judge({"expected": 200.82}, "Answer: 200.83").passed


def test_absolute_tolerance_money_to_the_cent() -> None:
    params = {"expected": 5634.13, "tolerance": 0.005}
    assert judge(params, "Answer: 5634.13").passed
    assert judge(params, "Answer: 5,634.125").passed  # the unrounded amount is within half a cent
    verdict = judge(params, "Answer: 5634.12")
    assert not verdict.passed and "expected 5634.13 (±0.005), got 5634.12" in verdict.detail
    assert judge({"expected": 5634.13, "tolerance": {"abs": 0.005}}, "Answer: $5,634.13").passed


def test_relative_tolerance_and_either() -> None:
    params = {"expected": 1000, "tolerance": {"rel": 0.01}}
    assert judge(params, "Answer: 1009").passed
    assert not judge(params, "Answer: 1011").passed
    both = {"expected": 10, "tolerance": {"abs": 0.5, "rel": 0.01}}
    assert judge(both, "Answer: 10.4").passed  # within abs though not within rel
    assert not judge(both, "Answer: 10.6").passed


def test_a_percent_counts_only_where_the_scenario_declares_a_percentage() -> None:
    points = {"expected": 21.25, "percent": "points"}
    assert judge(points, "Answer: 21.25%").passed
    assert judge(points, "Answer: 21.25").passed
    assert not judge(points, "Answer: 0.2125").passed  # a bare fraction is not a percentage
    assert not judge(points, "Answer: 0.2125%").passed
    assert not judge(points, "Answer: 2125%").passed
    fraction = {"expected": 0.2125, "percent": "fraction"}
    assert judge(fraction, "Answer: 21.25%").passed
    assert judge(fraction, "Answer: 21.25 percent").passed
    assert judge(fraction, "Answer: 0.2125").passed
    assert not judge(fraction, "Answer: 0.2125%").passed
    assert not judge(fraction, "Answer: 21.25").passed


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"expected": 200.82, "tolerance": 0.005}, "Answer: 20082%"),  # money (RM-01)
        ({"expected": 200.82, "tolerance": 0.005}, "Answer: 200.82%"),
        ({"expected": 21.25, "tolerance": 0.005}, "Answer: 2125%"),  # no declaration: no scaling
        ({"expected": 0.311111, "tolerance": 5e-05}, "Answer: 0.3111%"),  # RM-11
        ({"expected": 0.311111, "tolerance": 5e-05}, "Answer: 31.11%"),
        ({"expected": 42}, "Answer: 4200 percent"),  # a count
    ],
)
def test_a_percent_never_answers_an_undeclared_quantity(params: dict[str, Any], text: str) -> None:
    verdict = judge(params, text)
    assert not verdict.passed
    value = next(c for c in verdict.checks if c.name == "value")
    assert not value.ok and "written as a percentage, but the expected value is not one" in value.detail


def test_percent_param_is_validated() -> None:
    with pytest.raises(ParamError, match="one of points, fraction") as raised:
        NumericAnswerVerifier().validate({"expected": 1, "percent": "basis points"})
    assert raised.value.field == "percent"


def test_negative_numbers_keep_their_sign() -> None:
    assert judge({"expected": -45.44, "tolerance": 0.005}, "Answer: −45.44").passed
    verdict = judge({"expected": -45.44, "tolerance": 0.005}, "an overdraft of 45.44\nAnswer: 45.44")
    assert not verdict.passed and failed(verdict) == {"value"}
    assert not judge({"expected": 5}, "Answer: 3-5").passed  # a range is not minus five


def test_units_listed_are_accepted_others_fail_the_unit_check() -> None:
    params = {"expected": 90, "units": ["minutes", "min"]}
    assert judge(params, "Answer: 90 minutes").passed
    assert judge(params, "Answer: 90 min.").passed
    assert judge(params, "Answer: 90").passed  # no unit written is fine unless require_unit
    verdict = judge(params, "Answer: 90 seconds")
    assert not verdict.passed and failed(verdict) == {"unit"}
    assert "'seconds' is not one of minutes, min" in verdict.detail
    verdict = judge(params, "Answer: 1.5 hours")
    assert failed(verdict) == {"value", "unit"}
    strict = {"expected": 90, "units": ["minutes"], "require_unit": True}
    assert judge(strict, "Answer: 90 Minutes").passed
    assert failed(judge(strict, "Answer: 90")) == {"unit"}


def test_without_units_the_words_after_the_number_are_not_judged() -> None:
    assert judge({"expected": 42}, "Answer: 42 apples, give or take").passed


def test_units_glued_and_multiword() -> None:
    assert judge({"expected": 18.5, "tolerance": 0.05, "units": ["km/h", "km per hour"]}, "Answer: 18.46km/h").passed
    assert judge({"expected": 18.5, "tolerance": 0.05, "units": ["km/h", "km per hour"]}, "Answer: 18.5 km per hour").passed


# --- failure modes and validation ---------------------------------------------------------------


def test_every_failure_is_a_content_failure() -> None:
    for text in ["", "no numbers here", "Answer: 41", "Answer: 42 parsecs"]:
        verdict = judge({"expected": 42, "units": ["m"]}, text)
        assert not verdict.passed and verdict.failure_mode is FailureMode.WRONG_ANSWER and verdict.score < 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "expected"),
        ({"expected": "42"}, "expected"),
        ({"expected": True}, "expected"),
        ({"expected": float("nan")}, "expected"),
        ({"expected": 1, "tolerance": -0.1}, "tolerance"),
        ({"expected": 1, "tolerance": {"abs": 1, "absolute": 2}}, "tolerance.absolute"),
        ({"expected": 1, "tolerance": {}}, "tolerance"),
        ({"expected": 1, "tolerance": {"rel": "1%"}}, "tolerance.rel"),
        ({"expected": 1, "units": []}, "units"),
        ({"expected": 1, "units": ["km", ""]}, "units"),
        ({"expected": 1, "require_unit": True}, "require_unit"),
        ({"expected": 1, "answer_prefix": "Answer:"}, "answer_prefix"),
    ],
)
def test_malformed_params_are_rejected(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as raised:
        VERIFIER.validate(params)
    assert raised.value.field == field


numberish = st.text(alphabet=st.sampled_from(list("0123456789 .,-+−/%$€\\{}()[]=≈#*:\nAnswerboxdfrac½e")), max_size=200)


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=300) | numberish)
def test_any_text_gets_a_verdict_never_an_exception(text: str) -> None:
    for params in ({"expected": 42}, {"expected": -1.5, "tolerance": {"rel": 0.1}, "units": ["km", "m"], "require_unit": True}):
        verdict = VERIFIER.verify(VERIFIER.parse_params(params), ChatResponse(content=text), CTX)
        assert isinstance(verdict, Verdict) and 0.0 <= verdict.score <= 1.0
        if not verdict.passed:
            assert verdict.failure_mode is not None and verdict.failure_mode.category == "content"


@pytest.mark.parametrize("token", ["1 ", "1,", "(", "((1", "\\boxed{", "{", "=", "answer ", "-", "1/", "$", "9" * 50 + " "])
def test_pathological_lines_are_judged_quickly(token: str) -> None:
    text = token * (100_000 // len(token))
    started = time.perf_counter()
    verdict = VERIFIER.verify(VERIFIER.parse_params({"expected": 1, "units": ["m"]}), ChatResponse(content=text), CTX)
    assert isinstance(verdict, Verdict)
    assert time.perf_counter() - started < 5.0
