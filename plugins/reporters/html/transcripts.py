"""One result's whole transcript as the data a page embeds (rendered in the browser as text).

Turn by turn: the messages that turn added, the request's settings, the response's content,
reasoning, tool calls, finish reason, status and raw body; then every check with its detail,
the failed transport attempts and what the verifier kept (a sandbox's stdout and stderr).
Strings go in exactly as recorded: the page sets them as ``textContent``, never as markup.

The transcript is built from a result's saved form (its journal line, as parsed), not from a
structured ``ScenarioResult``: a 10,000-result page spent more time structuring each line into
objects than encoding what it shows. A result given as an object is unstructured first.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from benchlab.codec import unstructure
from benchlab.model import DEFAULT_VARIANT, FailureMode, ResultKey, ResultSummary, ScenarioResult

# Non-text values shown as JSON text: json.dumps(value, ensure_ascii=False), without building an
# encoder per call (every turn's settings are one: 10,000 encoders for a 10,000-result page).
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def verdict_of(result: ResultSummary | ScenarioResult) -> str:
    """``pass``, ``fail`` (the model's), ``infra`` (never the model's) or ``not scored``."""
    return _verdict(result.passed, result.failure_mode)


def _verdict(passed: bool, mode: FailureMode | None) -> str:
    if passed:
        return "pass"
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


def _call(call: Mapping[str, Any]) -> dict[str, Any]:
    """A saved ``ToolCall``: its arguments as the model sent them, else as parsed."""
    raw = call.get("arguments_raw")
    arguments = raw if raw is not None else _json_text(call.get("arguments"))
    return {"name": call["name"], "arguments": arguments}


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
    return value if isinstance(value, str) else _json_text(value)


def _request(request: Mapping[str, Any], new_messages: list[dict[str, Any]], first: bool) -> dict[str, Any]:
    """A saved ``ChatRequest`` (absent fields take the class's defaults, as structuring gave them)."""
    settings = {"max_tokens": request.get("max_tokens"), "thinking": request.get("thinking"), "sampling": request.get("sampling", {})}
    shown: dict[str, Any] = {"messages": [_message(m) for m in new_messages], "settings": _json_text(settings)}
    tools = request.get("tools")
    if first and tools:
        shown["tools"] = [str((t.get("function") or {}).get("name", "?")) for t in tools if isinstance(t, dict)]
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


def _response(response: Mapping[str, Any]) -> dict[str, Any]:
    """A saved ``ChatResponse`` (absent fields take the class's defaults)."""
    content, reasoning, raw = response.get("content", ""), response.get("reasoning"), response.get("raw")
    shown = {
        "content": content or "",
        "reasoning": reasoning,
        "tool_calls": [_call(c) for c in response.get("tool_calls") or []],
        "finish_reason": response.get("finish_reason"),
        "status_code": response.get("status_code"),
        "raw": raw,  # as received (JSON); the page shows it indented
    }
    texts = {text: name for name, text in (("reasoning", reasoning), ("content", content))
             if text and len(text) >= _WORTH_A_REFERENCE}
    if texts and isinstance(raw, (dict, list)):
        try:
            shown["raw"], shown["raw_refs"] = _with_references(raw, texts), True
        except _HasMarker:
            pass
    return shown


def _turns(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    # A summary (its exchange could not be read back) has none of these: the verdict and checks only.
    pairs = [(t.get("request"), t.get("response")) for t in result.get("turns") or []]
    if not pairs and result.get("request") is not None:
        pairs = [(result["request"], result.get("response"))]
    turns: list[dict[str, Any]] = []
    seen = 0
    for number, (request, response) in enumerate(pairs):
        turn: dict[str, Any] = {}
        if request is not None:
            # A later turn's request repeats the conversation: show only what it adds (tool
            # results, the next user message), not the previous answer the model already gave.
            messages = request["messages"]
            new = messages if number == 0 else messages[seen + 1:] if len(messages) > seen + 1 else messages[-1:]
            seen = len(messages)
            turn["request"] = _request(request, new, number == 0)
        turn["response"] = None if response is None else _response(response)
        turns.append(turn)
    return turns


def _artifacts(artifacts: dict[str, Any]) -> list[dict[str, Any]]:
    shown = []
    for name, value in artifacts.items():
        text = value if isinstance(value, str) else _json_text(value)
        shown.append({"name": str(name), "text": text, "block": isinstance(value, str) and ("\n" in value or name in ("stdout", "stderr", "command"))})
    return shown


def transcript(result: ResultSummary | ScenarioResult | dict[str, Any]) -> dict[str, Any]:
    """Everything behind one verdict, as plain JSON data: from a result's saved form (a journal
    line as ``JournalReader.line`` gives it), or from a result or summary object."""
    data = result if isinstance(result, dict) else unstructure(result)
    mode = data.get("failure_mode")
    key = ResultKey(data["pack"], data["scenario_id"], data.get("prompt_variant", DEFAULT_VARIANT), data.get("thinking", "off"),
                    data.get("repeat", 0))
    return {
        "title": f"{key.pack}/{key.scenario_id}",
        "label": key_label(key),
        "verdict": _verdict(data["passed"], None if mode is None else FailureMode(mode)),
        "mode": mode,
        "detail": data.get("detail") or "",
        "latency_s": data.get("latency_s"),
        "timeout_s": data.get("timeout_s"),
        "started_at": data.get("started_at", ""),
        "attempts": [{"number": a["number"], "mode": a["failure_mode"], "detail": a["detail"], "elapsed_s": a["elapsed_s"],
                      "status_code": a.get("status_code")} for a in data.get("attempts") or []],
        "turns": _turns(data),
        "checks": [{"name": c["name"], "ok": c["ok"], "detail": c.get("detail", "")} for c in data.get("checks") or []],
        "artifacts": _artifacts(data.get("artifacts") or {}),
    }
