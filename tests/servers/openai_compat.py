"""The OpenAI chat-completions routes, answered from a Script: shared by the vLLM,
RunPod (OpenAI route) and fault servers.

Follows https://platform.openai.com/docs/api-reference/chat/create and
https://platform.openai.com/docs/api-reference/chat-streaming (SSE chunks,
``data: [DONE]``, usage with ``stream_options.include_usage``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from servers.base import Answer, Request, Script, TestServer, cut, pieces


def words(messages: list[dict[str, Any]]) -> int:
    return sum(len(str(m.get("content") or "").split()) for m in messages)


class OpenAIChat:
    """``/v1/models`` and ``/v1/chat/completions`` for one model, under ``prefix``."""

    def __init__(
        self,
        script: Script,
        *,
        model: str = "test-model",
        owned_by: str = "openai-test",
        reasoning_field: str = "reasoning_content",
        thinking_default: bool = False,
        api_key: str | None = None,
        model_extra: dict[str, Any] | None = None,
    ) -> None:
        self.script = script
        self.model = model
        self.owned_by = owned_by
        self.reasoning_field = reasoning_field
        self.thinking_default = thinking_default
        self.api_key = api_key
        self.model_extra = model_extra or {}

    def install(self, server: TestServer, prefix: str = "") -> None:
        server.route("GET", prefix + "/v1/models", self.models)
        server.route("POST", prefix + "/v1/chat/completions", self.chat)

    def authorized(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        if request.headers.get("authorization") == f"Bearer {self.api_key}":
            return True
        request.send_json(401, {"error": {"message": "Unauthorized", "type": "invalid_request_error"}})
        return False

    def models(self, request: Request) -> None:
        if not self.authorized(request):
            return
        entry = {"id": self.model, "object": "model", "created": 1700000000, "owned_by": self.owned_by, **self.model_extra}
        request.send_json(200, {"object": "list", "data": [entry]})

    def thinking_on(self, body: dict[str, Any]) -> bool:
        """Whether the (scripted) model thinks: the template kwarg, else the server default."""
        kwargs = body.get("chat_template_kwargs") or {}
        if "enable_thinking" in kwargs:
            return bool(kwargs["enable_thinking"])
        return self.thinking_default

    def chat(self, request: Request) -> None:
        if not self.authorized(request):
            return
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            request.send_json(400, {"error": {"message": "messages is required", "type": "invalid_request_error"}})
            return
        answer = self.script.answer(body["messages"])
        self.respond(request, body, answer)

    def respond(self, request: Request, body: dict[str, Any], answer: Answer) -> None:
        reasoning = answer.reasoning if self.thinking_on(body) else None
        content, was_cut = cut(answer.content, body.get("max_tokens"))
        calls = [] if was_cut or not body.get("tools") else answer.tool_calls
        finish = "length" if was_cut else ("tool_calls" if calls else "stop")
        usage = {
            "prompt_tokens": words(body["messages"]),
            "completion_tokens": len(content.split()) + len((reasoning or "").split()),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        tool_calls = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(calls)
        ]
        if body.get("stream"):
            self.stream(request, body, content, reasoning, tool_calls, finish, usage)
            return
        message: dict[str, Any] = {"role": "assistant", "content": content if not calls else (content or None)}
        if reasoning:
            message[self.reasoning_field] = reasoning
        if tool_calls:
            message["tool_calls"] = tool_calls
        request.send_json(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model") or self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            },
        )

    def stream(
        self,
        request: Request,
        body: dict[str, Any],
        content: str,
        reasoning: str | None,
        tool_calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, int],
    ) -> None:
        request.start_stream("text/event-stream")

        def event(delta: dict[str, Any], finish_reason: str | None = None) -> None:
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "model": body.get("model") or self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
            request.write(f"data: {json.dumps(chunk)}\n\n")

        event({"role": "assistant", "content": ""})
        for piece in pieces(reasoning or ""):
            event({self.reasoning_field: piece})
        for piece in pieces(content):
            event({"content": piece})
        for index, call in enumerate(tool_calls):
            event({"tool_calls": [{"index": index, **call}]})
        event({}, finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            request.write(f"data: {json.dumps({'id': 'chatcmpl-test', 'choices': [], 'usage': usage})}\n\n")
        request.write("data: [DONE]\n\n")
        request.end_stream()
