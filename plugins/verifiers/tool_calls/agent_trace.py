"""Verifier ``agent_trace``: judges a whole agent transcript (every model turn) and its final answer.

Params::

    {"kind": "agent_trace",
     "calls": [{"id": "find", "name": "web_search", "args": {"query": {"regex": "lakeside", "flags": "i"}}},
               {"id": "read", "name": "fetch_page", "args": {"url": "https://lakesidefair.example/news/2024-recap-7f3a"}}],
     "order": [["find", "read"], ["read", "answer"]],
     "forbidden": [{"name": "delete_file"}],
     "max_calls": 6,
     "max_calls_per_tool": {"fetch_page": 2},
     "state": [{"name": "saved", "path": "memory.fair_peak", "matcher": {"regex": "18,?430"}}],
     "answer": [{"name": "peak", "regex": "18[,.\\u202f ]?430"}],
     "extra_args": "schema"}

The transcript is every response of ``ctx.turns`` (the driver's turns, in order) ending with
the final response; the calls are the tool calls of every turn, in the order they were made
(the ``tool_loop`` driver runs a turn's calls in that order). When ``ctx.turns`` is empty
(a single recorded answer) the final response is the whole transcript.

``calls``: required calls. ``name`` is the function; ``args`` maps an argument to a value
matcher (``benchlab.plugins.verifiers.structured.value_matchers``; a bare value means ``eq``); ``extra_args``
(per call or for all, default ``"schema"``) is ``allow``, ``forbid`` or ``schema`` as in
``tool_call``. ``id`` (default: the name) names the checks and the ``order`` entries. Each
expectation needs its own call (two expectations are never met by one call); any number of
other calls is fine unless ``max_calls`` says otherwise. "This argument was derived from an
earlier tool result" is written as a matcher on the value the deterministic fake tool
returns (an order id, a url, a job id that only the earlier result reveals).

``order``: pairs ``[A, B]`` of expectation ids: the first call meeting A comes before the
first call meeting B. ``B`` may be ``"answer"``: A was made in a turn before the final one
(a call in the final turn itself was never run).

``forbidden``: ``{"name": F, "args": {...}, "id": ...}``: no call to F whose arguments match
every listed matcher (no ``args``: no call to F at all).

``max_calls`` caps the calls of the whole transcript (``0``: answer without tools);
``max_calls_per_tool`` caps the calls to each named function.

``state``: the calls of every turn but the final one are run again through the pack's own
tools (``tools.py``, as the ``tool_loop`` driver runs them, from ``extra.state``), and the
value at ``path`` (``cron.jobs[0].schedule``, ``files["notes/a.md"]``) of the final state
must match ``matcher`` (default: present). This judges the effect (the file as last
written, the jobs left after removals) whatever route the model took to it.

``answer``: rules of the ``rubric`` verifier on the final answer (reasoning removed).

Checks: ``final_answer`` (the transcript ends with a non-empty answer and no pending tool
call), ``calls.ID`` (a call to the function was made), ``calls.ID.arguments.ARG``,
``calls.ID.arguments`` (not a JSON object), ``calls.ID.extra_arguments``, ``order.A->B``,
``forbidden.ID``, ``max_calls``, ``max_calls.NAME``, ``state.NAME``, ``answer.NAME``.
Failure mode: ``wrong_answer``; ``verifier_fail`` when the pack's tools could not replay
the calls (a pack defect, not the model's). Never raises on model output.
"""

from __future__ import annotations

import copy
from typing import Any

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, ToolCall, Verdict
from benchlab.plugins.verifiers.instructions.rubric import RubricParams, RubricVerifier
from benchlab.plugins.verifiers.instructions.rubric_predicates import parse_path, value_at
from benchlab.plugins.verifiers.structured.value_matchers import MISSING, describe, match, max_matching, shown
from benchlab.plugins.verifiers.tool_calls.agent_trace_params import ANSWER, AgentTraceParams, ForbiddenCall, StateRule, TraceCall
from benchlab.verifiers import Verifier, VerifyContext, answer_text

_RUBRIC = RubricVerifier()


@attrs.frozen
class _Made:
    """One call of the transcript: which turn made it and where it stands overall."""

    call: ToolCall
    turn: int
    position: int


