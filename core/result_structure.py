"""Results read back from their saved form without cattrs' generic path.

``run.json`` holds one summary per result and the journal one line per result; cattrs' generic
structuring took as long as parsing the JSON, so the usual shapes are built directly here, and
anything unusual (a value cattrs would convert, or refuse) still goes through cattrs.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from benchlab.model import (
    _NO_ARTIFACTS,
    _NO_ATTEMPTS,
    DEFAULT_VARIANT,
    Attempt,
    ChatRequest,
    ChatResponse,
    Check,
    FailureMode,
    ResultSummary,
    ScenarioResult,
    ToolCall,
    Turn,
    Usage,
    _shared_check,
)


def _structure_summary(data: dict[str, Any], _: Any) -> ResultSummary:
    """``ResultSummary`` from its saved form, built directly: ``run.json`` holds one per result, and
    cattrs' generic path took most of the time ``inspect`` and ``diff`` spend reading a large run."""
    get = data.get
    mode = get("failure_mode")
    attempts = get("attempts")
    return ResultSummary(
        pack=data["pack"], scenario_id=data["scenario_id"],
        attempts=[Attempt(int(a["number"]), _MODES[a["failure_mode"]], str(a["detail"]), float(a["elapsed_s"]), a.get("status_code"))
                  for a in attempts] if attempts else _NO_ATTEMPTS,
        passed=bool(data["passed"]), score=float(data["score"]),
        failure_mode=_MODES[mode] if mode is not None else None, detail=get("detail") or "",
        latency_s=get("latency_s"), prompt_variant=get("prompt_variant") or DEFAULT_VARIANT, thinking=get("thinking") or "off",
        repeat=int(get("repeat") or 0),
        checks=[_shared_check(Check(str(c["name"]), bool(c["ok"]), str(c.get("detail") or ""))) for c in get("checks") or ()],
        ttft_s=get("ttft_s"), started_at=sys.intern(get("started_at") or ""), timeout_s=get("timeout_s"),
        junk_kind=get("junk_kind") or "", artifacts=get("artifacts") or _NO_ARTIFACTS, answered=bool(get("answered")),
        reasoned=bool(get("reasoned")), tokens=int(get("tokens") or 0), journal_offset=get("journal_offset"),
    )


_MODES = {m.value: m for m in FailureMode}


class _Unusual(Exception):
    """Saved data the direct structuring of a result leaves to cattrs (a value cattrs would convert)."""


# Exact types only: data of another type (which cattrs would convert, or refuse) goes to cattrs.
def _exactly(cls: type) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if v.__class__ is cls:
            return v
        raise _Unusual

    return check


_text, _whole, _flag, _items = _exactly(str), _exactly(int), _exactly(bool), _exactly(list)


def _number(v: Any) -> float:
    if v.__class__ is float:
        return v
    if v.__class__ is int:
        return float(v)
    raise _Unusual


def _mapping(v: Any) -> dict[str, Any]:
    if v.__class__ is dict:
        return dict(v)  # a copy, as cattrs makes
    raise _Unusual


def _maybe(convert: Callable[[Any], Any], v: Any) -> Any:
    return None if v is None else convert(v)


def _request(o: Any) -> ChatRequest:
    get = o.get
    return ChatRequest(
        scenario=_text(o["scenario"]), messages=[_mapping(m) for m in _items(o["messages"])], model=_maybe(_text, get("model")),
        tools=_maybe(lambda v: [_mapping(t) for t in _items(v)], get("tools")),
        response_format=_maybe(_mapping, get("response_format")), max_tokens=_maybe(_whole, get("max_tokens")),
        sampling=_mapping(o["sampling"]) if "sampling" in o else {}, stream=_flag(o["stream"]) if "stream" in o else False,
        extra_body=_mapping(o["extra_body"]) if "extra_body" in o else {}, thinking=_maybe(_flag, get("thinking")),
        reasoning_effort=_maybe(_text, get("reasoning_effort")),
        prompt_variant=_text(o["prompt_variant"]) if "prompt_variant" in o else DEFAULT_VARIANT,
    )


