"""The ``agent_trace`` verifier's parameters (documented in
``benchlab.plugins.verifiers.tool_calls.agent_trace``): required and forbidden calls, their
order, call caps, final-state rules and rubric rules on the answer."""

from __future__ import annotations

import re
from typing import Any

import attrs

from benchlab.plugins.verifiers.instructions.rubric_predicates import RubricRule, parse_path, rule_list
from benchlab.plugins.verifiers.structured.matcher_validation import matcher_field, matcher_map_field
from benchlab.plugins.verifiers.tool_calls.tool_call import ExtraArgs
from benchlab.verifier_params import ParamError
from benchlab.param_checks import non_negative, not_blank

ANSWER = "answer"
_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")


def _call_id(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is None:
        return
    if not _ID.match(value):
        raise ParamError(attribute.name, "letters, digits, '_', '.', ':' and '-'")
    if value == ANSWER:
        raise ParamError(attribute.name, f"{ANSWER!r} is reserved for the final answer in 'order'")


@attrs.frozen
class ForbiddenCall:
    """A call that must not be made: to ``name``, with arguments matching every ``args`` matcher."""

    name: str = attrs.field(validator=not_blank)
    id: str | None = attrs.field(default=None, validator=_call_id)
    args: dict[str, Any] = attrs.field(factory=dict, validator=matcher_map_field)

    @property
    def key(self) -> str:
        """What checks and ``order`` call it: ``id``, else the function's name."""
        return self.id or self.name

    def __attrs_post_init__(self) -> None:
        if self.id is None and self.name == ANSWER:
            raise ParamError("id", f"{ANSWER!r} is reserved for the final answer in 'order'")


@attrs.frozen
class TraceCall(ForbiddenCall):
    """A required call; ``extra_args`` None: the scenario's policy."""

    extra_args: ExtraArgs | None = None


def _pairs(_: Any, attribute: attrs.Attribute, pairs: list[list[str]]) -> None:
    for index, pair in enumerate(pairs):
        if len(pair) != 2:
            raise ParamError(f"{attribute.name}[{index}]", "a pair [A, B] of call ids: A happens before B")


def _caps(_: Any, attribute: attrs.Attribute, caps: dict[str, int]) -> None:
    for name, cap in caps.items():
        if cap < 0:
            raise ParamError(f"{attribute.name}.{name}", "a whole number >= 0")


def _answer_rules(instance: Any, attribute: attrs.Attribute, rules: list[RubricRule] | None) -> None:
    if rules is not None:
        rule_list(instance, attribute, rules)


def _state_path(_: Any, attribute: attrs.Attribute, path: str) -> None:
    if parse_path(path) is None:
        raise ParamError(attribute.name, "a path such as cron.jobs[0].schedule or files[\"a.md\"]")


@attrs.frozen
class StateRule:
    """The value at ``path`` of the state the calls leave matches ``matcher``."""

    name: str = attrs.field(validator=not_blank)
    path: str = attrs.field(validator=_state_path)
    matcher: Any = attrs.field(factory=lambda: {"present": True}, validator=matcher_field)


@attrs.frozen
class AgentTraceParams:
    calls: list[TraceCall] = attrs.field(factory=list)
    order: list[list[str]] = attrs.field(factory=list, validator=_pairs)
    forbidden: list[ForbiddenCall] = attrs.field(factory=list)
    max_calls: int | None = attrs.field(default=None, validator=non_negative)
    max_calls_per_tool: dict[str, int] = attrs.field(factory=dict, validator=_caps)
    state: list[StateRule] = attrs.field(factory=list)
    answer: list[RubricRule] | None = attrs.field(default=None, validator=_answer_rules)
    extra_args: ExtraArgs = "schema"

    def __attrs_post_init__(self) -> None:
        if not (self.calls or self.forbidden or self.max_calls is not None or self.max_calls_per_tool or self.state or self.answer):
            raise ParamError("calls", "an agent_trace verifier needs at least one expectation "
                             "(calls, forbidden, max_calls, max_calls_per_tool, state or answer)")
        ids = _distinct_keys(self.calls, "calls")
        _distinct_keys(self.forbidden, "forbidden")
        for index, (first, then) in enumerate(self.order):
            where = f"order[{index}]"
            if first not in ids:
                raise ParamError(f"{where}[0]", f"{first!r} is not the id of an expected call (ids: {', '.join(ids) or 'none'})")
            if then not in ids and then != ANSWER:
                raise ParamError(f"{where}[1]", f"{then!r} is neither an expected call's id nor {ANSWER!r}")
            if first == then:
                raise ParamError(where, "a call cannot come before itself")
        if self.max_calls is not None and self.max_calls < len(ids):
            raise ParamError("max_calls", f"{self.max_calls} is fewer than the {len(ids)} required calls")
        names: set[str] = set()
        for index, rule in enumerate(self.state):
            if rule.name in names:
                raise ParamError(f"state[{index}].name", f"two state rules are named {rule.name!r}")
            names.add(rule.name)


def _distinct_keys(specs: list[ForbiddenCall], field: str) -> list[str]:
    keys: list[str] = []
    for index, spec in enumerate(specs):
        if spec.key in keys:
            raise ParamError(f"{field}[{index}].id", f"two entries are named {spec.key!r}: give them distinct 'id's")
        keys.append(spec.key)
    return keys
