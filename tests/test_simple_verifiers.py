"""The simple verifiers ``exact``, ``regex`` and ``numeric``: a gold answer passes, a
near-miss fails at the named check, reasoning is never judged, bad params are refused,
and no text makes them raise."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Scenario, Verdict, VerifierSpec
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.verifiers.extraction.simple_verifiers import last_number
from benchlab.verifiers import ParamError, VerifyContext

PLUGINS = load_plugins()


def judge(kind: str, params: dict[str, Any], text: str) -> Verdict:
    target = PLUGINS.verifiers.get(kind)
    verifier = target() if isinstance(target, type) else target
    parsed = verifier.parse_params(params)
    scenario = Scenario(id="T", messages=[{"role": "user", "content": "x"}], verifier=VerifierSpec(kind, params, parsed))
    return verifier.verify(parsed, ChatResponse(content=text), VerifyContext(scenario=scenario))


def refused(kind: str, params: dict[str, Any]) -> ParamError:
    target = PLUGINS.verifiers.get(kind)
    verifier = target() if isinstance(target, type) else target
    with pytest.raises(ParamError) as raised:
        verifier.validate(params)
    return raised.value


# --- exact -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Paris", "  Paris\n", "\n\nParis  ", "<think>maybe Lyon</think>Paris"])
def test_exact_passes_the_stripped_answer(text: str) -> None:
    assert judge("exact", {"expected": "Paris"}, text).passed


@pytest.mark.parametrize("text", ["paris", "Paris.", "Paris, France", "The answer is Paris", "", "<think>Paris</think>Lyon"])
def test_exact_near_misses_fail(text: str) -> None:
    verdict = judge("exact", {"expected": "Paris"}, text)
    assert not verdict.passed and verdict.failure_mode is FailureMode.WRONG_ANSWER
    [check] = verdict.checks
    assert check.name == "exact" and not check.ok and "expected 'Paris'" in check.detail


def test_exact_case_sensitivity_and_expected_whitespace() -> None:
    assert judge("exact", {"expected": "Paris", "case_sensitive": False}, "PARIS").passed
    assert judge("exact", {"expected": "straße", "case_sensitive": False}, "STRASSE").passed  # casefold, not lower
    assert not judge("exact", {"expected": "Paris", "case_sensitive": False}, "Pariss").passed
    assert judge("exact", {"expected": "  Paris \n"}, "Paris").passed  # the expected text is stripped too
    assert not judge("exact", {"expected": "a b"}, "a  b").passed  # inner whitespace counts


def test_exact_bad_params() -> None:
    assert refused("exact", {}).field == "expected"
    assert refused("exact", {"expected": 42}).field == "expected"
    assert refused("exact", {"expected": "x", "case_sensitive": "no"}).field == "case_sensitive"


# --- regex -----------------------------------------------------------------------------------


def test_regex_searches_anywhere_unless_fullmatch() -> None:
    assert judge("regex", {"pattern": r"\b42\b"}, "The answer is 42.").passed
    assert not judge("regex", {"pattern": r"\b42\b"}, "The answer is 420.").passed
    assert judge("regex", {"pattern": r"\d+", "fullmatch": True}, "  420 \n").passed  # the answer is stripped
    verdict = judge("regex", {"pattern": r"\d+", "fullmatch": True}, "420 apples")
    assert not verdict.passed and verdict.checks[0].name == "regex"
    assert "/\\d+/ does not match '420 apples'" == verdict.checks[0].detail


def test_regex_flags() -> None:
    assert not judge("regex", {"pattern": "^yes$"}, "YES").passed
    assert judge("regex", {"pattern": "^yes$", "flags": "i"}, "YES").passed
    assert not judge("regex", {"pattern": "^done$"}, "step 1\ndone\nstep 2").passed
    assert judge("regex", {"pattern": "^done$", "flags": "m"}, "step 1\ndone\nstep 2").passed
    assert not judge("regex", {"pattern": "a.b"}, "a\nb").passed
    assert judge("regex", {"pattern": "a.b", "flags": "s"}, "a\nb").passed
    assert judge("regex", {"pattern": "^A.B$", "flags": "ims", "fullmatch": True}, "a\nb").passed


def test_regex_ignores_reasoning() -> None:
    assert not judge("regex", {"pattern": "Paris"}, "<think>Paris?</think>I don't know").passed
    assert judge("regex", {"pattern": "Paris"}, "<think>Lyon?</think>Paris").passed


def test_regex_bad_params() -> None:
    assert refused("regex", {"pattern": "("}).message.startswith("not a valid regular expression")
    error = refused("regex", {"pattern": "x", "flags": "ix"})
    assert error.field == "flags" and "unknown flag 'x'" in error.message
    assert refused("regex", {"pattern": "x", "fullmatch": "yes"}).field == "fullmatch"


# --- numeric ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("I think 41, no: 42", 42),  # the last number
        ("The total is 1,234.50 dollars", 1234.5),  # thousands separators
        ("1,234,567", 1234567),
        ("-45.44", -45.44),
        ("The balance is −45.44", -45.44),  # unicode minus
        ("+3", 3),
        ("0.5 or .25", 0.25),
        ("1e3", 1000),
        ("12,3456", 3456),  # an incomplete comma group is no thousands separator
        ("no number here", None),
    ],
)
def test_last_number(text: str, value: float | None) -> None:
    assert last_number(text) == (pytest.approx(value) if value is not None else None)


def test_numeric_gold_and_near_miss() -> None:
    assert judge("numeric", {"expected": 1234.5}, "Step 1: 1000 + 234.5\nTotal: 1,234.50").passed
    verdict = judge("numeric", {"expected": 1234.5}, "Total: 1,234.50, plus 2 more")
    assert not verdict.passed and verdict.checks[0].name == "numeric"
    assert verdict.checks[0].detail == "expected 1234.5, got 2"


def test_numeric_tolerance() -> None:
    assert judge("numeric", {"expected": 3.14, "tolerance": 0.01}, "about 3.149").passed
    assert judge("numeric", {"expected": 3.14, "tolerance": 0.01}, "3.13").passed
    verdict = judge("numeric", {"expected": 3.14, "tolerance": 0.01}, "3.16")
    assert not verdict.passed and verdict.checks[0].detail == "expected 3.14 ±0.01, got 3.16"
    assert judge("numeric", {"expected": 0.3}, "0.30000000000000004").passed  # float rounding only
    assert not judge("numeric", {"expected": 0.3}, "0.301").passed  # default tolerance 0


def test_numeric_negative_numbers_keep_their_sign() -> None:
    assert judge("numeric", {"expected": -7}, "The change is -7").passed
    assert not judge("numeric", {"expected": -7}, "The change is 7").passed
    assert not judge("numeric", {"expected": 7}, "The change is -7").passed


def test_numeric_reasoning_is_removed() -> None:
    verdict = judge("numeric", {"expected": 42}, "<think>6 x 7 = 42</think>no idea")
    assert not verdict.passed and verdict.checks[0].detail == "the answer holds no number"
    assert not judge("numeric", {"expected": 42}, "<think>42</think>41").passed
    assert judge("numeric", {"expected": 42}, "<think>41?</think>42").passed


def test_numeric_bad_params() -> None:
    assert refused("numeric", {}).field == "expected"
    assert refused("numeric", {"expected": "42"}).field == "expected"
    assert refused("numeric", {"expected": 1, "tolerance": -1}).field == "tolerance"


# --- properties ------------------------------------------------------------------------------

PARAMS = [
    ("exact", {"expected": "Paris"}),
    ("exact", {"expected": "Paris", "case_sensitive": False}),
    ("regex", {"pattern": r"^\d+$", "flags": "m"}),
    ("regex", {"pattern": r"a.b", "flags": "is", "fullmatch": True}),
    ("numeric", {"expected": 42, "tolerance": 0.5}),
]
TEXT = st.text(max_size=200) | st.text(alphabet="0123456789,.-−+e <>/thinkParis\n", max_size=80)


@settings(max_examples=300, deadline=None)
@given(text=TEXT, which=st.integers(0, len(PARAMS) - 1))
def test_no_text_makes_a_simple_verifier_raise(text: str, which: int) -> None:
    kind, params = PARAMS[which]
    verdict = judge(kind, params, text)
    [check] = verdict.checks
    assert check.name == kind and check.ok == verdict.passed
    assert verdict.passed or (verdict.failure_mode is FailureMode.WRONG_ANSWER and check.detail)


@settings(max_examples=200, deadline=None)
@given(value=st.integers(-10**9, 10**9) | st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)),
       prefix=st.sampled_from(["", "Answer: ", "so 17 then "]))
def test_numeric_reads_back_any_number_it_is_given(value: float, prefix: str) -> None:
    """Written plainly or with thousands separators, the value is the last number read."""
    for written in (repr(value), f"{value:,}"):
        assert judge("numeric", {"expected": value}, f"{prefix}{written}").passed, written


def test_the_documented_examples_hold() -> None:
    """Each example in docs/verifiers.md's simple-verifier section: params, a passing and a failing answer."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "verifiers.md").read_text(encoding="utf-8")
    section = doc.split("## `exact`, `regex`, `numeric`", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\{.*?\})` \| `(.*?)` \| `(.*?)` \|$", section, re.MULTILINE)
    assert len(rows) >= 6
    import json

    for params_text, good, bad in rows:
        params = json.loads(params_text)
        kind = params.pop("kind")
        assert judge(kind, params, json.loads(f'"{good}"')).passed, (params_text, good)
        assert not judge(kind, params, json.loads(f'"{bad}"')).passed, (params_text, bad)