def _response(o: Any) -> ChatResponse:
    get = o.get
    usage = get("usage")
    return ChatResponse(
        content=_text(o["content"]) if "content" in o else "", reasoning=_maybe(_text, get("reasoning")),
        tool_calls=[ToolCall(_text(c["name"]), c["arguments"], _maybe(_text, c.get("id")), _maybe(_text, c.get("arguments_raw")))
                    for c in _items(o["tool_calls"])] if "tool_calls" in o else [],
        finish_reason=_maybe(_text, get("finish_reason")),
        usage=None if usage is None else Usage(_maybe(_whole, usage.get("prompt_tokens")), _maybe(_whole, usage.get("completion_tokens")),
                                               _maybe(_whole, usage.get("total_tokens"))),
        ttft_s=_maybe(_number, get("ttft_s")), total_s=_maybe(_number, get("total_s")), tokens_per_s=_maybe(_number, get("tokens_per_s")),
        status_code=_maybe(_whole, get("status_code")), raw=get("raw"),
    )


def _direct_result(o: Any) -> ScenarioResult:
    """A journaled result built without cattrs' generic path (which took as long as parsing the
    line): every value must already have its field's exact type, else ``_Unusual``."""
    get = o.get
    mode = o["failure_mode"]
    return ScenarioResult(
        pack=_text(o["pack"]), scenario_id=_text(o["scenario_id"]),
        attempts=[Attempt(_whole(a["number"]), _MODES[a["failure_mode"]], _text(a["detail"]), _number(a["elapsed_s"]),
                          _maybe(_whole, a.get("status_code"))) for a in _items(o["attempts"])] if "attempts" in o else [],
        passed=_flag(o["passed"]), score=_number(o["score"]), failure_mode=None if mode is None else _MODES[mode],
        detail=_text(o["detail"]), latency_s=_maybe(_number, o["latency_s"]),
        checks=[Check(_text(c["name"]), _flag(c["ok"]), _text(c["detail"]) if "detail" in c else "")
                for c in _items(o["checks"])] if "checks" in o else [],
        request=_maybe(_request, get("request")), response=_maybe(_response, get("response")),
        turns=[Turn(_maybe(_request, t["request"]), _maybe(_response, t["response"])) for t in _items(o["turns"])] if "turns" in o else [],
        ttft_s=_maybe(_number, get("ttft_s")), repeat=_whole(o["repeat"]) if "repeat" in o else 0,
        started_at=_text(o["started_at"]) if "started_at" in o else "", timeout_s=_maybe(_number, get("timeout_s")),
        junk_kind=_text(o["junk_kind"]) if "junk_kind" in o else "", artifacts=_mapping(o["artifacts"]) if "artifacts" in o else {},
        prompt_variant=_text(o["prompt_variant"]) if "prompt_variant" in o else DEFAULT_VARIANT,
        thinking=_text(o["thinking"]) if "thinking" in o else "off",
    )


def register_hooks() -> None:
    """Make the one converter structure summaries and journaled results by the direct paths above."""
    from benchlab.codec import converter

    converter.register_structure_hook(ResultSummary, _structure_summary)
    generic: list[Callable[[Any, Any], ScenarioResult]] = []  # cattrs' own, made on first need (40 ms every command paid)

    def structure_result(data: Any, _: Any) -> ScenarioResult:
        """A journal line read back (rescore, inspect --full, the reports) directly; anything
        unusual through cattrs, which converts it or says what is wrong."""
        try:
            return _direct_result(data)
        except Exception:
            if not generic:
                from cattrs.gen import make_dict_structure_fn

                generic.append(make_dict_structure_fn(ScenarioResult, converter))
            return generic[0](data, ScenarioResult)

    converter.register_structure_hook(ScenarioResult, structure_result)
