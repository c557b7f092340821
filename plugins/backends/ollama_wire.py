"""Ollama's native chat format: request bodies, NDJSON chunks, /api/show facts.

Pure functions, no I/O. Follows https://docs.ollama.com/api/chat and
https://github.com/ollama/ollama/blob/main/docs/api.md: ``options`` carry
sampling, ``think`` switches reasoning, tool call arguments are objects (not
strings), and a stream ends with a ``done: true`` chunk holding the counters.
"""

from __future__ import annotations

import json
from typing import Any

from benchlab.errors import TransportError
from benchlab.model import ChatRequest, ChatResponse, FailureMode, Usage
from benchlab.reasoning import split_think
from benchlab.recorded import decode_arguments, parse_tool_calls

# Canonical sampling names that Ollama's ``options`` take under the same name.
SAMPLING_OPTIONS = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty", "seed")
THINK_LEVELS = ("low", "medium", "high")


def with_latest_tag(name: str) -> str:
    """``llama3.2`` and ``llama3.2:latest`` are the same Ollama model."""
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


def _text_and_images(content: Any) -> tuple[str, list[str]]:
    if isinstance(content, str) or content is None:
        return content or "", []
    texts: list[str] = []
    images: list[str] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif part.get("type") == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            # Ollama takes bare base64, not data: URLs.
            images.append(url.split(",", 1)[1] if url.startswith("data:") and "," in url else url)
    return "\n".join(texts), images


def ollama_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-format messages in Ollama's format (object arguments, ``tool_name``)."""
    names_by_id: dict[str, str] = {}
    converted: list[dict[str, Any]] = []
    for message in messages:
        text, images = _text_and_images(message.get("content"))
        out: dict[str, Any] = {"role": message.get("role", "user"), "content": text}
        if images:
            out["images"] = images
        calls = []
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            if call.get("id"):
                names_by_id[call["id"]] = function.get("name", "")
            calls.append({"function": {"name": function.get("name", ""), "arguments": decode_arguments(function.get("arguments"))}})
        if calls:
            out["tool_calls"] = calls
        if out["role"] == "tool":
            name = message.get("name") or names_by_id.get(message.get("tool_call_id", ""))
            if name:
                out["tool_name"] = name
        if message.get("thinking"):
            out["thinking"] = message["thinking"]
        converted.append(out)
    return converted


def response_format_to_format(response_format: dict[str, Any] | None) -> Any:
    """OpenAI ``response_format`` as Ollama's ``format``: "json" or a JSON schema."""
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        return spec.get("schema") or response_format.get("schema") or "json"
    if kind == "json_object":
        return response_format.get("schema") or "json"
    return None


def think_value(request: ChatRequest) -> bool | str | None:
    """``think``: None leaves the model's default; a level when an effort was asked."""
    if request.thinking is False:
        return False
    effort = (request.reasoning_effort or "").lower()
    if effort in THINK_LEVELS:
        return effort
    return request.thinking


def chat_body(
    request: ChatRequest, model: str, *, stream: bool, keep_alive: str | None, num_ctx: int | None
) -> dict[str, Any]:
    """The /api/chat body for ``request``; ``extra_body`` is merged last."""
    options: dict[str, Any] = {k: request.sampling[k] for k in SAMPLING_OPTIONS if k in request.sampling}
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    if num_ctx:
        options["num_ctx"] = num_ctx
    body: dict[str, Any] = {"model": model, "messages": ollama_messages(request.messages), "stream": stream}
    if options:
        body["options"] = options
    think = think_value(request)
    if think is not None:
        body["think"] = think
    if request.tools:
        body["tools"] = request.tools
    fmt = response_format_to_format(request.response_format)
    if fmt is not None:
        body["format"] = fmt
    if keep_alive:
        body["keep_alive"] = keep_alive
    extra = dict(request.extra_body)
    if isinstance(extra.get("options"), dict):
        body["options"] = {**body.get("options", {}), **extra.pop("options")}
    body.update(extra)
    return body


def parse_parameters(text: str | None) -> dict[str, Any]:
    """/api/show ``parameters`` ("temperature 0.6\\nstop \\"<eot>\\"") as a dict."""
    found: dict[str, Any] = {}
    for line in (text or "").splitlines():
        key, _, raw = line.strip().partition(" ")
        raw = raw.strip()
        if not key or not raw:
            continue
        value: Any
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            value = raw
        if key == "stop":
            found.setdefault("stop", []).append(value)
        else:
            found[key] = value
    return found


