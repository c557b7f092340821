"""One result's whole transcript as the data a page embeds (rendered in the browser as text).

Turn by turn: the messages that turn added, the request's settings, the response's content,
reasoning, tool calls, finish reason, status and raw body; then every check with its detail,
the failed transport attempts and what the verifier kept (a sandbox's stdout and stderr).
Strings go in exactly as recorded: the page sets them as ``textContent``, never as markup.
"""

from __future__ import annotations

import json
from typing import Any

from benchlab.model import DEFAULT_VARIANT, ChatRequest, ChatResponse, ResultKey, ResultSummary, ScenarioResult, ToolCall


def verdict_of(result: ResultSummary | ScenarioResult) -> str:
    """``pass``, ``fail`` (the model's), ``infra`` (never the model's) or ``not scored``."""
    if result.passed:
        return "pass"
    mode = result.failure_mode
    if mode is not None and mode.is_infrastructure:
        return "infra"
    if mode is not None and not mode.is_scored:
        return "not scored"
    return "fail"


def key_label(key: ResultKey) -> str:
    """What tells apart results of one scenario: variant, thinking arm, repeat (only what differs from the default)."""
    parts = [f"variant {key.prompt_variant}"] if key.prompt_variant != DEFAULT_VARIANT else []
    parts += [f"thinking {key.thinking}"] if key.thinking != "off" else []
    parts += [f"repeat {key.repeat}"] if key.repeat else []
    return ", ".join(parts)


def key_text(key: ResultKey) -> str:
    """``pack/scenario``, then what tells this result apart, if anything."""
    label = key_label(key)
    return f"{key.pack}/{key.scenario_id}" + (f" ({label})" if label else "")


def _call(call: ToolCall) -> dict[str, Any]:
    arguments = call.arguments_raw if call.arguments_raw is not None else json.dumps(call.arguments, ensure_ascii=False)
    return {"name": call.name, "arguments": arguments}


def _message(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    calls = [{"name": str((c.get("function") or {}).get("name", "?")), "arguments": _text((c.get("function") or {}).get("arguments", ""))}
             for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    shown: dict[str, Any] = {"role": str(message.get("role", "?")), "content": _text(content)}
    if message.get("name"):
        shown["name"] = str(message["name"])
    if calls:
        shown["tool_calls"] = calls
    return shown


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _request(request: ChatRequest, new_messages: list[dict[str, Any]], first: bool) -> dict[str, Any]:
    settings = {"max_tokens": request.max_tokens, "thinking": request.thinking, "sampling": request.sampling}
    shown: dict[str, Any] = {"messages": [_message(m) for m in new_messages], "settings": json.dumps(settings, ensure_ascii=False)}
    if first and request.tools:
        shown["tools"] = [str((t.get("function") or {}).get("name", "?")) for t in request.tools if isinstance(t, dict)]
    return shown


# A raw body repeats the answer and the reasoning: a string of it equal to either is embedded as
# {SAME: "content"} and put back by the page, which halves a page's size and its writing time.
SAME = "benchlab:same-as"
_WORTH_A_REFERENCE = 64  # characters


class _HasMarker(Exception):
    pass


def _with_references(raw: Any, texts: dict[str, str]) -> Any:
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return {SAME: texts[value]} if value in texts else value
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            if SAME in value:  # a body that already holds the marker is kept as it came
                raise _HasMarker
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(raw)


def _response(response: ChatResponse) -> dict[str, Any]:
    shown = {
        "content": response.content or "",
        "reasoning": response.reasoning,
        "tool_calls": [_call(c) for c in response.tool_calls],
        "finish_reason": response.finish_reason,
        "status_code": response.status_code,
        "raw": response.raw,  # as received (JSON); the page shows it indented
    }
    texts = {text: name for name, text in (("reasoning", response.reasoning), ("content", response.content))
             if text and len(text) >= _WORTH_A_REFERENCE}
    if texts and isinstance(response.raw, (dict, list)):
        try:
            shown["raw"], shown["raw_refs"] = _with_references(response.raw, texts), True
        except _HasMarker:
            pass
    return shown


def _turns(result: ResultSummary | ScenarioResult) -> list[dict[str, Any]]:
    if not isinstance(result, ScenarioResult):
        return []  # a summary whose exchange could not be read back: the verdict and checks only
    pairs = [(t.request, t.response) for t in result.turns] or ([(result.request, result.response)] if result.request is not None else [])
    turns: list[dict[str, Any]] = []
    seen = 0
    for number, (request, response) in enumerate(pairs):
        turn: dict[str, Any] = {}
        if request is not None:
            # A later turn's request repeats the conversation: show only what it adds (tool
            # results, the next user message), not the previous answer the model already gave.
            messages = request.messages
            new = messages if number == 0 else messages[seen + 1:] if len(messages) > seen + 1 else messages[-1:]
            seen = len(messages)
            turn["request"] = _request(request, new, number == 0)
        turn["response"] = None if response is None else _response(response)
        turns.append(turn)
    return turns


def _artifacts(artifacts: dict[str, Any]) -> list[dict[str, Any]]:
    shown = []
    for name, value in artifacts.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        shown.append({"name": str(name), "text": text, "block": isinstance(value, str) and ("\n" in value or name in ("stdout", "stderr", "command"))})
    return shown


def transcript(result: ResultSummary | ScenarioResult) -> dict[str, Any]:
    """Everything behind one verdict, as plain JSON data."""
    return {
        "title": f"{result.pack}/{result.scenario_id}",
        "label": key_label(result.key),
        "verdict": verdict_of(result),
        "mode": result.failure_mode.value if result.failure_mode else None,
        "detail": result.detail or "",
        "latency_s": result.latency_s,
        "timeout_s": result.timeout_s,
        "started_at": result.started_at,
        "attempts": [{"number": a.number, "mode": a.failure_mode.value, "detail": a.detail, "elapsed_s": a.elapsed_s,
                      "status_code": a.status_code} for a in result.attempts],
        "turns": _turns(result),
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in result.checks],
        "artifacts": _artifacts(result.artifacts),
    }
