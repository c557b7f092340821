"""``benchlab run --negative-control``: feed junk to every verifier; any pass is a defect.

Junk kinds per scenario: an empty answer, the prompt echoed back, a generic
refusal, plausible but wrong JSON (the keys the verifier expects, wrong values), a plausible but wrong tool call (scenarios
with tools), and the gold answer of another scenario of the same pack (from its
proofs, unless pack.toml declares the pair ``equivalent``). Multi-turn scenarios
also get endless tool calls and their own gold actions followed by a junk final
answer. A verifier may add junk only it knows how to write (``extra_junk``) and name
junk kinds its task calls correct (``junk_that_is_correct``: e.g. any text where the task
is to decline to act); those are left out and counted, never silently passed. Junk is
played through the scenario's real driver and verifier from recorded turns: no
backend, no server, no request (code packs use their sandbox).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import attrs

from benchlab.model import FailureMode, Pack, Scenario, ScenarioResult
from benchlab.plugin_manager import Plugins
from benchlab.proofs import PROOFS, read_proofs
from benchlab.recorded_play import play_recorded
from benchlab.runner import WorkItem
from benchlab.verifiers import verifier_arguments

REFUSAL = "I'm sorry, but I can't help with that request."
PLAUSIBLE_JSON = '{"status": "ok", "result": "done", "answer": 0, "items": [], "data": {"value": null}}'


def _last_user_text(scenario: Scenario) -> str:
    for message in reversed(scenario.messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def _placeholder(schema: Any) -> Any:
    """A type-correct but meaningless value for a JSON-schema property."""
    if not isinstance(schema, dict):
        return "example"
    if schema.get("enum"):
        return schema["enum"][-1]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {k: _placeholder(v) for k, v in (schema.get("properties") or {}).items()}
    return "example"


def _wrong_tool_call(scenario: Scenario) -> dict[str, Any] | None:
    """A call to the scenario's first tool with type-correct placeholder arguments (OpenAI format)."""
    tools = scenario.tools or []
    if not tools:
        return None
    function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
    params = (function.get("parameters") or {}).get("properties") or {}
    arguments = {name: _placeholder(spec) for name, spec in params.items()}
    return {"id": "junk", "type": "function", "function": {"name": str(function.get("name", "tool")), "arguments": json.dumps(arguments)}}


def _wrong(value: Any) -> Any:
    """A value of the same shape as ``value`` that differs from it everywhere."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return "unknown" if value != "unknown" else "n/a"
    if isinstance(value, list):
        return [_wrong(item) for item in value]
    if isinstance(value, dict):
        return {key: _wrong(item) for key, item in value.items()}
    return "unknown"


def plausible_json(scenario: Scenario) -> str:
    """JSON with the keys the verifier expects and wrong values; a generic object when it
    declares no shape (from ``schema``/``response_format``, ``expected``, ``exact``, ``paths``)."""
    params = scenario.verifier.params
    fmt = scenario.response_format if isinstance(scenario.response_format, dict) else {}
    schema = params.get("schema") or (fmt.get("json_schema") or {}).get("schema")
    if isinstance(params.get("exact"), list):
        return json.dumps(_wrong(params["exact"]))
    shape = _placeholder(schema) if isinstance(schema, dict) and schema.get("type") == "object" else {}
    for source in ("expected", "exact"):
        if isinstance(params.get(source), dict):
            shape.update(_wrong(params[source]))
    paths = params.get("paths")
    for path, matcher in (paths.items() if isinstance(paths, dict) else ()):
        key = path[1:] if path.startswith("/") else path
        if key and not any(c in key for c in "./[") and not isinstance(matcher, dict):
            shape[key] = _wrong(matcher)
    return json.dumps(shape) if shape else PLAUSIBLE_JSON


Junk = tuple[str, list[dict[str, Any]], bool]  # (kind, recorded turns, repeat the last turn forever)


def _text(content: str) -> list[dict[str, Any]]:
    return [{"content": content}]


def junk_for(
    pack: Pack, scenario: Scenario, golds: dict[str, list[dict[str, Any]]], verifier: Any = None, *, multi_turn: bool = False
) -> list[Junk]:
    """Every junk answer for ``scenario``, as recorded turns played through its driver
    (``multi_turn``: a driver that lets the model answer several times), with the verifier's
    own junk (``Verifier.extra_junk``) when ``verifier`` is given."""
    junk: list[Junk] = [
        ("empty", _text(""), False),
        ("echo", _text(_last_user_text(scenario)), False),
        ("refusal", _text(REFUSAL), False),
        ("plausible_json", _text(plausible_json(scenario)), False),
    ]
    call = _wrong_tool_call(scenario)
    if call is not None:
        junk.append(("wrong_tool_call", [{"content": "", "tool_calls": [call]}], False))
    if multi_turn:
        # An agent that never stops calling tools must not pass either.
        junk.append(("endless_tool_calls", [{"content": "", "tool_calls": [call]}] if call else _text(""), True))
        own = golds.get(scenario.id, [])
        if len(own) > 1:
            # The right actions, then a junk final answer.
            for kind, (_, answer, _) in zip(("empty", "refusal", "plausible_json"), junk[0:1] + junk[2:4]):
                junk.append((f"gold_actions_then_{kind}", own[:-1] + answer, False))
    equivalent = {frozenset(pair) for pair in pack.manifest.equivalent}
    others = [sid for sid in golds if sid != scenario.id and frozenset((sid, scenario.id)) not in equivalent]
    if pack.needs_sandbox:
        # Executing every other gold answer is quadratic in sandbox runs: one is enough there.
        ids = [s.id for s in pack.scenarios]
        after = ids[ids.index(scenario.id) + 1:] + ids[: ids.index(scenario.id)]
        others = [sid for sid in after if sid in others][:1]
    junk.extend((f"other_gold:{sid}", golds[sid], False) for sid in others)
    if verifier is not None:
        junk.extend((kind, [answer], False) for kind, answer in verifier.extra_junk(verifier_arguments(verifier, scenario.verifier)))
    return junk


def is_correct_junk(kind: str, correct: tuple[str, ...]) -> bool:
    """Whether junk ``kind`` is among the kinds a verifier calls correct (``other_gold`` covers every ``other_gold:ID``)."""
    return kind in correct or kind.split(":", 1)[0] in correct


def _golds(pack: Pack) -> dict[str, list[dict[str, Any]]]:
    """Each scenario's first gold case, as recorded turns."""
    if pack.path is None or not (pack.path / PROOFS).is_file():
        return {}
    golds: dict[str, list[dict[str, Any]]] = {}
    for case in read_proofs(pack):
        if case.kind == "gold" and case.scenario not in golds:
            golds[case.scenario] = case.turns
    return golds


