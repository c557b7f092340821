"""An OpenAI-compatible server that misbehaves on request: the prompt names the fault.

Every fault is something a real server or the network in front of it does:
a 500, a 429 with Retry-After, a connection reset, a slow first byte, a stream
cut mid-way, a body that is not JSON, empty content, an error object behind a
200 (queue-based and proxied servers do this), a length cut, a proxy's HTML
404 page. ``attempts`` counts, per prompt, how many requests the server saw, so
tests can check what was retried. OpenAI's error format:
https://platform.openai.com/docs/guides/error-codes
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from servers.base import Answer, Request, Script, TestServer
from servers.openai_compat import OpenAIChat
from servers.runpod import OFFLINE_PAGE

FAULTS = {
    "fault: 500": "always answers HTTP 500 with a JSON error",
    "fault: 500 once": "HTTP 500 the first time, then the right answer",
    "fault: 429 once": "HTTP 429 with Retry-After: 1 the first time, then the right answer",
    "fault: reset": "resets the connection before any byte, every time",
    "fault: reset once": "resets the connection the first time, then the right answer",
    "fault: slow": "waits slow_s before the first byte",
    "fault: cut": "starts the answer, then drops the connection mid-body",
    "fault: bad json": "HTTP 200 with a body that is not JSON",
    "fault: empty": "HTTP 200 with empty content",
    "fault: error body": "HTTP 200 whose body is an error object",
    "fault: length": "HTTP 200, the answer cut at the token limit (finish_reason length)",
    "fault: html 404": "an HTML 404 page, as a proxy in front of a stopped server gives",
    "fault: bad event": "streamed: an event that is not JSON inside the SSE stream (plain: a body that is not JSON)",
    "fault: error event": "streamed: an error object as an SSE event mid-stream, as vLLM and llama.cpp send (plain: an error body)",
}


class FaultServer(TestServer):
    """``/v1/chat/completions`` (+ ``/v1/models``) with scripted faults; other prompts answer from ``script``."""

    def __init__(self, script: Script, *, slow_s: float = 3.0, model: str = "fault-model") -> None:
        super().__init__()
        self.slow_s = slow_s
        self.attempts: Counter[str] = Counter()
        self.openai = OpenAIChat(script, model=model)
        self.route("GET", "/v1/models", self.openai.models)
        self.route("POST", "/v1/chat/completions", self.chat)

    def chat(self, request: Request) -> None:
        body = request.json if isinstance(request.json, dict) else {}
        messages = body.get("messages") or []
        prompt = str(messages[-1].get("content", "")).strip() if messages else ""
        with self.lock:
            self.attempts[prompt] += 1
            attempt = self.attempts[prompt]
        handler = getattr(self, "_" + prompt.removeprefix("fault: ").replace(" ", "_"), None) if prompt.startswith("fault: ") else None
        if handler is None:
            self.openai.chat(request)
            return
        handler(request, body, attempt)

    def _ok(self, request: Request, body: dict[str, Any], content: str = "ok") -> None:
        self.openai.respond(request, body, Answer(content))

    def _500(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        request.send_json(500, {"error": {"message": "internal server error", "type": "server_error"}})

    def _500_once(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        if attempt == 1:
            self._500(request, body, attempt)
        else:
            self._ok(request, body)

    def _429_once(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        if attempt == 1:
            request.send_json(429, {"error": {"message": "rate limit reached", "type": "rate_limit_error"}}, headers={"Retry-After": "1"})
        else:
            self._ok(request, body)

    def _reset(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        request.drop()

    def _reset_once(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        if attempt == 1:
            request.drop()
        else:
            self._ok(request, body)

    def _slow(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        time.sleep(self.slow_s)
        self._ok(request, body)

    def _cut(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        if body.get("stream"):
            request.start_stream("text/event-stream")
            chunk = {"choices": [{"index": 0, "delta": {"content": "the answer is"}, "finish_reason": None}]}
            request.write(f"data: {json.dumps(chunk)}\n\n")
        else:
            h = request.handler
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "4000")
            h.end_headers()
            h.wfile.write(b'{"choices": [{"message": {"content": "the answer')
        request.drop()

    def _bad_json(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        request.send(200, b"upstream said: <html>oops</html> this is not json", "application/json")

    def _empty(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        self._ok(request, body, content="")

    def _error_body(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        request.send_json(200, {"error": {"message": "CUDA out of memory", "type": "server_error", "code": 500}})

    def _length(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        self.openai.respond(request, {**body, "max_tokens": 3}, Answer("one two three four five six"))

    def _stream_then(self, request: Request, payload: str) -> None:
        """A 200 SSE stream: one content event, then ``payload`` as the next event, then [DONE]."""
        request.start_stream("text/event-stream")
        chunk = {"choices": [{"index": 0, "delta": {"content": "the answer"}, "finish_reason": None}]}
        request.write(f"data: {json.dumps(chunk)}\n\n")
        request.write(f"data: {payload}\n\n")
        request.write("data: [DONE]\n\n")
        request.end_stream()

    def _bad_event(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        if body.get("stream"):
            self._stream_then(request, '{"choices": [{"delta": {"content": "trunc')
        else:
            self._bad_json(request, body, attempt)

    def _error_event(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        # vLLM's streaming error event: https://github.com/vllm-project/vllm (serving_chat.py, create_streaming_error_response)
        if body.get("stream"):
            self._stream_then(request, json.dumps({"error": {"object": "error", "message": "CUDA out of memory", "type": "InternalServerError", "code": 500}}))
        else:
            self._error_body(request, body, attempt)

    def _html_404(self, request: Request, body: dict[str, Any], attempt: int) -> None:
        request.send_html(404, OFFLINE_PAGE.format(status=404))
