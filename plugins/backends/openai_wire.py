"""The OpenAI chat-completions wire format: request bodies, replies and SSE streams.

Shared by every backend that speaks it (openai, llamacpp, vllm, local, runpod's
OpenAI route). Pure functions: no I/O here.
"""

from __future__ import annotations

import json
from typing import Any

from benchlab.errors import TransportError
from benchlab.model import ChatRequest, ChatResponse, FailureMode, Usage
from benchlab.reasoning import split_think
from benchlab.recorded import parse_tool_calls


def request_body(request: ChatRequest, model: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": request.messages}
    if model:
        body["model"] = model
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    body.update(request.sampling)
    if request.tools:
        body["tools"] = request.tools
    if request.response_format:
        body["response_format"] = request.response_format
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def merge_extra_body(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``--extra-body`` goes in last and wins; objects present on both sides are merged."""
    merged = dict(body)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(raw.get("prompt_tokens"), raw.get("completion_tokens"), raw.get("total_tokens"))


def _answer_and_reasoning(content: str | None, reasoning: str | None) -> tuple[str, str | None]:
    answer, inline = split_think(content or "")
    parts = [p.strip() for p in (reasoning, inline) if p and p.strip()]
    return answer, "\n\n".join(parts) if parts else None


def _tokens_per_s(body: dict[str, Any], usage: Usage | None, seconds: float | None) -> float | None:
    timings = body.get("timings")
    if isinstance(timings, dict) and isinstance(timings.get("predicted_per_second"), (int, float)):
        return float(timings["predicted_per_second"])
    if usage and usage.completion_tokens and seconds:
        return usage.completion_tokens / seconds
    return None


def parse_completion(body: Any, *, status: int, total_s: float) -> ChatResponse:
    """A complete (non-streamed) chat.completion object."""
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise TransportError(
            FailureMode.SERVER_ERROR, "the reply has no choices[0]: not a chat completion", raw=body, status_code=status
        )
    choice = choices[0]
    message = choice.get("message") or {}
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    answer, reasoning = _answer_and_reasoning(message.get("content"), reasoning)
    usage = _usage(body.get("usage"))
    return ChatResponse(
        content=answer,
        reasoning=reasoning,
        tool_calls=parse_tool_calls(message.get("tool_calls")),
        finish_reason=choice.get("finish_reason"),
        usage=usage,
        total_s=total_s,
        tokens_per_s=_tokens_per_s(body, usage, total_s),
        status_code=status,
        raw=body,
    )


class StreamAccumulator:
    """Builds one ChatResponse from ``chat.completion.chunk`` events."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.timings: dict[str, Any] | None = None
        self.first_token_at: float | None = None
        self.events: list[str] = []
        self.done = False

    def feed_line(self, line: str, now: float) -> None:
        """One line of the SSE body."""
        if not line.startswith("data:"):
            return
        payload = line[5:].strip()
        self.events.append(payload)
        if payload == "[DONE]":
            self.done = True
            return
        # Retryable, as for a 200 body that is garbage or an error object: a worker
        # or proxy glitch may well pass next time.
        try:
            chunk = json.loads(payload)
        except (ValueError, RecursionError):
            raise TransportError(
                FailureMode.SERVER_ERROR, f"a stream event is not JSON: {payload[:120]!r}", retryable=True, raw=payload
            ) from None
        if isinstance(chunk, dict) and chunk.get("error"):
            raise TransportError(
                FailureMode.SERVER_ERROR, f"the stream carried an error: {str(chunk['error'])[:200]}", retryable=True, raw=chunk
            )
        self.feed_chunk(chunk, now)

    def feed_chunk(self, chunk: dict[str, Any], now: float) -> None:
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        if isinstance(chunk.get("timings"), dict):
            self.timings = chunk["timings"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            got = False
            if delta.get("content"):
                self.content.append(delta["content"])
                got = True
            thought = delta.get("reasoning_content") or delta.get("reasoning")
            if thought:
                self.reasoning.append(thought)
                got = True
            for call in delta.get("tool_calls") or []:
                slot = self.calls.setdefault(call.get("index", len(self.calls)), {"function": {"name": "", "arguments": ""}})
                if call.get("id"):
                    slot["id"] = call["id"]
                function = call.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
                got = True
            if got and self.first_token_at is None:
                self.first_token_at = now
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def response(self, *, status: int, now: float) -> ChatResponse:
        if not self.done and self.finish_reason is None:
            raise TransportError(
                FailureMode.HTTP_ERROR,
                "the stream ended before the server said it was finished (no finish_reason, no [DONE])",
                retryable=True,
                raw="\n".join(self.events),
                status_code=status,
            )
        answer, reasoning = _answer_and_reasoning("".join(self.content), "".join(self.reasoning) or None)
        total = now - self.started
        ttft = self.first_token_at - self.started if self.first_token_at is not None else None
        decode = total - ttft if ttft is not None and total > ttft else total
        body = {"timings": self.timings} if self.timings else {}
        return ChatResponse(
            content=answer,
            reasoning=reasoning,
            tool_calls=parse_tool_calls([self.calls[i] for i in sorted(self.calls)]),
            finish_reason=self.finish_reason,
            usage=self.usage,
            ttft_s=ttft,
            total_s=total,
            tokens_per_s=_tokens_per_s(body, self.usage, decode),
            status_code=status,
            raw="\n".join(self.events),
        )