def defect(result: ScenarioResult) -> str | None:
    """Why a junk result is a defect: it passed, or it was never judged on its content.

    Junk is rejected only by a content failure (the verifier read the junk and found it
    wrong) or a runaway one (the agent never stopped). A verifier that crashed
    (``verifier_fail``), an infrastructure failure or a not-scored scenario proves nothing.
    """
    mode = result.failure_mode
    if result.passed:
        return "passed"
    if mode is None or mode is FailureMode.VERIFIER_FAIL or mode.category not in ("content", "runaway"):
        reason = mode.value if mode is not None else "failed without a failure mode"
        return f"not judged ({reason}: {result.detail})" if result.detail else f"not judged ({reason})"
    return None


async def negative_control(
    items: list[WorkItem], plugins: Plugins, sandbox: Any = None, left_out: list[tuple[str, str, str]] | None = None
) -> list[ScenarioResult]:
    """One result per (scenario, junk kind); ``passed`` must be False everywhere.

    Junk the scenario's verifier calls a correct answer (``Verifier.junk_that_is_correct``)
    is not fed; each such ``(pack, scenario, kind)`` is appended to ``left_out``.
    """
    from benchlab.pack_loader import verifier_instance

    plays = []
    golds: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for item in items:
        pack, scenario = item.pack, item.scenario
        if pack.id not in golds:
            golds[pack.id] = _golds(pack)
        driver = plugins.driver_for(scenario)
        verifier = verifier_instance(plugins.verifiers, scenario.verifier.kind)
        correct = tuple(verifier.junk_that_is_correct(verifier_arguments(verifier, scenario.verifier))) if hasattr(verifier, "junk_that_is_correct") else ()
        extra = verifier if hasattr(verifier, "extra_junk") else None
        for kind, turns, repeat_last in junk_for(pack, scenario, golds[pack.id], extra, multi_turn=getattr(driver, "multi_turn", False)):
            if is_correct_junk(kind, correct):
                if left_out is not None:
                    left_out.append((pack.id, scenario.id, kind))
                continue
            plays.append((kind, play_recorded(pack, scenario, turns, plugins, sandbox, repeat_last=repeat_last)))
    outcomes = await asyncio.gather(*(play for _, play in plays))
    return [attrs.evolve(result, junk_kind=kind) for (kind, _), (result, _) in zip(plays, outcomes)]


def run_negative_control(
    items: list[WorkItem], plugins: Plugins, sandbox: Any = None, left_out: list[tuple[str, str, str]] | None = None
) -> list[ScenarioResult]:
    return asyncio.run(negative_control(items, plugins, sandbox, left_out))
