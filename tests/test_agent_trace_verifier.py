"""The ``agent_trace`` verifier: each expectation kind (required calls, order, forbidden
calls, call caps, the replayed final state, answer rules, the final answer itself) passes
and fails over multi-turn transcripts, malformed params are refused with their field, and
no transcript makes it raise (hypothesis). The state replay runs a real ``tools.py`` that
each test writes into a real pack folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchlab.errors import PackError
from benchlab.model import ChatRequest, ChatResponse, FailureMode, Pack, PackManifest, Scenario, ToolCall, Turn, Verdict, VerifierSpec
from benchlab.pack_loader import load_pack_folder
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.verifiers.tool_calls.agent_trace import AgentTraceVerifier, transcript
from benchlab.verifiers import ParamError, VerifyContext
from helpers import write_pack

VERIFIER = AgentTraceVerifier()

# A tiny deterministic tool set: a key-value store, a lookup that reveals an id, a tool that crashes.
TOOLS_PY = '''
def put(arguments, state):
    state.setdefault("kv", {})[arguments["key"]] = arguments["value"]
    return {"stored": arguments["key"]}

def find(arguments, state):
    return {"id": "item-" + str(len(arguments["query"]))}

def get(arguments, state):
    return {"id": arguments["id"], "ok": arguments["id"] == "item-5"}

def drop(arguments, state):
    state.setdefault("kv", {}).pop(arguments["key"], None)
    return {"dropped": arguments["key"]}

def explode(arguments, state):
    raise RuntimeError("a pack bug")

TOOLS = {"put": put, "find": find, "get": get, "drop": drop, "explode": explode}
'''


def schema(name: str, *props: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {p: {"type": "string"} for p in props}}}}


TOOL_SCHEMAS = [schema("put", "key", "value"), schema("find", "query"), schema("get", "id"), schema("drop", "key"), schema("explode")]


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("packs") / "trace-pack"
    folder.mkdir()
    (folder / "tools.py").write_text(TOOLS_PY, encoding="utf-8")
    return folder


def make_ctx(pack_dir: Path | None, turns: list[ChatResponse], state: dict[str, Any] | None = None, tools: Any = TOOL_SCHEMAS) -> VerifyContext:
    scenario = Scenario(id="T-1", messages=[{"role": "user", "content": "do it"}], verifier=VerifierSpec("agent_trace"),
                        tools=tools, driver="tool_loop", extra={"state": state or {"kv": {"old": "1"}}})
    manifest = PackManifest(id="trace-pack", version="1", title="T", dimension="d", default_thinking=False, default_max_seconds=10)
    pack = Pack(manifest, [scenario], pack_dir)
    request = ChatRequest(scenario="trace-pack/T-1", messages=scenario.messages)
    return VerifyContext(scenario=scenario, pack=pack, turns=[Turn(request, r) for r in turns])


def call(name: str, arguments: Any = None, n: int = 0) -> ToolCall:
    arguments = {} if arguments is None else arguments
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall(name, arguments, f"c{n}", raw)


def calls_turn(*calls: ToolCall) -> ChatResponse:
    return ChatResponse(content="", tool_calls=list(calls), finish_reason="tool_calls")


def answer(text: str) -> ChatResponse:
    return ChatResponse(content=text, finish_reason="stop")


def judge(params: dict[str, Any], turns: list[ChatResponse], pack_dir: Path | None = None, **kw: Any) -> Verdict:
    VERIFIER.validate(params)
    return VERIFIER.verify(VERIFIER.parse_params(params), turns[-1], make_ctx(pack_dir, turns, **kw))


def failed(verdict: Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.ok}


def names(verdict: Verdict) -> list[str]:
    return [c.name for c in verdict.checks]


CHAIN = [calls_turn(call("find", {"query": "abcde"})), calls_turn(call("get", {"id": "item-5"})), answer("Item item-5 is ok.")]
CHAIN_PARAMS = {"calls": [{"id": "lookup", "name": "find", "args": {"query": {"regex": "^a"}}},
                          {"id": "fetch", "name": "get", "args": {"id": "item-5"}}],
                "order": [["lookup", "fetch"]]}


# --- required calls -------------------------------------------------------------------------------


def test_a_chain_across_turns_passes_with_one_check_per_expectation_argument_and_order() -> None:
    verdict = judge(CHAIN_PARAMS, CHAIN)
    assert verdict.passed and verdict.score == 1.0
    assert names(verdict) == ["final_answer", "calls.lookup", "calls.lookup.arguments.query", "calls.lookup.extra_arguments",
                              "calls.fetch", "calls.fetch.arguments.id", "calls.fetch.extra_arguments", "order.lookup->fetch"]
    assert "turn 2" in next(c.detail for c in verdict.checks if c.name == "calls.fetch")


def test_a_derived_argument_with_the_wrong_value_fails_at_that_argument() -> None:
    turns = [calls_turn(call("find", {"query": "abcde"})), calls_turn(call("get", {"id": "item-4"})), answer("done")]
    verdict = judge(CHAIN_PARAMS, turns)
    assert not verdict.passed and verdict.failure_mode is FailureMode.WRONG_ANSWER
    assert failed(verdict) == {"calls.fetch.arguments.id", "order.lookup->fetch"}
    assert "expected 'item-5', got 'item-4'" in verdict.detail


def test_a_missing_function_fails_its_call_check_and_lists_the_calls_made() -> None:
    verdict = judge(CHAIN_PARAMS, [calls_turn(call("find", {"query": "abc"})), answer("done")])
    assert failed(verdict) == {"calls.fetch", "order.lookup->fetch"}
    assert "calls made: find" in verdict.detail


def test_a_later_correct_call_meets_the_expectation_after_a_wrong_one() -> None:
    """Error recovery: a wrong first attempt does not fail the scenario once a right call follows."""
    turns = [calls_turn(call("find", {"query": "abcde"})), calls_turn(call("get", {"id": "item-4"})),
             calls_turn(call("get", {"id": "item-5"})), answer("item-5 it is")]
    assert judge(CHAIN_PARAMS, turns).passed


def test_two_expectations_of_one_function_need_two_distinct_calls() -> None:
    params = {"calls": [{"id": "a", "name": "put", "args": {"key": {"regex": "a|b"}}}, {"id": "b", "name": "put", "args": {"key": {"regex": "b"}}}]}
    assert not judge(params, [calls_turn(call("put", {"key": "b", "value": "1"})), answer("ok")]).passed
    both = [calls_turn(call("put", {"key": "b", "value": "1"}), call("put", {"key": "a", "value": "2"})), answer("ok")]
    assert judge(params, both).passed  # the matching pairs a with the second call although b's call also fits a


def test_extra_arguments_follow_the_schema_or_the_policy() -> None:
    turns = [calls_turn(call("put", {"key": "k", "value": "v", "ttl": "5"})), answer("ok")]
    params = {"calls": [{"name": "put", "args": {"key": "k"}}]}
    verdict = judge(params, turns)
    assert failed(verdict) == {"calls.put.extra_arguments"} and "'ttl': not a parameter of the tool" in verdict.detail
    assert judge({**params, "extra_args": "allow"}, turns).passed
    declared = [calls_turn(call("put", {"key": "k", "value": "v"})), answer("ok")]
    assert judge(params, declared).passed
    assert failed(judge({"calls": [{"name": "put", "args": {"key": "k"}, "extra_args": "forbid"}]}, declared)) == {"calls.put.extra_arguments"}


def test_arguments_that_are_not_a_json_object_fail_as_such() -> None:
    turns = [calls_turn(ToolCall("put", '{"key": "k",', "c0", '{"key": "k",')), answer("ok")]
    verdict = judge({"calls": [{"name": "put", "args": {"key": "k"}}]}, turns)
    assert failed(verdict) == {"calls.put.arguments"} and "not valid JSON" in verdict.detail


# --- order ------------------------------------------------------------------------------------------


def test_order_fails_when_the_second_call_came_first() -> None:
    turns = [calls_turn(call("get", {"id": "item-5"})), calls_turn(call("find", {"query": "abcde"})), answer("done")]
    verdict = judge(CHAIN_PARAMS, turns)
    assert failed(verdict) == {"order.lookup->fetch"}
    assert "'fetch' (call 1) came before 'lookup' (call 2)" in verdict.detail


def test_order_inside_one_turn_follows_the_order_the_calls_run_in() -> None:
    assert judge(CHAIN_PARAMS, [calls_turn(call("find", {"query": "abcde"}), call("get", {"id": "item-5"})), answer("ok")]).passed
    swapped = judge(CHAIN_PARAMS, [calls_turn(call("get", {"id": "item-5"}), call("find", {"query": "abcde"})), answer("ok")])
    assert failed(swapped) == {"order.lookup->fetch"}


def test_order_before_the_answer_needs_the_call_to_have_run_in_an_earlier_turn() -> None:
    params = {"calls": [{"id": "save", "name": "put", "args": {"key": "k"}}], "order": [["save", "answer"]]}
    assert judge(params, [calls_turn(call("put", {"key": "k", "value": "v"})), answer("saved")]).passed
    # A single response that asks for the call and stops: the call never ran before any answer.
    pending = judge(params, [ChatResponse(content="saved", tool_calls=[call("put", {"key": "k", "value": "v"})])])
    assert {"order.save->answer", "final_answer"} <= failed(pending)


# --- forbidden calls and caps ---------------------------------------------------------------------


def test_forbidden_calls_with_and_without_argument_matchers() -> None:
    params = {"forbidden": [{"name": "drop", "args": {"key": "old"}}, {"id": "any_explode", "name": "explode"}], "answer": [{"name": "said", "regex": "."}]}
    assert judge(params, [calls_turn(call("drop", {"key": "new"})), answer("ok")]).passed
    verdict = judge(params, [calls_turn(call("drop", {"key": "old"})), calls_turn(call("explode")), answer("ok")])
    assert failed(verdict) == {"forbidden.drop", "forbidden.any_explode"}
    assert 'drop({"key": "old"}) (call 1)' in verdict.detail


def test_max_calls_and_max_calls_per_tool() -> None:
    turns = [calls_turn(call("find", {"query": "a"}), call("find", {"query": "b"})), calls_turn(call("get", {"id": "x"})), answer("ok")]
    assert judge({"max_calls": 3, "max_calls_per_tool": {"find": 2}}, turns).passed
    verdict = judge({"max_calls": 2, "max_calls_per_tool": {"find": 1, "get": 1}}, turns)
    assert failed(verdict) == {"max_calls", "max_calls.find"}
    assert "3 tool calls in all, at most 2 allowed" in verdict.detail


def test_max_calls_zero_is_restraint() -> None:
    params = {"max_calls": 0, "answer": [{"name": "three", "regex": r"\b3\b"}]}
    assert judge(params, [answer("3 failed.")]).passed
    assert failed(judge(params, [calls_turn(call("find", {"query": "x"})), answer("3 failed.")])) == {"max_calls"}


# --- the replayed final state -----------------------------------------------------------------------


STATE = {"state": [{"name": "kept", "path": "kv.old", "matcher": "1"}, {"name": "new", "path": "kv.new", "matcher": {"regex": "^v2$"}}]}


def test_state_is_the_effect_of_every_call_but_the_final_turns(pack_dir: Path) -> None:
    turns = [calls_turn(call("put", {"key": "new", "value": "v1"})), calls_turn(call("put", {"key": "new", "value": "v2"})), answer("ok")]
    verdict = judge(STATE, turns, pack_dir)
    assert verdict.passed and "kv.new = 'v2'" in next(c.detail for c in verdict.checks if c.name == "state.new")
    overwritten = [calls_turn(call("put", {"key": "new", "value": "v2"})), calls_turn(call("put", {"key": "new", "value": "v1"})), answer("ok")]
    assert failed(judge(STATE, overwritten, pack_dir)) == {"state.new"}
    dropped = [calls_turn(call("put", {"key": "new", "value": "v2"}), call("drop", {"key": "old"})), answer("ok")]
    assert failed(judge(STATE, dropped, pack_dir)) == {"state.kept"}


def test_calls_of_the_final_turn_never_ran_so_they_change_no_state(pack_dir: Path) -> None:
    never_ran = ChatResponse(content="ok", tool_calls=[call("put", {"key": "new", "value": "v2"})], finish_reason="length")
    verdict = judge(STATE, [calls_turn(call("find", {"query": "q"})), never_ran], pack_dir)
    assert {"state.new", "final_answer"} <= failed(verdict) and "kv.new: missing" in verdict.detail


def test_a_tool_error_the_model_caused_is_part_of_the_replay_not_a_crash(pack_dir: Path) -> None:
    """``put`` without ``value`` raises KeyError: the driver showed the model an error; the replay does the same."""
    turns = [calls_turn(call("put", {"key": "new"})), calls_turn(call("put", {"key": "new", "value": "v2"})), answer("ok")]
    assert judge(STATE, turns, pack_dir).passed


def test_a_pack_whose_tools_crash_or_are_missing_is_a_verifier_failure(pack_dir: Path, tmp_path: Path) -> None:
    crashed = judge(STATE, [calls_turn(call("explode")), answer("ok")], pack_dir)
    assert crashed.failure_mode is FailureMode.VERIFIER_FAIL and "crashed the pack's tool: RuntimeError('a pack bug')" in crashed.detail
    missing = judge(STATE, [answer("ok")], tmp_path)
    assert missing.failure_mode is FailureMode.VERIFIER_FAIL and "could not be loaded" in missing.detail
    no_folder = judge(STATE, [answer("ok")], None)
    assert no_folder.failure_mode is FailureMode.VERIFIER_FAIL


# --- the final answer ---------------------------------------------------------------------------------


def test_answer_rules_are_rubric_rules_named_answer_dot_name() -> None:
    params = {"answer": [{"name": "id", "contains": "item-5"}, {"name": "short", "max_words": 5}]}
    assert judge(params, CHAIN).passed
    verdict = judge(params, [answer("<think>item-5?</think>It is item-4, I believe, after all that.")])
    assert failed(verdict) == {"answer.id", "answer.short"}  # reasoning is not part of the answer


def test_the_final_answer_must_be_text_without_pending_calls() -> None:
    params = {"answer": [{"name": "any", "regex": "."}]}
    assert failed(judge(params, [calls_turn(call("find", {"query": "a"})), answer("   ")])) >= {"final_answer"}
    pending = judge(params, [ChatResponse(content="let me look", tool_calls=[call("find", {"query": "a"})])])
    assert "final_answer" in failed(pending) and "still asks for 1 tool call(s): find" in pending.detail


def test_without_turns_the_final_response_is_the_whole_transcript() -> None:
    """How proofs and the negative control call a verifier: ``ctx.turns`` empty."""
    response = answer("Item item-5 is ok.")
    ctx = make_ctx(None, [])
    assert transcript(response, ctx) == [response]
    verdict = VERIFIER.verify(VERIFIER.parse_params(CHAIN_PARAMS), response, ctx)
    assert {"calls.lookup", "calls.fetch"} <= failed(verdict)


def test_the_last_turn_is_not_counted_twice() -> None:
    ctx = make_ctx(None, CHAIN)
    assert transcript(CHAIN[-1], ctx) == CHAIN
    other = answer("a different final response")
    assert transcript(other, ctx) == [*CHAIN, other]


# --- parameters ------------------------------------------------------------------------------------


BAD_PARAMS = [
    ({}, "calls"),
    ({"calls": []}, "calls"),
    ({"calls": [{"name": "x"}], "bogus": 1}, "bogus"),
    ({"calls": "x"}, "calls"),
    ({"calls": [["x"]]}, "calls[0]"),
    ({"calls": [{"args": {}}]}, "calls[0].name"),
    ({"calls": [{"name": "x", "when": 1}]}, "calls[0].when"),
    ({"calls": [{"name": "x", "id": "has space"}]}, "calls[0].id"),
    ({"calls": [{"name": "x", "id": "answer"}]}, "calls[0].id"),
    ({"calls": [{"name": "x"}, {"name": "x"}]}, "calls[1].id"),
    ({"calls": [{"name": "x", "args": []}]}, "calls[0].args"),
    ({"calls": [{"name": "x", "args": {"a": {"regex": "("}}}]}, "calls[0].args.a.regex"),
    ({"calls": [{"name": "x", "args": {"a": {"eq": 1, "lt": 2}}}]}, "calls[0].args.a.lt"),
    ({"calls": [{"name": "x", "extra_args": "maybe"}]}, "calls[0].extra_args"),
    ({"calls": [{"name": "x"}], "extra_args": "maybe"}, "extra_args"),
    ({"calls": [{"name": "x"}], "order": [["x"]]}, "order[0]"),
    ({"calls": [{"name": "x"}], "order": [["y", "x"]]}, "order[0][0]"),
    ({"calls": [{"name": "x"}], "order": [["x", "z"]]}, "order[0][1]"),
    ({"calls": [{"name": "x"}], "order": [["x", "x"]]}, "order[0]"),
    ({"forbidden": [{"name": "x", "args": {"a": {"number": "1"}}}]}, "forbidden[0].args.a.number"),
    ({"forbidden": [{"name": "x", "extra_args": "allow"}]}, "forbidden[0].extra_args"),
    ({"max_calls": -1}, "max_calls"),
    ({"max_calls": True}, "max_calls"),
    ({"calls": [{"name": "x"}, {"name": "y"}], "max_calls": 1}, "max_calls"),
    ({"max_calls_per_tool": {"x": -2}}, "max_calls_per_tool.x"),
    ({"max_calls_per_tool": {"x": 1.5}}, "max_calls_per_tool.x"),
    ({"state": [{"name": "s", "path": "a..b"}]}, "state[0].path"),
    ({"state": [{"name": "s", "path": "a", "matcher": {"nope": 1}}]}, "state[0].matcher"),
    ({"state": [{"name": "s", "path": "a"}, {"name": "s", "path": "b"}]}, "state[1].name"),
    ({"state": [{"path": "a"}]}, "state[0].name"),
    ({"state": [{"name": "s", "path": "a", "where": 1}]}, "state[0].where"),
    ({"answer": []}, "answer"),
    ({"answer": [{"name": "a"}]}, "answer[0]"),
    ({"answer": [{"name": "a", "contains": "x"}, {"name": "a", "contains": "y"}]}, "answer[1].name"),
    ({"answer": [{"name": "a", "regex": "(", "flags": "i"}]}, "answer[0].regex"),
]


@pytest.mark.parametrize("params, field", BAD_PARAMS)
def test_malformed_params_are_refused_with_their_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as caught:
        VERIFIER.validate(params)
    assert caught.value.field == field, caught.value.message


def test_a_bad_parameter_in_a_pack_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    plugins = load_plugins([])
    good = {"id": "A", "messages": [{"role": "user", "content": "x"}], "driver": "tool_loop", "verifier": {"kind": "agent_trace", "max_calls": 0}}
    bad = {**good, "id": "B", "verifier": {"kind": "agent_trace", "calls": [{"name": "f"}], "order": [["f", "g"]]}}
    folder = write_pack(tmp_path / "p", [good, bad])
    with pytest.raises(PackError) as caught:
        load_pack_folder(folder, plugins.verifiers, plugins.drivers)
    assert str(caught.value).endswith("scenarios.jsonl:2: verifier.order[0][1]: 'g' is neither an expected call's id nor 'answer'")
    assert "agent_trace" in plugins.verifiers


# --- no transcript makes it raise ------------------------------------------------------------------


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
TOOL_NAMES = st.sampled_from(["put", "find", "get", "drop", "explode", "", "nope"]) | st.text(max_size=6)
ARGUMENTS = (st.dictionaries(st.sampled_from(["key", "value", "query", "id", "x"]), JSON_VALUES, max_size=3)
             | JSON_VALUES | st.text(max_size=20))
CALLS = st.builds(ToolCall, TOOL_NAMES, ARGUMENTS, st.none() | st.text(max_size=4), st.none() | st.text(max_size=10))
RESPONSES = st.builds(ChatResponse, content=st.text(max_size=40), tool_calls=st.lists(CALLS, max_size=3),
                      finish_reason=st.sampled_from([None, "stop", "tool_calls", "length"]))
EVERYTHING = {
    "calls": [{"id": "lookup", "name": "find", "args": {"query": {"regex": "^a"}}}, {"id": "fetch", "name": "get", "args": {"id": "item-5"}},
              {"id": "store", "name": "put", "args": {"key": {"any_of": [{"eq": "new"}, {"type": "number"}]}, "value": {"optional": True, "contains": "v"}}}],
    "order": [["lookup", "fetch"], ["store", "answer"]],
    "forbidden": [{"name": "drop", "args": {"key": {"not": "zzz"}}}, {"id": "boom", "name": "explode"}],
    "max_calls": 4,
    "max_calls_per_tool": {"find": 1},
    "state": [{"name": "new", "path": "kv.new", "matcher": {"regex": "v"}}, {"name": "deep", "path": "kv[\"old\"].x[0]"}],
    "answer": [{"name": "id", "contains": "item-5"}, {"name": "json", "json_path": "a.b"}, {"name": "n", "final_number": 5}],
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(turns=st.lists(RESPONSES, min_size=1, max_size=5), state=st.dictionaries(st.sampled_from(["kv", "other"]), JSON_VALUES, max_size=2))
def test_no_transcript_makes_it_raise(pack_dir: Path, turns: list[ChatResponse], state: dict[str, Any]) -> None:
    VERIFIER.validate(EVERYTHING)
    verdict = VERIFIER.verify(VERIFIER.parse_params(EVERYTHING), turns[-1], make_ctx(pack_dir, turns, state=state))
    assert isinstance(verdict, Verdict) and 0.0 <= verdict.score <= 1.0
    assert verdict.passed == all(c.ok for c in verdict.checks)
    assert verdict.failure_mode in (None, FailureMode.WRONG_ANSWER, FailureMode.VERIFIER_FAIL)
    assert [c.name for c in verdict.checks][0] == "final_answer"
