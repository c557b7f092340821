"""Verifier ``tool_call``: did the model call the right functions with the right arguments?

Params::

    {"kind": "tool_call",
     "calls": [{"name": "get_weather",
                "args": {"city": {"eq": "Denver", "ignore_case": true},
                         "unit": "fahrenheit",
                         "date": {"absent": true}},
                "extra_args": "schema"}],
     "ordered": false, "extra_calls": false, "duplicates": false,
     "extra_args": "schema", "text": MATCHER}

``calls`` (required) lists the expected calls; every expected call must be matched by
a different actual call, and every actual call is judged. ``args`` maps an argument
name to a matcher (grammar in ``benchlab.plugins.verifiers.structured.value_matchers``; a bare value means
``eq``). A listed argument that is missing fails as ``missing_field`` unless its matcher
is ``absent`` or ``optional``.

``ordered`` (default false): the calls must come in the listed order (only when the
scenario says "first ... then"). ``extra_calls`` (default false): calls that match no
expected call are allowed. ``duplicates`` (default false): a repeat of an expected call
is allowed. ``extra_args`` (default ``"schema"``, per call or for all): arguments not
listed in ``args`` are ``"allow"``-ed, ``"forbid"``-den, or allowed only when the tool's
JSON schema in the scenario declares them (``"schema"``; invented parameter names fail).

``calls: []`` is a restraint scenario: the model must answer in text and call nothing;
``text`` (a matcher on the answer with reasoning removed, e.g. ``{"regex": "\\?"}``)
then says what the answer must hold; without it the answer must not be empty.

Checks: ``arguments_json`` (every call's arguments are a JSON object), ``calls[i].name``
(a call to the expected function exists), ``calls[i].arguments.KEY`` (one per matcher),
``calls[i].extra_arguments``, ``order`` (when ordered), ``extra_calls``, ``no_tool_call``
(restraint) and ``text``.

Failure mode: ``invalid_json`` when some call's arguments are not a JSON object;
otherwise ``wrong_answer`` when a function is missing or wrong, the order is wrong, an
extra call was made, an argument has the wrong value, or a restraint scenario got a
call; ``missing_field`` when the only problems are required arguments left out.

Matching: actual calls are paired with expected calls to maximise the calls that fully
match (a maximum bipartite matching, or, when ``ordered``, the longest in-order
alignment if it is as large); an expected call left unpaired is then compared with
the closest remaining call of the same name, so its argument checks say what differs.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, ToolCall, Verdict
from benchlab.plugins.verifiers.structured.matcher_validation import matcher_field, matcher_map_field
from benchlab.plugins.verifiers.structured.value_matchers import MISSING, describe, is_optional, match, max_matching, shown
from benchlab.verifier_params import NOT_GIVEN, ParamError, given
from benchlab.param_checks import not_blank
from benchlab.verifiers import Verifier, VerifyContext, answer_text

ExtraArgs = Literal["allow", "forbid", "schema"]


@attrs.frozen
class ExpectedCall:
    """One expected call: the function, its argument matchers, its own extra-arguments policy."""

    name: str = attrs.field(validator=not_blank)
    args: dict[str, Any] = attrs.field(factory=dict, validator=matcher_map_field)
    extra_args: ExtraArgs | None = None  # None: the scenario's


def _text_matcher(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if given(value):
        matcher_field(instance, attribute, value)


@attrs.frozen
class ToolCallParams:
    calls: list[ExpectedCall]
    ordered: bool = False
    extra_calls: bool = False
    duplicates: bool = False
    extra_args: ExtraArgs = "schema"
    text: Any = attrs.field(default=NOT_GIVEN, validator=_text_matcher)

    def __attrs_post_init__(self) -> None:
        if self.ordered and len(self.calls) < 2:
            raise ParamError("ordered", "order only means something with two or more expected calls")


@attrs.frozen
class _Pairing:
    """How one expected call fared against one actual call."""

    checks: list[Check]
    full: bool
    ok_count: int
    missing: frozenset[str]  # names of the argument checks that failed because the key is absent


class ToolCallVerifier(Verifier):
    """Judge ``response.tool_calls`` against expected calls and argument matchers."""

    params = ToolCallParams

    def verify(self, params: ToolCallParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        calls = [c for c in response.tool_calls if isinstance(c, ToolCall)]
        if not params.calls:
            return _restraint(params, response, calls)
        checks = [_json_check(calls)]
        expected = params.calls
        schemas = _tool_properties(ctx)
        table = [[_pair(params, spec, call, schemas) for call in calls] for spec in expected]
        assignment = _assign(table, params.ordered)
        missing: set[str] = set()
        for index, spec in enumerate(expected):
            checks += _expected_checks(index, spec, calls, assignment.get(index), table[index])
            pairing = table[index][assignment[index]] if index in assignment else None
            missing |= {f"calls[{index}].{name}" for name in (pairing.missing if pairing else ())}
        if params.ordered:
            checks.append(_order_check(assignment, expected))
        checks.append(_extra_check(params, calls, assignment, table))
        if given(params.text):
            checks.append(_text_check(params.text, response))
        return Verdict.from_checks(checks, _failure_mode(checks, missing))


def _restraint(params: ToolCallParams, response: ChatResponse, calls: list[ToolCall]) -> Verdict:
    if calls:
        listed = ", ".join(_call_label(c) for c in calls[:3]) + (" ..." if len(calls) > 3 else "")
        checks = [Check("no_tool_call", False, f"no call expected, got {len(calls)}: {listed}")]
    else:
        checks = [Check("no_tool_call", True)]
    checks.append(_text_check(params.text if given(params.text) else {"regex": r"\S"}, response))
    return Verdict.from_checks(checks, FailureMode.WRONG_ANSWER)


def _text_check(matcher: Any, response: ChatResponse) -> Check:
    text = answer_text(response)
    result = match(matcher, text)
    return Check("text", result.ok, "" if result.ok else f"the answer text: {result.detail}")


def _call_label(call: ToolCall) -> str:
    arguments = call.arguments if not isinstance(call.arguments, str) else call.arguments_raw or call.arguments
    return f"{call.name or '<no name>'}({shown(arguments, 50)})"


def _json_check(calls: list[ToolCall]) -> Check:
    bad = [f"{_call_label(c)}: {_json_problem(c)}" for c in calls if _json_problem(c)]
    if bad:
        more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
        return Check("arguments_json", False, "; ".join(bad[:5]) + more)
    return Check("arguments_json", True)


def _json_problem(call: ToolCall) -> str:
    if isinstance(call.arguments, str):
        return "arguments are not valid JSON"
    if not isinstance(call.arguments, dict):
        return f"arguments are a JSON {type(call.arguments).__name__}, not an object"
    return ""


def _tool_properties(ctx: VerifyContext) -> dict[str, set[str]] | None:
    """Declared parameter names per function, from the scenario's tools (None when unknown)."""
    tools = getattr(getattr(ctx, "scenario", None), "tools", None)
    if not tools:
        return None
    found: dict[str, set[str]] = {}
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            continue
        parameters = function.get("parameters") or {}
        properties = parameters.get("properties") if isinstance(parameters, dict) else None
        found[function["name"]] = set(properties) if isinstance(properties, dict) else set()
    return found


