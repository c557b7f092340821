"""The ``rubric`` verifier: every predicate passes and fails, combinations, JSON paths,
final numbers, score and threshold, param validation, and no model output making it raise."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Scenario, Verdict, VerifierSpec
from benchlab.plugins.verifiers.instructions.rubric import RubricVerifier, parse_path
from benchlab.verifiers import ParamError, VerifyContext

VERIFIER = RubricVerifier()
CTX = VerifyContext(scenario=Scenario(id="R", messages=[{"role": "user", "content": "x"}], verifier=VerifierSpec("rubric")))


def one(predicate: dict[str, Any], text: str) -> tuple[bool, str]:
    """The verdict of a single rule named ``r``."""
    params = {"rules": [{"name": "r", **predicate}]}
    VERIFIER.validate(params)
    verdict = VERIFIER.verify(VERIFIER.parse_params(params), ChatResponse(content=text), CTX)
    assert [c.name for c in verdict.checks] == ["r"]
    return verdict.checks[0].ok, verdict.checks[0].detail


REPLY = "Dear Ms Lund,\nWe have issued a full refund for order 4471.\nIf anything is unclear, reply to this e-mail."


@pytest.mark.parametrize(
    ("predicate", "ok"),
    [
        ({"contains": "refund"}, True),
        ({"contains": ["REFUND", "order 4471"]}, True),
        ({"contains": ["refund", "order 4472"]}, False),
        ({"contains": "REFUND", "ignore_case": False}, False),
        ({"contains": "full  refund"}, True),  # whitespace runs compare as one space
        ({"contains_any": ["credit note", "refund"]}, True),
        ({"contains_any": ["credit note", "voucher"]}, False),
        ({"not_contains": ["sorry", "your fault"]}, True),
        ({"not_contains": "e-mail"}, False),
        ({"equals": "dear ms lund, we have issued a full refund for order 4471. if anything is unclear, reply to this e-mail."}, True),
        ({"equals": "Dear Ms Lund"}, False),
        ({"starts_with": "Dear Ms"}, True),
        ({"starts_with": "Hello"}, False),
        ({"ends_with": "reply to this e-mail."}, True),
        ({"ends_with": "Regards"}, False),
        ({"regex": r"order \d{4}\b"}, True),
        ({"regex": r"^dear", "flags": "im"}, True),
        ({"regex": r"^dear"}, False),  # case-sensitive unless the i flag
        ({"not_regex": r"\bsorry\b", "flags": "i"}, True),
        ({"not_regex": r"\d{4}"}, False),
        ({"min_words": 20}, True),
        ({"min_words": 21}, False),
        ({"max_words": 20}, True),
        ({"max_words": 19}, False),
        ({"max_chars": 200}, True),
        ({"max_chars": 50}, False),
        ({"line_count": 3}, True),
        ({"line_count": 2}, False),
        ({"line_count": {"min": 2, "max": 4}}, True),
        ({"line_count": {"min": 4}}, False),
    ],
)
def test_each_predicate_passes_and_fails(predicate: dict[str, Any], ok: bool) -> None:
    assert one(predicate, REPLY)[0] is ok


def test_curly_quotes_match_straight_ones_and_markup_is_ignored_at_the_edges() -> None:
    assert one({"contains": "don't"}, "We don’t charge for returns.")[0]
    assert one({"starts_with": "Summary:"}, "**Summary:** all good")[0]
    assert one({"ends_with": "done"}, "All _done_")[0]


def test_combinations() -> None:
    either = {"any_of": [{"contains": "voucher"}, {"regex": "refund"}]}
    assert one(either, REPLY)[0]
    both = {"all_of": [{"contains": "refund"}, {"max_words": 5}]}
    ok, detail = one(both, REPLY)
    assert not ok and "20 words, expected at most 5" in detail
    assert one({"not": {"contains": "voucher"}}, REPLY)[0]
    ok, detail = one({"not": {"contains": "refund"}}, REPLY)
    assert not ok and detail.startswith("not expected")


def test_json_path_reads_the_answer_json() -> None:
    answer = 'Here it is:\n```json\n{"order": {"id": 4471, "items": [{"sku": "A1"}, {"sku": "B2"}], "odd.key": true}}\n```'
    assert one({"json_path": "order.items[1].sku", "matcher": "B2"}, answer)[0]
    assert one({"json_path": "$.order.id", "matcher": {"number": 4471}}, answer)[0]
    assert one({"json_path": 'order["odd.key"]', "matcher": True}, answer)[0]
    assert one({"json_path": "order.id"}, answer)[0]  # present by default
    ok, detail = one({"json_path": "order.items[2].sku"}, answer)
    assert not ok and "missing" in detail
    ok, detail = one({"json_path": "order.id", "matcher": {"number": 4472}}, answer)
    assert not ok and "4471" in detail
    assert not one({"json_path": "order.id", "strict": True}, answer)[0]  # prose around the fence


def test_json_path_without_json_is_invalid_json() -> None:
    params = {"rules": [{"name": "id", "json_path": "order.id"}, {"name": "short", "max_words": 50}]}
    VERIFIER.validate(params)
    verdict = VERIFIER.verify(VERIFIER.parse_params(params), ChatResponse(content="The order id is 4471."), CTX)
    assert verdict.failure_mode is FailureMode.INVALID_JSON and verdict.score == 0.5


def test_final_number_uses_the_numeric_answer_convention() -> None:
    assert one({"final_number": 42.5, "tolerance": 0.005}, "Subtotal 40\nAnswer: $42.50")[0]
    ok, detail = one({"final_number": 42.5}, "The answer is 42.5.\nThanks!")
    assert not ok and "no number on the final line" in detail
    ok, detail = one({"final_number": 42.5}, "Answer: 41")
    assert not ok and detail == "41, expected 42.5"
    ok, detail = one({"final_number": 42.5}, "Answer: 42.5 or 41")
    assert not ok and detail.startswith("ambiguous final answer: it offers several numbers")


def test_score_is_rules_met_over_rules_and_threshold_decides() -> None:
    rules = [{"name": "a", "contains": "refund"}, {"name": "b", "contains": "voucher"},
             {"name": "c", "max_words": 100}, {"name": "d", "not_contains": "sorry"}]
    VERIFIER.validate({"rules": rules})
    verdict = VERIFIER.verify(VERIFIER.parse_params({"rules": rules}), ChatResponse(content=REPLY), CTX)
    assert verdict.score == 0.75 and not verdict.passed and verdict.failure_mode is FailureMode.WRONG_ANSWER
    assert [(c.name, c.ok) for c in verdict.checks] == [("a", True), ("b", False), ("c", True), ("d", True)]
    assert "b: missing 'voucher'" in verdict.detail
    verdict = VERIFIER.verify(VERIFIER.parse_params({"rules": rules, "threshold": 0.75}), ChatResponse(content=REPLY), CTX)
    assert verdict.passed and verdict.failure_mode is None
    assert not VERIFIER.verify(VERIFIER.parse_params({"rules": rules, "threshold": 0.8}), ChatResponse(content=REPLY), CTX).passed


def test_reasoning_is_not_judged() -> None:
    assert not one({"contains": "refund"}, "<think>refund</think>We cannot help.")[0]


@pytest.mark.parametrize(
    ("path", "steps"),
    [("a", ["a"]), ("$.a.b[0]", ["a", "b", 0]), ("a[2][3]", ["a", 2, 3]), ('a["x.y"].z', ["a", "x.y", "z"]),
     ("[0]", [0]), ("a..b", None), ("a[", None), ("", None), ("$", None), ("a[x]", None)],
)
def test_paths(path: str, steps: list[Any] | None) -> None:
    assert parse_path(path) == steps


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "rules"),
        ({"rules": []}, "rules"),
        ({"rules": ["contains refund"]}, "rules[0]"),
        ({"rules": [{"contains": "x"}]}, "rules[0].name"),
        ({"rules": [{"name": " ", "contains": "x"}]}, "rules[0].name"),
        ({"rules": [{"name": "a", "contains": "x"}, {"name": "a", "contains": "y"}]}, "rules[1].name"),
        ({"rules": [{"name": "a"}]}, "rules[0]"),
        ({"rules": [{"name": "a", "contains": "x", "regex": "y"}]}, "rules[0]"),
        ({"rules": [{"name": "a", "eval": "len(text) > 3"}]}, "rules[0].eval"),
        ({"rules": [{"name": "a", "contains": "x", "flags": "i"}]}, "rules[0].flags"),
        ({"rules": [{"name": "a", "contains": ""}]}, "rules[0].contains"),
        ({"rules": [{"name": "a", "contains": []}]}, "rules[0].contains"),
        ({"rules": [{"name": "a", "contains": 3}]}, "rules[0].contains"),
        ({"rules": [{"name": "a", "contains": "x", "ignore_case": "yes"}]}, "rules[0].ignore_case"),
        ({"rules": [{"name": "a", "regex": "("}]}, "rules[0].regex"),
        ({"rules": [{"name": "a", "regex": "x", "flags": "g"}]}, "rules[0].flags"),
        ({"rules": [{"name": "a", "max_words": -1}]}, "rules[0].max_words"),
        ({"rules": [{"name": "a", "max_words": True}]}, "rules[0].max_words"),
        ({"rules": [{"name": "a", "line_count": {"min": 3, "max": 2}}]}, "rules[0].line_count.min"),
        ({"rules": [{"name": "a", "line_count": {"least": 3}}]}, "rules[0].line_count.least"),
        ({"rules": [{"name": "a", "json_path": "a..b"}]}, "rules[0].json_path"),
        ({"rules": [{"name": "a", "json_path": "a", "matcher": {"bogus": 1}}]}, "rules[0].matcher"),
        ({"rules": [{"name": "a", "final_number": "42"}]}, "rules[0].final_number"),
        ({"rules": [{"name": "a", "final_number": 42, "tolerance": -1}]}, "rules[0].tolerance"),
        ({"rules": [{"name": "a", "any_of": []}]}, "rules[0].any_of"),
        ({"rules": [{"name": "a", "any_of": [{"contains": "x"}, {"nope": 1}]}]}, "rules[0].any_of[1].nope"),
        ({"rules": [{"name": "a", "not": {"regex": "["}}]}, "rules[0].not.regex"),
        ({"rules": [{"name": "a", "contains": "x"}], "threshold": 0}, "threshold"),
        ({"rules": [{"name": "a", "contains": "x"}], "weights": [1]}, "weights"),
    ],
)
def test_malformed_params_are_rejected(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as raised:
        VERIFIER.validate(params)
    assert raised.value.field == field


EVERY = {"rules": [
    {"name": "contains", "contains": ["a", "b"]}, {"name": "any", "contains_any": ["x", "y"]},
    {"name": "not_contains", "not_contains": "z"}, {"name": "equals", "equals": "abc"},
    {"name": "starts", "starts_with": "a"}, {"name": "ends", "ends_with": "c"}, {"name": "regex", "regex": r"\w+\s\w+", "flags": "ims"},
    {"name": "not_regex", "not_regex": r"\d"}, {"name": "min", "min_words": 2}, {"name": "max", "max_words": 9},
    {"name": "chars", "max_chars": 40}, {"name": "lines", "line_count": {"min": 1, "max": 3}},
    {"name": "path", "json_path": "a[0].b", "matcher": {"number": 1, "tolerance": 0.5}},
    {"name": "final", "final_number": 3, "tolerance": {"rel": 0.1}},
    {"name": "combo", "any_of": [{"all_of": [{"contains": "a"}, {"not": {"regex": "q"}}]}, {"max_chars": 3}]},
]}
textish = st.text(alphabet=st.sampled_from(list('abcxyz 0123 {}[]":,.\n`*_-=Answer')), max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300) | textish)
def test_any_text_gets_a_verdict_never_an_exception(text: str) -> None:
    verdict = VERIFIER.verify(VERIFIER.parse_params(EVERY), ChatResponse(content=text), CTX)
    assert isinstance(verdict, Verdict) and len(verdict.checks) == len(EVERY["rules"])
    assert verdict.score == sum(c.ok for c in verdict.checks) / len(verdict.checks)
    if not verdict.passed:
        assert verdict.failure_mode is not None and verdict.failure_mode.category == "content"


@pytest.mark.parametrize("token", ["a ", "{", '{"a": [', "[", "*", "(", "Answer: 1 "])
def test_pathological_answers_are_judged_quickly(token: str) -> None:
    text = token * (100_000 // len(token))
    started = time.perf_counter()
    assert isinstance(VERIFIER.verify(VERIFIER.parse_params(EVERY), ChatResponse(content=text), CTX), Verdict)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("depth", [*range(400, 1000, 7), 1500, 5000])
def test_deeply_nested_json_in_prose_is_judged_not_raised(depth: int) -> None:
    """Two objects in prose are compared for ambiguity; one too deep to serialise must not crash it."""
    deep = "{\"a\": " + "[" * depth + "]" * depth + "}"
    for text in (f"x {deep} y {{\"z\": 1}}", deep, f"Answer: {deep}"):
        verdict = VERIFIER.verify(VERIFIER.parse_params(EVERY), ChatResponse(content=text), CTX)
        assert isinstance(verdict, Verdict) and not verdict.passed