def show_facts(show: dict[str, Any]) -> dict[str, Any]:
    """What /api/show says about sampling, context and capabilities."""
    params = parse_parameters(show.get("parameters"))
    info = show.get("model_info") or {}
    trained = next((v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int)), None)
    capabilities = [str(c) for c in show.get("capabilities") or []]
    return {
        "sampling_defaults": {k: v for k, v in params.items() if k != "num_ctx"},
        "num_ctx": params.get("num_ctx") if isinstance(params.get("num_ctx"), int) else None,
        "context_trained": trained,
        "capabilities": capabilities,
        "chat_template": show.get("template"),
    }


class ChatAccumulator:
    """Builds one ChatResponse from /api/chat chunks (streamed or a single object)."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.content: list[str] = []
        self.thinking: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.final: dict[str, Any] | None = None
        self.first_token_at: float | None = None
        self.lines: list[str] = []

    @property
    def done(self) -> bool:
        return self.final is not None

    def feed_line(self, line: str, now: float) -> None:
        """One NDJSON line."""
        line = line.strip()
        if not line:
            return
        self.lines.append(line)
        try:
            chunk = json.loads(line)
        except (ValueError, RecursionError):
            raise TransportError(FailureMode.SERVER_ERROR, f"a stream line is not JSON: {line[:120]!r}", retryable=True) from None
        self.feed_chunk(chunk, now)

    def feed_chunk(self, chunk: Any, now: float) -> None:
        if not isinstance(chunk, dict):
            raise TransportError(FailureMode.SERVER_ERROR, f"a chunk is not a JSON object: {str(chunk)[:120]!r}", retryable=True)
        if chunk.get("error"):
            # Ollama reports failures that happen after the 200 as an error line.
            raise TransportError(FailureMode.SERVER_ERROR, f"the stream carried an error: {str(chunk['error'])[:200]}", retryable=True)
        message = chunk.get("message") or {}
        got = False
        if message.get("content"):
            self.content.append(message["content"])
            got = True
        if message.get("thinking"):
            self.thinking.append(message["thinking"])
            got = True
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict):
                self.calls.append(call)
                got = True
        if got and self.first_token_at is None:
            self.first_token_at = now
        if chunk.get("done"):
            self.final = chunk

    def response(self, *, status: int, now: float) -> ChatResponse:
        if self.final is None:
            raise TransportError(
                FailureMode.HTTP_ERROR,
                "the stream ended before the server said it was done (no done: true chunk)",
                retryable=True,
                raw="\n".join(self.lines),
                status_code=status,
            )
        final = self.final
        answer, inline = split_think("".join(self.content))
        parts = [p for p in ("".join(self.thinking), inline) if p]
        calls = parse_tool_calls([_openai_call(c, i) for i, c in enumerate(self.calls)])
        usage = Usage(
            final.get("prompt_eval_count"),
            final.get("eval_count"),
            (final.get("prompt_eval_count") or 0) + (final.get("eval_count") or 0) if "eval_count" in final else None,
        )
        total = now - self.started
        ttft = self.first_token_at - self.started if self.first_token_at is not None else None
        return ChatResponse(
            content=answer,
            reasoning="\n\n".join(parts) if parts else None,
            tool_calls=calls,
            finish_reason=_finish_reason(final.get("done_reason"), bool(calls)),
            usage=usage,
            ttft_s=ttft,
            total_s=total,
            tokens_per_s=_tokens_per_s(final),
            status_code=status,
            raw="\n".join(self.lines),
        )


def _openai_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    return {
        "id": call.get("id") or f"call_{index}",
        "type": "function",
        "function": {"name": function.get("name", ""), "arguments": arguments if arguments is not None else {}},
    }


def _finish_reason(done_reason: Any, has_calls: bool) -> str | None:
    # Named as in the OpenAI format so verdicts compare across backends.
    if done_reason == "length":
        return "length"
    if has_calls:
        return "tool_calls"
    return str(done_reason) if done_reason else "stop"


def _tokens_per_s(final: dict[str, Any]) -> float | None:
    count, duration = final.get("eval_count"), final.get("eval_duration")
    if isinstance(count, int) and isinstance(duration, (int, float)) and duration > 0:
        return count / (duration / 1e9)
    return None


def load_seconds(final: dict[str, Any] | None) -> float:
    """``load_duration`` of a final chunk in seconds (a cold load shows here)."""
    value = (final or {}).get("load_duration")
    return value / 1e9 if isinstance(value, (int, float)) else 0.0