def _pair(params: ToolCallParams, spec: ExpectedCall, call: ToolCall, schemas: dict[str, set[str]] | None) -> _Pairing | None:
    """The argument checks of ``call`` against ``spec``; None when the names differ."""
    if (call.name or "").strip() != spec.name:
        return None
    args = spec.args
    problem = _json_problem(call)
    if problem:
        # Nothing inside unparsable arguments can be judged; one check says so.
        return _Pairing([Check("arguments", False, problem)], False, 0, frozenset())
    checks = []
    missing = set()
    for key, matcher in args.items():
        result = match(matcher, call.arguments.get(key, MISSING))
        checks.append(Check(f"arguments.{key}", result.ok, "" if result.ok else result.detail))
        if result.missing:
            missing.add(f"arguments.{key}")
    checks.append(_extra_args_check(params, spec, call.arguments, schemas))
    ok = sum(c.ok for c in checks)
    return _Pairing(checks, ok == len(checks), ok, frozenset(missing))


def _extra_args_check(params: ToolCallParams, spec: ExpectedCall, arguments: dict[str, Any], schemas: dict[str, set[str]] | None) -> Check:
    policy = spec.extra_args or params.extra_args
    listed = set(spec.args)
    extra = [key for key in arguments if key not in listed]
    if policy == "schema":
        declared = schemas.get(spec.name) if schemas is not None else None
        extra = [key for key in extra if declared is not None and key not in declared]
        why = "not a parameter of the tool"
    else:
        why = "not expected"
    if policy == "allow" or not extra:
        return Check("extra_arguments", True)
    return Check("extra_arguments", False, f"{', '.join(repr(k) for k in extra)}: {why}")


