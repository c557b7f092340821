"""The ``bfcl`` verifier's rules on hand-made entries (no bfcl-eval needed).

Each expected verdict is worked out by hand from BFCL's rules as documented in
docs/verifiers-bfcl.md; the agreement corpus (test_bfcl_agreement.py) checks the same
rules against the official checker's own verdicts on real entries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchlab.model import FailureMode, Scenario, VerifierSpec
from benchlab.plugins.verifiers.tool_calls.bfcl_decode import parse_calls
from benchlab.packs.bfcl.loader import scenario_data
from benchlab.plugins.verifiers.tool_calls.bfcl_verifier import BfclVerifier
from benchlab.recorded import response_from_record
from benchlab.verifiers import ParamError, VerifyContext

AREA = {"name": "geometry.area", "description": "Area of a shape.", "parameters": {"type": "dict", "properties": {
    "shape": {"type": "string", "description": "circle or square"},
    "size": {"type": "float", "description": "radius or side"},
    "count": {"type": "integer", "description": "how many"},
    "exact": {"type": "boolean", "description": "no rounding"},
    "tags": {"type": "array", "items": {"type": "string"}, "description": "labels"},
}, "required": ["shape", "size"]}}
AREA_TRUTH = [{"geometry.area": {"shape": ["circle"], "size": [2.0], "count": [3, ""], "exact": ["", False], "tags": [["Red", "Blue"], ""]}}]
WEATHER = {"name": "weather", "description": "Weather now.", "parameters": {"type": "dict", "properties": {
    "city": {"type": "string", "description": "a city"}}, "required": ["city"]}}


def entry(functions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "case_0", "question": [[{"role": "user", "content": "?"}]], "function": functions}


def judge(category: str, mode: str, answer: dict[str, Any], functions: list[dict[str, Any]] | None = None,
          truth: list[dict[str, Any]] | None = None) -> Any:
    """The verdict on ``answer``, through the loader's scenario and the registered verifier's code."""
    functions = functions if functions is not None else [AREA]
    data = scenario_data(entry(functions), category, mode, truth if truth is not None else (AREA_TRUTH if "irrelevance" not in category and "relevance" not in category else None))
    verifier = BfclVerifier()
    params = {k: v for k, v in data["verifier"].items() if k != "kind"}
    parsed = verifier.parse_params(params)
    scenario = Scenario(id="case_0", messages=data["messages"], verifier=VerifierSpec("bfcl", params, parsed), tools=data.get("tools"))
    return verifier.verify(parsed, response_from_record(answer), VerifyContext(scenario))


def fc(name: str, arguments: Any) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"content": "", "tool_calls": [{"id": "1", "type": "function", "function": {"name": name, "arguments": text}}]}


def fc_many(*calls: tuple[str, Any]) -> dict[str, Any]:
    return {"content": "", "tool_calls": [fc(n, a)["tool_calls"][0] for n, a in calls]}


GOLD = {"shape": "circle", "size": 2.0, "count": 3}


def test_gold_passes_in_both_modes_and_fc_sends_underscored_names() -> None:
    assert judge("simple_python", "fc", fc("geometry_area", GOLD)).passed
    assert judge("simple_python", "prompt", {"content": "[geometry.area(shape='circle', size=2.0, count=3)]"}).passed
    data = scenario_data(entry([AREA]), "simple_python", "fc", AREA_TRUTH)
    assert data["tools"][0]["function"]["name"] == "geometry_area"
    assert data["tools"][0]["function"]["parameters"]["properties"]["size"]["type"] == "number"
    assert data["verifier"]["names"] == {"geometry_area": "geometry.area"}


def test_names_as_bfcl_spells_them_are_judged_too_but_no_other_spelling() -> None:
    assert judge("simple_python", "fc", fc("geometry.area", GOLD)).passed
    wrong = judge("simple_python", "fc", fc("Geometry_Area", GOLD))
    assert not wrong.passed and "calls[0].name" in {c.name for c in wrong.checks if not c.ok}
    # prompt mode has no renaming: the underscored spelling is another function
    assert not judge("simple_python", "prompt", {"content": "[geometry_area(shape='circle', size=2.0, count=3)]"}).passed


def test_an_int_is_accepted_for_a_float_but_not_a_float_for_an_int() -> None:
    assert judge("simple_python", "fc", fc("geometry_area", {**GOLD, "size": 2})).passed
    verdict = judge("simple_python", "fc", fc("geometry_area", {**GOLD, "count": 3.0}))
    assert not verdict.passed
    assert "expected type integer, got float" in next(c.detail for c in verdict.checks if c.name == "calls[0].arguments.count")


def test_a_boolean_is_not_an_integer() -> None:
    assert not judge("simple_python", "fc", fc("geometry_area", {**GOLD, "count": True})).passed
    assert judge("simple_python", "fc", fc("geometry_area", {**GOLD, "exact": False})).passed
    assert not judge("simple_python", "fc", fc("geometry_area", {**GOLD, "exact": 0})).passed


def test_strings_compare_without_case_spaces_and_some_punctuation() -> None:
    assert judge("simple_python", "fc", fc("geometry_area", {**GOLD, "shape": " C-i_r.c,l/E* ^"})).passed
    assert not judge("simple_python", "fc", fc("geometry_area", {**GOLD, "shape": "circles"})).passed
    assert not judge("simple_python", "fc", fc("geometry_area", {**GOLD, "shape": "circle!"})).passed


def test_lists_normalise_their_strings_but_keep_their_order() -> None:
    assert judge("simple_python", "fc", fc("geometry_area", {**GOLD, "tags": ["RED", "blue"]})).passed
    assert not judge("simple_python", "fc", fc("geometry_area", {**GOLD, "tags": ["Blue", "Red"]})).passed
    # "" among a list parameter's possible values accepts an empty list as well as leaving it out
    assert judge("simple_python", "fc", fc("geometry_area", {**GOLD, "tags": []})).passed


def test_optional_and_required_parameters() -> None:
    # count lists "" among its possible values: it may be left out; exact's first value "" too
    assert judge("simple_python", "fc", fc("geometry_area", {"shape": "circle", "size": 2.0})).passed
    missing = judge("simple_python", "fc", fc("geometry_area", {"shape": "circle"}))
    assert not missing.passed and missing.failure_mode is FailureMode.MISSING_FIELD
    truth = [{"geometry.area": {"shape": ["circle"], "size": [2.0], "count": [3]}}]  # count not optional here
    left_out = judge("simple_python", "fc", fc("geometry_area", {"shape": "circle", "size": 2.0}), truth=truth)
    assert not left_out.passed and left_out.failure_mode is FailureMode.MISSING_FIELD


def test_parameters_outside_the_doc_or_the_possible_answer_fail() -> None:
    invented = judge("simple_python", "fc", fc("geometry_area", {**GOLD, "units": "cm"}))
    assert not invented.passed and "not a parameter" in invented.detail
    truth = [{"geometry.area": {"shape": ["circle"], "size": [2.0]}}]
    unlisted = judge("simple_python", "fc", fc("geometry_area", {**GOLD}), truth=truth)
    assert not unlisted.passed and "not expected here" in unlisted.detail


def test_parallel_calls_match_in_any_order_one_call_each() -> None:
    truth = [{"weather": {"city": ["Paris"]}}, {"weather": {"city": ["Rome"]}}]
    both = fc_many(("weather", {"city": "Rome"}), ("weather", {"city": "Paris"}))
    assert judge("parallel", "fc", both, functions=[WEATHER], truth=truth).passed
    twice = fc_many(("weather", {"city": "Rome"}), ("weather", {"city": "Rome"}))
    assert not judge("parallel", "fc", twice, functions=[WEATHER], truth=truth).passed
    extra = fc_many(("weather", {"city": "Rome"}), ("weather", {"city": "Paris"}), ("weather", {"city": "Oslo"}))
    verdict = judge("parallel", "fc", extra, functions=[WEATHER], truth=truth)
    assert not verdict.passed and "call_count" in {c.name for c in verdict.checks if not c.ok}


def test_order_free_matching_is_greedy_like_bfcls() -> None:
    """Expected call 0 accepts both answers, expected call 1 only the first: BFCL gives the first
    answer to call 0 and fails call 1, although another pairing would match both."""
    truth = [{"weather": {"city": ["Paris", "Rome"]}}, {"weather": {"city": ["Paris"]}}]
    answer = fc_many(("weather", {"city": "Paris"}), ("weather", {"city": "Rome"}))
    verdict = judge("parallel", "fc", answer, functions=[WEATHER], truth=truth)
    assert not verdict.passed and "calls[1]" in {c.name for c in verdict.checks if not c.ok}


def test_fc_answers_that_do_not_decode() -> None:
    text = judge("simple_python", "fc", {"content": "geometry.area(shape='circle', size=2.0)"})
    assert not text.passed and text.checks[0].name == "decoded"
    broken = judge("simple_python", "fc", fc("geometry_area", '{"shape": "circle", '))
    assert not broken.passed and broken.failure_mode is FailureMode.INVALID_JSON
    assert not judge("simple_python", "fc", fc("geometry_area", "[1, 2]")).passed


def test_irrelevance_passes_any_answer_that_is_not_a_call() -> None:
    for answer in ({"content": "No function fits."}, {"content": ""}, fc("geometry_area", "not json"), fc("geometry_area", "[]")):
        assert judge("irrelevance", "fc", answer).passed, answer
    called = judge("irrelevance", "fc", fc("geometry_area", {}))
    assert not called.passed and called.checks[0].name == "no_call"
    for text in ("I cannot help.", "[]", "```\n\n```", "None"):
        assert judge("irrelevance", "prompt", {"content": text}).passed, text
    assert not judge("irrelevance", "prompt", {"content": "anything(at=1)"}).passed


def test_relevance_passes_any_call_and_nothing_else() -> None:
    assert judge("live_relevance", "fc", fc("some_other_name", {})).passed
    assert judge("live_relevance", "prompt", {"content": "[geometry.area()]"}).passed
    assert not judge("live_relevance", "fc", {"content": "Which shape?"}).passed
    assert not judge("live_relevance", "prompt", {"content": "[]"}).passed


@pytest.mark.parametrize(("text", "passes"), [
    ("geometry.area(shape='circle', size=2.0, count=3)", True),  # no brackets: they are added
    ("```\n[geometry.area(shape='circle', size=2.0, count=3)]\n```", True),  # a bare fence is trimmed
    ("```python\n[geometry.area(shape='circle', size=2.0, count=3)]\n```", False),  # its language tag is not
    ("'[geometry.area(shape=\"circle\", size=2.0, count=3)]'", False),  # a quoted list is a string, not calls
    ("\t[geometry.area(shape='circle', size=2.0, count=3)]", False),  # a tab is not trimmed
    ("[geometry.area(shape=circle, size=2.0, count=3)]", True),  # a bare name reads as its own spelling
    ("[geometry.area(shape='circle', size=1.5 + 0.5, count=3)]", True),  # literal arithmetic is computed
    ("[geometry.area(shape='circle', size=2.0, count=+3)]", False),  # BFCL reads any unary operator as minus
    ("[geometry.area('circle', 2.0, count=3)]", False),  # positional arguments are ignored
    ("Sure: [geometry.area(shape='circle', size=2.0, count=3)]", False),
])
def test_python_call_syntax(text: str, passes: bool) -> None:
    assert judge("simple_python", "prompt", {"content": text}).passed is passes


def test_python_answers_are_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"[geometry.area(shape='circle', size=__import__('os').system('touch {marker}') + 2.0, count=3)]"
    verdict = judge("simple_python", "prompt", {"content": text})
    assert not verdict.passed and "does not evaluate" in verdict.detail
    assert not marker.exists()
    # huge literal arithmetic is refused rather than computed
    assert not judge("simple_python", "prompt", {"content": "[geometry.area(shape='circle', size=9**9**9, count=3)]"}).passed


def test_parse_calls_reads_nested_values_as_bfcl_does() -> None:
    calls = parse_calls("[f(a=g(x=1), b=h(2), c=data[0], d=(1, 2), e={'k': -1}, **rest)]")
    assert calls == [("f", {"a": {"g": {"x": 1}}, "b": "h(2)", "c": "data[0]", "d": (1, 2), "e": {"k": -1}, None: "rest"})]


def test_bad_parameters_are_refused() -> None:
    verifier = BfclVerifier()
    base = {"category": "simple_python", "mode": "fc", "functions": [AREA], "ground_truth": AREA_TRUTH}
    verifier.validate(base)
    for bad, field in (({"category": "simple_java"}, "category"), ({"mode": "json"}, "mode"),
                       ({"ground_truth": []}, "ground_truth"), ({"functions": [{"name": "x"}]}, "functions[0]")):
        with pytest.raises(ParamError) as caught:
            verifier.validate({**base, **bad})
        assert caught.value.field == field
    with pytest.raises(ParamError):
        verifier.validate({"category": "irrelevance", "mode": "fc", "functions": [AREA], "ground_truth": AREA_TRUTH})


PIECES = ["[", "]", "(", ")", "{", "}", ",", "=", ":", "'", '"', "`", "\n", "\t", " ", "geometry.area", "shape", "size",
          "count", "1", "2.0", "-", "+", "*", "**", "/", "0", "9", "[]", "None", "True", "lambda", "x", ".", "...",
          "1e999", "__import__('os')", "[0]", "**kw", "f(", "'circle'", "<think>", "</think>"]


def test_no_answer_makes_the_verifier_raise() -> None:
    """Model output is untrusted: whatever it is, the verifier returns a verdict."""
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from(PIECES), max_size=30), st.sampled_from(["fc", "prompt"]), st.sampled_from(["simple_python", "parallel", "irrelevance"]))
    def check(parts: list[str], mode: str, category: str) -> None:
        text = "".join(parts)
        answer = fc("geometry_area", text) if mode == "fc" else {"content": text}
        judge(category, mode, answer)

    check()
    for text in ("[geometry.area(shape='circle', size=1/0, count=3)]", "[geometry.area(size=1 << -1)]", "[f(x=" * 500 + ")]" * 500):
        assert not judge("simple_python", "prompt", {"content": text}).passed
