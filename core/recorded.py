"""Recorded responses: the JSONL line format shared by the replay backend and pack proofs.

``{"scenario": "PACK/ID", "content": "...", "tool_calls": [...], "reasoning": "...",
"finish_reason": "..."}``; tool calls in OpenAI format, arguments as a JSON string
or an object.
"""

from __future__ import annotations

import json
from typing import Any

from benchlab.model import ChatResponse, ToolCall
from benchlab.reasoning import split_think

FIELDS = ("scenario", "content", "tool_calls", "reasoning", "finish_reason")


def decode_arguments(arguments: Any) -> Any:
    """Arguments as an object when they are JSON; the raw text otherwise."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError):
            # JSONDecodeError, and also a number past int's digit limit or nesting past the
            # recursion limit: the model's fault, judged as invalid JSON, never a crash.
            return arguments
    return arguments if arguments is not None else {}


def parse_tool_calls(raw_calls: Any) -> list[ToolCall]:
    """OpenAI-format ``tool_calls`` as ToolCall objects; malformed entries are skipped."""
    calls: list[ToolCall] = []
    for raw in raw_calls or []:
        if not isinstance(raw, dict):
            continue
        function = raw.get("function") or {}
        if not isinstance(function, dict):
            continue
        arguments_raw = function.get("arguments")
        calls.append(
            ToolCall(
                name=str(function.get("name") or ""),
                arguments=decode_arguments(arguments_raw),
                id=raw.get("id"),
                arguments_raw=arguments_raw if isinstance(arguments_raw, str) else None,
            )
        )
    return calls


def response_from_record(data: dict[str, Any]) -> ChatResponse:
    """A recorded line as the response a server would have given."""
    answer, inline = split_think(data.get("content") or "")
    calls = parse_tool_calls(data.get("tool_calls"))
    finish = data.get("finish_reason") or ("tool_calls" if calls else "stop")
    return ChatResponse(
        content=answer,
        reasoning=data.get("reasoning") or inline,
        tool_calls=calls,
        finish_reason=finish,
        total_s=0.0,
        raw=data,
    )
