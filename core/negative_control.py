"""``benchlab run --negative-control``: feed junk to every verifier; any pass is a defect.

Junk kinds per scenario: an empty answer, the prompt echoed back, a generic
refusal, plausible but wrong JSON, a plausible but wrong tool call (scenarios
with tools), and the gold answer of another scenario of the same pack (from its
proofs, unless pack.toml declares the pair ``equivalent``). No backend, no
server, no request: only verifiers (and, for code packs, their sandbox) run.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

from benchlab.model import ChatResponse, FailureMode, Pack, Scenario, ScenarioResult, ToolCall, Verdict
from benchlab.pack_loader import verifier_instance
from benchlab.plugin_manager import Plugins
from benchlab.proofs import PROOFS, read_proofs
from benchlab.recorded import response_from_record
from benchlab.verifiers import VerifyContext

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


def _wrong_tool_call(scenario: Scenario) -> ToolCall | None:
    tools = scenario.tools or []
    if not tools:
        return None
    function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
    params = (function.get("parameters") or {}).get("properties") or {}
    arguments = {name: _placeholder(spec) for name, spec in params.items()}
    return ToolCall(name=str(function.get("name", "tool")), arguments=arguments, id="junk", arguments_raw=json.dumps(arguments))


def junk_for(pack: Pack, scenario: Scenario, golds: dict[str, dict[str, Any]]) -> list[tuple[str, ChatResponse]]:
    junk = [
        ("empty", ChatResponse(content="", finish_reason="stop")),
        ("echo", ChatResponse(content=_last_user_text(scenario), finish_reason="stop")),
        ("refusal", ChatResponse(content=REFUSAL, finish_reason="stop")),
        ("plausible_json", ChatResponse(content=PLAUSIBLE_JSON, finish_reason="stop")),
    ]
    call = _wrong_tool_call(scenario)
    if call is not None:
        junk.append(("wrong_tool_call", ChatResponse(content="", tool_calls=[call], finish_reason="tool_calls")))
    equivalent = {frozenset(pair) for pair in pack.manifest.equivalent}
    others = [sid for sid in golds if sid != scenario.id and frozenset((sid, scenario.id)) not in equivalent]
    if pack.needs_sandbox:
        # Executing every other gold answer is quadratic in sandbox runs: one is enough there.
        ids = [s.id for s in pack.scenarios]
        after = ids[ids.index(scenario.id) + 1:] + ids[: ids.index(scenario.id)]
        others = [sid for sid in after if sid in others][:1]
    junk.extend((f"other_gold:{sid}", response_from_record(golds[sid])) for sid in others)
    return junk


def _golds(pack: Pack) -> dict[str, dict[str, Any]]:
    if pack.path is None or not (pack.path / PROOFS).is_file():
        return {}
    golds: dict[str, dict[str, Any]] = {}
    for case in read_proofs(pack):
        if case.kind == "gold" and case.scenario not in golds:
            golds[case.scenario] = case.record
    return golds


async def _judge(plugins: Plugins, pack: Pack, scenario: Scenario, response: ChatResponse, sandbox: Any) -> Verdict:
    verifier = verifier_instance(plugins.verifiers, scenario.verifier.kind)
    ctx = VerifyContext(scenario=scenario, pack=pack, sandbox=sandbox)
    try:
        verdict = verifier.verify(scenario.verifier.params, response, ctx)
        if inspect.isawaitable(verdict):
            verdict = await verdict
    except Exception as exc:
        return Verdict.fail(FailureMode.VERIFIER_FAIL, f"verifier crashed on junk: {exc!r}")
    return verdict


async def negative_control(packs: list[Pack], scenario_ids: dict[str, set[str]] | None, plugins: Plugins, sandbox: Any = None) -> list[ScenarioResult]:
    """One result per (scenario, junk kind); ``passed`` must be False everywhere."""
    results: list[ScenarioResult] = []
    for pack in packs:
        golds = _golds(pack)
        for scenario in pack.scenarios:
            if scenario_ids and scenario.id not in scenario_ids.get(pack.id, {scenario.id}):
                continue
            for kind, response in junk_for(pack, scenario, golds):
                verdict = await _judge(plugins, pack, scenario, response, sandbox)
                results.append(
                    ScenarioResult(
                        pack=pack.id,
                        scenario_id=scenario.id,
                        passed=verdict.passed,
                        score=verdict.score,
                        failure_mode=verdict.failure_mode,
                        detail=verdict.detail,
                        latency_s=None,
                        checks=verdict.checks,
                        artifacts=verdict.artifacts,
                        response=response,
                        variant=kind,
                    )
                )
    return results


def run_negative_control(packs: list[Pack], scenario_ids: dict[str, set[str]] | None, plugins: Plugins, sandbox: Any = None) -> list[ScenarioResult]:
    return asyncio.run(negative_control(packs, scenario_ids, plugins, sandbox))
