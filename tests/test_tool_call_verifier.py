"""The ``tool_call`` verifier and its value matchers: every matcher passes and fails,
every call is judged, restraint scenarios, failure modes, param validation, and no
model output makes it raise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Scenario, ToolCall, VerifierSpec, Verdict
from benchlab.plugins.verifiers.tool_calls.tool_call import ToolCallVerifier
from benchlab.plugins.verifiers.structured.matcher_validation import validate_matcher
from benchlab.plugins.verifiers.structured.value_matchers import MISSING, match
from benchlab.recorded import parse_tool_calls
from benchlab.verifiers import ParamError, VerifyContext

VERIFIER = ToolCallVerifier()

TOOLS = [
    {"type": "function", "function": {"name": "save_file", "parameters": {"type": "object", "properties": {
        "filename": {"type": "string"}, "content": {"type": "string"}, "overwrite": {"type": "boolean"}}}}},
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"type": "string"}}}}},
]


def ctx(tools: list[dict[str, Any]] | None = TOOLS) -> VerifyContext:
    return VerifyContext(scenario=Scenario(id="T", messages=[{"role": "user", "content": "x"}],
                                           verifier=VerifierSpec("tool_call"), tools=tools))


def tc(name: str, arguments: Any, index: int = 0) -> ToolCall:
    """A tool call as the response parser builds it: parsed JSON, or the raw text when it does not parse."""
    if isinstance(arguments, str):
        try:
            return ToolCall(name, json.loads(arguments), f"c{index}", arguments)
        except json.JSONDecodeError:
            return ToolCall(name, arguments, f"c{index}", arguments)
    return ToolCall(name, arguments, f"c{index}", json.dumps(arguments))


def judge(params: dict[str, Any], calls: list[ToolCall] | None = None, content: str = "", tools: Any = TOOLS) -> Verdict:
    return VERIFIER.verify(VERIFIER.parse_params(params), ChatResponse(content=content, tool_calls=calls or []), ctx(tools))


def failed(verdict: Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.ok}


SAVE = {"calls": [{"name": "save_file", "args": {"filename": "report.pdf"}}]}


# --- matchers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matcher", "good", "bad"),
    [
        ("report.pdf", "  report.pdf ", "Report.pdf"),
        ({"eq": "Report.PDF", "ignore_case": True}, "report.pdf", "report.txt"),
        ({"eq": 3}, 3.0, "3"),
        ({"eq": True}, True, 1),
        ({"eq": {"a": [1, "x"]}}, {"a": [1.0, " x"]}, {"a": ["x", 1]}),
        ({"one_of": ["low", "high"]}, "high", "medium"),
        ({"one_of": ["EUR"], "ignore_case": True}, "eur", "usd"),
        ({"regex": "^\\d{4}-\\d{2}-\\d{2}$"}, "2025-03-14", "14/03/2025"),
        ({"regex": "paris", "flags": "i"}, "Paris, France", 75),
        ({"number": 21.5}, 21.5, "21.5"),
        ({"number": 100, "tolerance": 0.5}, 100.4, 101),
        ({"number": 1}, 1, True),
        ({"type": "integer"}, 4.0, 4.5),
        ({"type": "array"}, [], {}),
        ({"contains": ["a", "b"]}, ["b", "c", "a"], ["a", "c"]),
        ({"contains": "final", "ignore_case": True}, "The figures are FINAL.", "not yet"),
        ({"subset": {"method": "express"}}, {"method": "express", "gift_wrap": False}, {"method": "standard"}),
        ({"fields": {"sku": "A", "qty": {"number": 2}}, "extra": False}, {"sku": "A", "qty": 2}, {"sku": "A", "qty": 2, "x": 1}),
        ({"fields": {"sku": "A"}}, {"sku": "A", "other": 1}, {"other": 1}),
        ({"items": ["a", "b"]}, ["b", "a"], ["a", "a"]),
        ({"items": ["a", "b"], "ordered": True}, ["a", "b"], ["b", "a"]),
        ({"items": ["a"], "extra": True}, ["x", "a"], ["x"]),
        ({"items": ["a"]}, ["a"], ["a", "x"]),
        ({"every": {"type": "string"}}, ["a", "b"], ["a", 2]),
        ({"present": True}, None, MISSING),
        ({"absent": True}, MISSING, "2025-01-01"),
        ({"absent": True}, None, 0),
        ({"eq": False, "optional": True}, MISSING, True),
        ({"any_of": [{"number": 1}, "one"]}, "one", "two"),
        ({"all_of": [{"type": "string"}, {"regex": "x"}]}, "xy", "y"),
        ({"not": {"eq": "tonight"}}, "tomorrow", "tonight"),
    ],
)
def test_each_matcher_accepts_the_right_value_and_rejects_the_near_miss(matcher: Any, good: Any, bad: Any) -> None:
    validate_matcher(matcher, "m")
    assert match(matcher, good).ok, match(matcher, good).detail
    result = match(matcher, bad)
    assert not result.ok
    assert result.detail


def test_a_missing_required_value_is_marked_missing() -> None:
    result = match({"regex": "x"}, MISSING)
    assert not result.ok and result.missing and result.detail.startswith("missing")


@pytest.mark.parametrize(
    ("matcher", "field"),
    [
        ({"eq": 1, "regex": "x"}, "m"),
        ({}, "m"),
        ({"regex": "("}, "m.regex"),
        ({"regex": "x", "flags": "q"}, "m.flags"),
        ({"number": "3"}, "m.number"),
        ({"number": 3, "tolerance": -1}, "m.tolerance"),
        ({"type": "float"}, "m.type"),
        ({"one_of": []}, "m.one_of"),
        ({"fields": {"a": {"regex": "["}}}, "m.fields.a.regex"),
        ({"items": [{"bogus": 1}]}, "m.items[0]"),
        ({"eq": 1, "ignore_cse": True}, "m.ignore_cse"),
        ({"eq": "x", "optional": "yes"}, "m.optional"),
        ({"absent": False}, "m.absent"),
    ],
)
def test_malformed_matchers_are_rejected_naming_the_field(matcher: Any, field: str) -> None:
    with pytest.raises(ParamError) as err:
        validate_matcher(matcher, "m")
    assert err.value.field == field


# --- the verifier ------------------------------------------------------------------------------


def test_the_right_call_passes() -> None:
    verdict = judge(SAVE, [tc("save_file", {"filename": "report.pdf", "content": "hi"})])
    assert verdict.passed and verdict.score == 1.0 and verdict.failure_mode is None


def test_a_wrong_value_names_the_argument_expected_and_got() -> None:
    verdict = judge(SAVE, [tc("save_file", {"filename": "output.pdf"})])
    assert not verdict.passed
    assert verdict.failure_mode is FailureMode.WRONG_ANSWER
    assert "calls[0].arguments.filename: expected 'report.pdf', got 'output.pdf'" in verdict.detail


def test_a_wrong_function_is_a_wrong_answer() -> None:
    verdict = judge(SAVE, [tc("get_weather", {"city": "Oslo"})])
    assert verdict.failure_mode is FailureMode.WRONG_ANSWER
    assert failed(verdict) == {"calls[0].name", "extra_calls"}
    assert "expected save_file(filename='report.pdf'); got calls to get_weather" in verdict.detail


def test_no_call_at_all_fails_at_the_name() -> None:
    verdict = judge(SAVE, [], content="I saved it.")
    assert failed(verdict) == {"calls[0].name"}
    assert "got no tool call" in verdict.detail


def test_a_missing_required_argument_is_missing_field() -> None:
    verdict = judge(SAVE, [tc("save_file", {"content": "hi"})])
    assert verdict.failure_mode is FailureMode.MISSING_FIELD
    assert failed(verdict) == {"calls[0].arguments.filename"}


def test_missing_field_gives_way_to_wrong_answer_when_something_else_is_wrong() -> None:
    params = {"calls": [{"name": "save_file", "args": {"filename": "report.pdf", "content": "hi"}}]}
    verdict = judge(params, [tc("save_file", {"filename": "other.pdf"})])
    assert verdict.failure_mode is FailureMode.WRONG_ANSWER


@pytest.mark.parametrize("arguments", ['{"filename": "report.pdf"', "filename=report.pdf", '["report.pdf"]', "42"])
def test_arguments_that_are_not_a_json_object_are_invalid_json(arguments: str) -> None:
    verdict = judge(SAVE, [tc("save_file", arguments)])
    assert verdict.failure_mode is FailureMode.INVALID_JSON
    assert "arguments_json" in failed(verdict)


@pytest.mark.parametrize("arguments", ["[" * 100_000, '{"filename": ' + "9" * 5000 + "}"])
def test_pathological_argument_text_is_invalid_json_not_a_crash(arguments: str) -> None:
    # through the real recorded-response parser: nesting past the recursion limit and a
    # number past int's digit limit both make json.loads raise something else than JSONDecodeError
    calls = parse_tool_calls([{"id": "c0", "type": "function", "function": {"name": "save_file", "arguments": arguments}}])
    verdict = judge(SAVE, calls)
    assert verdict.failure_mode is FailureMode.INVALID_JSON


def test_numbers_too_large_for_a_float_are_judged_not_raised() -> None:
    huge = 10**400
    for matcher in ({"number": 21.5}, {"eq": 3}, {"one_of": [1.5]}, {"number": 1, "tolerance": 0.5}):
        assert not match(matcher, huge).ok
    assert match({"type": "integer"}, huge).ok
    assert match({"eq": huge}, huge).ok


def test_empty_arguments_string_means_no_arguments() -> None:
    # decode_arguments turns "" into {}: the argument is missing, the JSON is not invalid
    verdict = judge(SAVE, [ToolCall("save_file", {}, "c0", "")])
    assert verdict.failure_mode is FailureMode.MISSING_FIELD


PARALLEL = {"calls": [{"name": "get_weather", "args": {"city": c}} for c in ("Oslo", "Lima", "Pune")]}


def test_parallel_calls_pass_in_any_order_when_order_does_not_matter() -> None:
    verdict = judge(PARALLEL, [tc("get_weather", {"city": c}, i) for i, c in enumerate(("Pune", "Oslo", "Lima"))])
    assert verdict.passed


def test_every_call_is_checked_not_only_the_first() -> None:
    verdict = judge(PARALLEL, [tc("get_weather", {"city": c}, i) for i, c in enumerate(("Oslo", "Lima", "Paris"))])
    assert not verdict.passed
    assert failed(verdict) == {"calls[2].arguments.city"}
    assert "expected 'Pune', got 'Paris'" in verdict.detail


def test_a_call_left_out_fails_at_its_index() -> None:
    verdict = judge(PARALLEL, [tc("get_weather", {"city": c}, i) for i, c in enumerate(("Oslo", "Lima"))])
    assert failed(verdict) == {"calls[2].name"}


ORDERED = {"ordered": True, "calls": [{"name": "get_weather", "args": {"city": "Oslo"}}, {"name": "save_file", "args": {"filename": "w.txt"}}]}


def test_order_is_enforced_only_when_asked() -> None:
    right = [tc("get_weather", {"city": "Oslo"}), tc("save_file", {"filename": "w.txt"}, 1)]
    assert judge(ORDERED, right).passed
    verdict = judge(ORDERED, right[::-1])
    assert failed(verdict) == {"order"}
    assert "expected get_weather then save_file, got save_file then get_weather" in verdict.detail
    assert judge({**ORDERED, "ordered": False}, right[::-1]).passed


def test_ordered_alignment_skips_an_allowed_extra_call() -> None:
    calls = [tc("get_weather", {"city": "Lima"}), tc("get_weather", {"city": "Oslo"}, 1), tc("save_file", {"filename": "w.txt"}, 2)]
    assert judge({**ORDERED, "extra_calls": True}, calls).passed
    assert failed(judge(ORDERED, calls)) == {"extra_calls"}


def test_extra_calls_are_rejected_unless_allowed() -> None:
    calls = [tc("save_file", {"filename": "report.pdf"}), tc("get_weather", {"city": "Oslo"}, 1)]
    verdict = judge(SAVE, calls)
    assert failed(verdict) == {"extra_calls"}
    assert "was not asked for" in verdict.detail
    assert judge({**SAVE, "extra_calls": True}, calls).passed


def test_duplicates_are_rejected_unless_allowed() -> None:
    calls = [tc("save_file", {"filename": "report.pdf"}), tc("save_file", {"filename": " report.pdf"}, 1)]
    verdict = judge(SAVE, calls)
    assert failed(verdict) == {"extra_calls"} and "repeats an expected call" in verdict.detail
    assert judge({**SAVE, "duplicates": True}, calls).passed
    # allowing extra calls is not allowing duplicates
    assert not judge({**SAVE, "extra_calls": True}, calls).passed


def test_extra_arguments_follow_the_schema_by_default() -> None:
    declared = [tc("save_file", {"filename": "report.pdf", "overwrite": True})]
    invented = [tc("save_file", {"filename": "report.pdf", "compress": True})]
    assert judge(SAVE, declared).passed
    verdict = judge(SAVE, invented)
    assert failed(verdict) == {"calls[0].extra_arguments"}
    assert "'compress': not a parameter of the tool" in verdict.detail
    # without tool schemas in the scenario, "schema" cannot judge and allows
    assert judge(SAVE, invented, tools=None).passed


def test_extra_arguments_forbid_and_allow() -> None:
    declared = [tc("save_file", {"filename": "report.pdf", "overwrite": True})]
    assert failed(judge({**SAVE, "extra_args": "forbid"}, declared)) == {"calls[0].extra_arguments"}
    per_call = {"calls": [{**SAVE["calls"][0], "extra_args": "allow"}], "extra_args": "forbid"}
    assert judge(per_call, [tc("save_file", {"filename": "report.pdf", "anything": 1})]).passed


def test_the_closest_same_name_call_is_reported_when_none_matches() -> None:
    params = {"calls": [{"name": "get_weather", "args": {"city": "Oslo", "unit": "celsius"}}]}
    calls = [tc("get_weather", {"city": "Lima", "unit": "kelvin"}), tc("get_weather", {"city": "Oslo", "unit": "kelvin"}, 1)]
    verdict = judge(params, calls)
    # paired with the second call (one argument right), so only the unit is reported wrong
    assert "calls[0].arguments.unit" in failed(verdict)
    assert "calls[0].arguments.city" not in failed(verdict)


def test_a_flood_of_calls_gets_a_short_verdict() -> None:
    calls = [tc("get_weather", {"city": "X" * 10_000}, i) for i in range(2000)] + [tc("save_file", "{oops", 2001)] * 50
    verdict = judge(PARALLEL, calls)
    assert not verdict.passed and verdict.failure_mode is FailureMode.INVALID_JSON
    assert len(verdict.detail) < 3000
    # 1997 unpaired weather calls and 50 save_file calls are extra; 50 calls carry bad JSON
    assert "and 2042 more" in verdict.detail and "and 45 more" in verdict.detail


# --- restraint ------------------------------------------------------------------------------------


def test_restraint_passes_with_a_text_answer_and_no_call() -> None:
    assert judge({"calls": []}, [], content="Paris is the capital of France.").passed


def test_restraint_fails_on_any_call() -> None:
    verdict = judge({"calls": []}, [tc("get_weather", {"city": "Paris"})], content="Let me check.")
    assert failed(verdict) == {"no_tool_call"}
    assert verdict.failure_mode is FailureMode.WRONG_ANSWER


def test_restraint_needs_an_answer() -> None:
    assert failed(judge({"calls": []}, [], content="   ")) == {"text"}


def test_restraint_text_matcher_and_reasoning_is_not_the_answer() -> None:
    params = {"calls": [], "text": {"all_of": [{"regex": "\\?"}, {"regex": "how much", "flags": "i"}]}}
    assert judge(params, [], content="How much should I send?").passed
    hidden = "<think>How much should I send?</think>I will send 50 EUR."
    verdict = judge(params, [], content=hidden)
    assert failed(verdict) == {"text"}


def test_text_can_be_required_next_to_calls() -> None:
    params = {**SAVE, "text": {"regex": "saving", "flags": "i"}}
    assert judge(params, [tc("save_file", {"filename": "report.pdf"})], content="Saving it now.").passed
    assert failed(judge(params, [tc("save_file", {"filename": "report.pdf"})])) == {"text"}


# --- params ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "calls"),
        ({"calls": {}}, "calls"),
        ({"calls": ["save_file"]}, "calls[0]"),
        ({"calls": [{"args": {}}]}, "calls[0].name"),
        ({"calls": [{"name": ""}]}, "calls[0].name"),
        ({"calls": [{"name": "f", "args": []}]}, "calls[0].args"),
        ({"calls": [{"name": "f", "args": {"x": {"regex": "("}}}]}, "calls[0].args.x.regex"),
        ({"calls": [{"name": "f", "arguments": {}}]}, "calls[0].arguments"),
        ({"calls": [{"name": "f", "extra_args": "maybe"}]}, "calls[0].extra_args"),
        ({"calls": [], "extra_args": "none"}, "extra_args"),
        ({"calls": [], "ordered": "yes"}, "ordered"),
        ({"calls": [{"name": "f"}], "ordered": True}, "ordered"),
        ({"calls": [], "text": {"regex": "x", "bad": 1}}, "text.bad"),
        ({"calls": [], "strict": True}, "strict"),
    ],
)
def test_malformed_params_are_rejected_naming_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        VERIFIER.validate(params)
    assert err.value.field == field


# --- untrusted output -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
tool_calls = st.builds(
    ToolCall,
    name=st.sampled_from(["save_file", "get_weather", "", "x" * 300]) | st.text(max_size=20),
    arguments=json_values | st.text(max_size=40) | st.dictionaries(st.sampled_from(["filename", "city", "unit", "content"]), json_values, max_size=4),
    id=st.none() | st.text(max_size=5),
    arguments_raw=st.none() | st.text(max_size=40),
)
PARAM_SETS = [
    SAVE,
    PARALLEL,
    ORDERED,
    {**PARALLEL, "duplicates": True, "extra_calls": True, "extra_args": "forbid"},
    {"calls": [], "text": {"regex": "x"}},
    {"calls": [{"name": "get_weather", "args": {"city": {"fields": {"a": {"items": [1, {"every": {"type": "string"}}]}}},
                                                "unit": {"any_of": [{"absent": True}, {"contains": ["c"]}]}}}]},
]


@settings(max_examples=300, deadline=None)
@given(params=st.sampled_from(PARAM_SETS), calls=st.lists(tool_calls, max_size=6), content=st.text(max_size=200))
def test_any_output_gets_a_verdict_never_an_exception(params: dict[str, Any], calls: list[ToolCall], content: str) -> None:
    verdict = VERIFIER.verify(VERIFIER.parse_params(params), ChatResponse(content=content, tool_calls=calls), ctx())
    assert isinstance(verdict, Verdict)
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.passed == (verdict.failure_mode is None)