class AgentTraceVerifier(Verifier):
    """Declarative expectations over every tool call of a transcript, its final state and answer."""

    params = AgentTraceParams

    def verify(self, params: AgentTraceParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        turns = transcript(response, ctx)
        made = [_Made(call, t, 0) for t, r in enumerate(turns) for call in r.tool_calls if isinstance(call, ToolCall)]
        made = [attrs.evolve(m, position=n) for n, m in enumerate(made)]
        checks = [_final_check(response)]
        schemas = _tool_properties(ctx)
        expected = params.calls
        table = [[_pair(params, spec, m.call, schemas) for m in made] for spec in expected]
        assignment = _assign(table)
        first_full = {spec.key: next((j for j, p in enumerate(row) if p is not None and p[1]), None) for spec, row in zip(expected, table)}
        for index, spec in enumerate(expected):
            checks += _expected_checks(spec, made, assignment.get(index), table[index])
        for first, then in params.order:
            checks.append(_order_check(first, then, first_full, made, len(turns) - 1))
        for spec in params.forbidden:
            checks.append(_forbidden_check(spec, made))
        if params.max_calls is not None:
            checks.append(_count_check("max_calls", len(made), params.max_calls, "tool calls in all"))
        for name, cap in params.max_calls_per_tool.items():
            count = sum(_name(m.call) == name for m in made)
            checks.append(_count_check(f"max_calls.{name}", count, cap, f"calls to {name}"))
        replay_failed = False
        if params.state:
            state, problem = _replay(ctx, [m.call for m in made if m.turn < len(turns) - 1])
            replay_failed = problem is not None
            checks += [_state_check(rule, state, problem) for rule in params.state]
        if params.answer:
            rubric = _RUBRIC.verify(RubricParams(rules=params.answer), response, ctx)
            checks += [attrs.evolve(c, name=f"answer.{c.name}") for c in rubric.checks]
        return Verdict.from_checks(checks, FailureMode.VERIFIER_FAIL if replay_failed else FailureMode.WRONG_ANSWER)


def transcript(response: ChatResponse, ctx: VerifyContext) -> list[ChatResponse]:
    """Every model response of the scenario in order, ending with ``response``."""
    turns = [t.response for t in (getattr(ctx, "turns", None) or []) if getattr(t, "response", None) is not None]
    if not turns or turns[-1] is not response:
        turns.append(response)
    return turns


# --- judging calls ----------------------------------------------------------------------------


def _final_check(response: ChatResponse) -> Check:
    pending = [c for c in response.tool_calls if isinstance(c, ToolCall)]
    if pending:
        return Check("final_answer", False, f"the last turn still asks for {len(pending)} tool call(s): {_label(pending[0])}")
    if not answer_text(response):
        return Check("final_answer", False, "the final answer is empty")
    return Check("final_answer", True)


def _name(call: ToolCall) -> str:
    return call.name.strip() if isinstance(call.name, str) else ""


def _label(call: ToolCall) -> str:
    arguments = call.arguments if not isinstance(call.arguments, str) else call.arguments_raw or call.arguments
    return f"{_name(call) or '<no name>'}({shown(arguments, 50)})"


def _tool_properties(ctx: VerifyContext) -> dict[str, set[str]] | None:
    """Declared parameter names per function, from the scenario's tools (None when unknown)."""
    tools = getattr(getattr(ctx, "scenario", None), "tools", None)
    if not isinstance(tools, list) or not tools:
        return None
    found: dict[str, set[str]] = {}
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            parameters = function.get("parameters")
            properties = parameters.get("properties") if isinstance(parameters, dict) else None
            found[function["name"]] = set(properties) if isinstance(properties, dict) else set()
    return found


def _pair(params: AgentTraceParams, spec: TraceCall, call: ToolCall, schemas: dict[str, set[str]] | None) -> tuple[list[Check], bool] | None:
    """The argument checks of ``call`` against ``spec`` and whether all hold; None for another function."""
    if _name(call) != spec.name:
        return None
    if not isinstance(call.arguments, dict):
        problem = "not valid JSON" if isinstance(call.arguments, str) else f"a JSON {type(call.arguments).__name__}, not an object"
        return [Check("arguments", False, f"the arguments are {problem}")], False
    checks = []
    for key, matcher in spec.args.items():
        result = match(matcher, call.arguments.get(key, MISSING))
        checks.append(Check(f"arguments.{key}", result.ok, "" if result.ok else result.detail))
    checks.append(_extra_args_check(params, spec, call.arguments, schemas))
    return checks, all(c.ok for c in checks)


def _extra_args_check(params: AgentTraceParams, spec: TraceCall, arguments: dict[str, Any], schemas: dict[str, set[str]] | None) -> Check:
    policy = spec.extra_args or params.extra_args
    extra = [key for key in arguments if key not in spec.args]
    if policy == "schema":
        declared = schemas.get(spec.name) if schemas is not None else None
        extra = [key for key in extra if declared is not None and key not in declared]
    if policy == "allow" or not extra:
        return Check("extra_arguments", True)
    why = "not a parameter of the tool" if policy == "schema" else "not expected"
    return Check("extra_arguments", False, f"{', '.join(repr(k) for k in extra)}: {why}")


def _assign(table: list[list[tuple[list[Check], bool] | None]]) -> dict[int, int]:
    """Expectation -> call: as many full matches as possible, then the closest call of the same name."""
    assignment = max_matching([[p is not None and p[1] for p in row] for row in table])
    used = set(assignment.values())
    for index, row in enumerate(table):
        if index in assignment:
            continue
        candidates = [(sum(c.ok for c in p[0]), j) for j, p in enumerate(row) if p is not None and j not in used]
        if candidates:
            chosen = max(candidates, key=lambda c: (c[0], -c[1]))[1]
            assignment[index] = chosen
            used.add(chosen)
    return assignment


def _expected_checks(spec: TraceCall, made: list[_Made], chosen: int | None, row: list[tuple[list[Check], bool] | None]) -> list[Check]:
    label = f"calls.{spec.key}"
    if chosen is None:
        same = sum(p is not None for p in row)
        if same:
            why = f"the {same} call(s) to {spec.name} already meet other expectations"
        else:
            why = "calls made: " + (", ".join(dict.fromkeys(_name(m.call) or "<no name>" for m in made)) or "none")
        return [Check(label, False, f"expected a call to {_spec_label(spec)}; {why}")]
    pairing = row[chosen]
    assert pairing is not None
    same = sum(p is not None for p in row)
    checks = [Check(label, True, f"{spec.name}: call {chosen + 1} of {len(made)} (turn {made[chosen].turn + 1}); {same} call(s) to it")]
    checks += [attrs.evolve(c, name=f"{label}.{c.name}") for c in pairing[0]]
    return checks


def _spec_label(spec: TraceCall) -> str:
    args = ", ".join(f"{key}={describe(m)}" for key, m in spec.args.items())
    text = f"{spec.name}({args})"
    return text if len(text) <= 120 else text[:117] + "..."


def _order_check(first: str, then: str, first_full: dict[str, int | None], made: list[_Made], final_turn: int) -> Check:
    name = f"order.{first}->{then}"
    a = first_full.get(first)
    if a is None:
        return Check(name, False, f"no call met {first!r}, so it cannot come first")
    if then == ANSWER:
        if made[a].turn < final_turn:
            return Check(name, True)
        return Check(name, False, f"{first!r} was asked for in the final turn and never ran before the answer")
    b = first_full.get(then)
    if b is None:
        return Check(name, False, f"no call met {then!r}")
    if a < b:
        return Check(name, True)
    return Check(name, False, f"{then!r} (call {b + 1}) came before {first!r} (call {a + 1})")


def _forbidden_check(spec: ForbiddenCall, made: list[_Made]) -> Check:
    hits = [m for m in made if _name(m.call) == spec.name and _args_match(spec.args, m.call.arguments)]
    if not hits:
        return Check(f"forbidden.{spec.key}", True)
    shown_hits = ", ".join(f"{_label(m.call)} (call {m.position + 1})" for m in hits[:3])
    return Check(f"forbidden.{spec.key}", False, f"{len(hits)} forbidden call(s): {shown_hits}")


def _args_match(args: dict[str, Any], arguments: Any) -> bool:
    if not args:
        return True
    if not isinstance(arguments, dict):
        return False
    return all(match(matcher, arguments.get(key, MISSING)).ok for key, matcher in args.items())


def _count_check(name: str, count: int, cap: int, what: str) -> Check:
    ok = count <= cap
    return Check(name, ok, f"{count} {what}" + ("" if ok else f", at most {cap} allowed"))


# --- the final state --------------------------------------------------------------------------


def _replay(ctx: VerifyContext, calls: list[ToolCall]) -> tuple[Any, str | None]:
    """The state after running ``calls`` through the pack's tools, or a problem that prevented it."""
    from benchlab.plugins.drivers.tool_loop import load_tools, run_tool

    scenario, pack = getattr(ctx, "scenario", None), getattr(ctx, "pack", None)
    try:
        tools = load_tools(pack, scenario)
        state: dict[str, Any] = copy.deepcopy(scenario.extra.get("state", {}))
    except Exception as exc:  # a missing or broken tools module is the pack's defect
        return None, f"the pack's tools could not be loaded: {exc}"
    for number, call in enumerate(calls, start=1):
        try:
            run_tool(tools, call, state)
        except Exception as exc:  # a tool that crashes instead of raising ValueError is the pack's defect
            return None, f"replaying call {number} ({_label(call)}) crashed the pack's tool: {exc!r}"
    return state, None


def _state_check(rule: StateRule, state: Any, problem: str | None) -> Check:
    name = f"state.{rule.name}"
    if problem is not None:
        return Check(name, False, problem)
    value = value_at(state, parse_path(rule.path) or [])
    result = match(rule.matcher, value)
    return Check(name, result.ok, f"{rule.path} = {shown(value)}" if result.ok else f"{rule.path}: {result.detail}")