def _assign(table: list[list[_Pairing | None]], ordered: bool) -> dict[int, int]:
    """Expected index -> actual index, maximising full matches, then filling with closest calls."""
    full = [[p is not None and p.full for p in row] for row in table]
    assignment = max_matching(full)
    if ordered:
        aligned = _in_order(full)
        if len(aligned) >= len(assignment):
            assignment = aligned
    used = set(assignment.values())
    for index, row in enumerate(table):
        if index in assignment:
            continue
        previous = max((assignment[i] for i in assignment if i < index), default=-1)
        candidates = [(p.ok_count, j > previous, -j, j) for j, p in enumerate(row) if p is not None and j not in used]
        if candidates:
            chosen = max(candidates)[3]
            assignment[index] = chosen
            used.add(chosen)
    return assignment


def _in_order(full: list[list[bool]]) -> dict[int, int]:
    """The largest in-order pairing of expected to actual calls (a longest common subsequence)."""
    rows, cols = len(full), len(full[0]) if full else 0
    best = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + 1 if full[i][j] else 0)
    pairs: dict[int, int] = {}
    i = j = 0
    while i < rows and j < cols:
        if full[i][j] and best[i][j] == best[i + 1][j + 1] + 1:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _expected_checks(index: int, spec: ExpectedCall, calls: list[ToolCall], chosen: int | None, row: list[_Pairing | None]) -> list[Check]:
    label = f"calls[{index}]"
    if chosen is None:
        wanted = _spec_label(spec)
        if not calls:
            return [Check(f"{label}.name", False, f"expected {wanted}, got no tool call")]
        same_name = sum(p is not None for p in row)
        if same_name:
            why = f"the {same_name} call(s) to {spec.name} match other expected calls"
        else:
            why = "got calls to " + ", ".join(dict.fromkeys(c.name or "<no name>" for c in calls))
        return [Check(f"{label}.name", False, f"expected {wanted}; {why}")]
    pairing = row[chosen]
    assert pairing is not None
    checks = [Check(f"{label}.name", True, f"{spec.name} (call {chosen + 1} of {len(calls)})")]
    checks += [attrs.evolve(c, name=f"{label}.{c.name}") for c in pairing.checks]
    return checks


def _spec_label(spec: ExpectedCall) -> str:
    args = ", ".join(f"{key}={describe(m)}" for key, m in spec.args.items() if not is_optional(m))
    text = f"{spec.name}({args})"
    return text if len(text) <= 120 else text[:117] + "..."


def _order_check(assignment: dict[int, int], expected: list[ExpectedCall]) -> Check:
    positions = [assignment[i] for i in sorted(assignment)]
    if positions == sorted(positions):
        return Check("order", True)
    made = " then ".join(expected[i].name for i in sorted(assignment, key=assignment.__getitem__))
    wanted = " then ".join(expected[i].name for i in sorted(assignment))
    return Check("order", False, f"expected {wanted}, got {made}")


def _extra_check(params: ToolCallParams, calls: list[ToolCall], assignment: dict[int, int], table: list[list[_Pairing | None]]) -> Check:
    paired = set(assignment.values())
    problems = []
    for j, call in enumerate(calls):
        if j in paired:
            continue
        duplicate = any(row[j] is not None and row[j].full for row in table) or any(
            calls[k].name == call.name and calls[k].arguments == call.arguments for k in paired
        )
        if duplicate and params.duplicates:
            continue
        if not duplicate and params.extra_calls:
            continue
        problems.append(f"{_call_label(call)} {'repeats an expected call' if duplicate else 'was not asked for'}")
    if problems:
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        return Check("extra_calls", False, "; ".join(problems[:5]) + more)
    return Check("extra_calls", True)


def _failure_mode(checks: list[Check], missing: set[str]) -> FailureMode:
    failed = {c.name for c in checks if not c.ok}
    if "arguments_json" in failed:
        return FailureMode.INVALID_JSON
    if failed and failed <= missing:
        return FailureMode.MISSING_FIELD
    return FailureMode.WRONG_ANSWER
