"""Backend ``openai``: any OpenAI-compatible chat-completions server.

llama.cpp, vLLM, LM Studio, SGLang and cloud APIs all speak it. httpx is
imported on first use so that registering this plugin costs nothing.
"""

from __future__ import annotations

import os
import time
from typing import Any, ClassVar

from benchlab.backends import BackendOptions, HttpBackend
from benchlab.errors import BenchlabError
from benchlab.model import ChatRequest, ChatResponse


class OpenAIBackend(HttpBackend):
    """Chat completions over HTTP, non-streaming or streamed (SSE)."""

    name = "openai"
    setting_keys: ClassVar[tuple[str, ...] | None] = ()

    def __init__(self, options: BackendOptions) -> None:
        super().__init__(options)
        if not options.endpoint:
            raise BenchlabError("backend openai needs --endpoint URL (the server's base URL, with or without /v1)")
        from benchlab.http import base_url

        self.base = base_url(options.endpoint)
        self.v1 = self.base + "/v1"

    @property
    def default_concurrency(self) -> int:
        return self.options.concurrency or 4

    def headers(self) -> dict[str, str]:
        # OPENAI_API_KEY only here: other backends must never receive an OpenAI key.
        key = self.options.api_key or os.environ.get("OPENAI_API_KEY")
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def start(self) -> dict[str, Any]:
        models = await self.list_models()
        return {"models": models, **self.choose_model(models)}

    async def list_models(self) -> list[str] | None:
        """The ids under /v1/models; None when the server does not list them."""
        from benchlab.http import probe

        # The one route an OpenAI server needs at start: an HTML 404/502 here is fatal.
        url = f"{self.v1}/models"
        reply = await probe(self.client, "GET", url, endpoint=self.options.endpoint or url, explain=self.options.explain_offline)
        if reply.status_code in (401, 403):
            raise BenchlabError(
                f"{self.endpoint_label} refused the request (HTTP {reply.status_code}): "
                "pass --api-key or set BENCHLAB_API_KEY / OPENAI_API_KEY"
            )
        if reply.status_code != 200:
            self.warnings.append(f"GET /v1/models answered HTTP {reply.status_code}; the model list is unknown")
            return None
        try:
            data = reply.json().get("data") or []
            return [str(m.get("id")) for m in data if isinstance(m, dict)]
        except (ValueError, AttributeError, RecursionError):
            self.warnings.append("GET /v1/models did not answer a model list")
            return None

    def choose_model(self, models: list[str] | None) -> dict[str, Any]:
        if self.model is None:
            if models:
                self.model = models[0]
                if len(models) > 1:
                    self.warnings.append(f"no --model given; using {self.model!r}, the first of {len(models)} listed")
            return {"model_listed": bool(models)}
        listed = models is None or self.model in models
        if not listed:
            self.warnings.append(
                f"model {self.model!r} is not in the server's list ({', '.join(models or []) or 'empty'}); sending it anyway"
            )
        return {"model_listed": listed}

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for ``request``: ``build_body``, then ``--extra-body`` on top."""
        from benchlab.plugins.backends.openai_wire import merge_extra_body

        return merge_extra_body(self.build_body(request), request.extra_body)

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The body before ``--extra-body``; subclasses add their server's extras here.

        An unknown server gets a thinking switch only when thinking is on or the
        user turned it off explicitly: strict cloud APIs reject unknown fields.
        """
        from benchlab.plugins.backends.openai_wire import request_body

        body = request_body(request, request.model or self.model)
        explicit_off = request.thinking is False and self.options.settings.get("thinking_flag") is False
        if request.thinking or explicit_off:
            kwargs = {**body.get("chat_template_kwargs", {}), "enable_thinking": bool(request.thinking)}
            body["chat_template_kwargs"] = kwargs
        if request.reasoning_effort:
            body.setdefault("reasoning_effort", request.reasoning_effort)
        return body

    async def chat(self, request: ChatRequest) -> ChatResponse:
        return await self.post_chat(f"{self.v1}/chat/completions", self.request_body(request), request.stream)

    async def post_chat(self, url: str, body: dict[str, Any], stream: bool) -> ChatResponse:
        import httpx

        from benchlab.http import error_from_exception

        started = time.perf_counter()
        try:
            if stream:
                return await self._post_streaming(url, body, started)
            reply = await self.client.post(url, json=body)
        except httpx.HTTPError as exc:
            raise error_from_exception(exc, url) from None
        return self._complete(reply.status_code, reply.text, reply.headers, started, url)

    def _complete(self, status: int, text: str, headers: Any, started: float, url: str) -> ChatResponse:
        from benchlab.http import error_from_status, parse_json_body
        from benchlab.plugins.backends.openai_wire import parse_completion

        if status != 200:
            raise error_from_status(status, text, headers, url=url, explain=self.options.explain_offline)
        return parse_completion(parse_json_body(text, status), status=status, total_s=time.perf_counter() - started)

    async def _post_streaming(self, url: str, body: dict[str, Any], started: float) -> ChatResponse:
        from benchlab.plugins.backends.openai_wire import StreamAccumulator

        # llama.cpp intermittently drops a keep-alive connection reused after a
        # stream; a fresh connection per streamed request avoids it.
        async with self.client.stream("POST", url, json=body, headers={"Connection": "close"}) as reply:
            content_type = reply.headers.get("content-type", "")
            if reply.status_code != 200 or "text/event-stream" not in content_type:
                text = (await reply.aread()).decode("utf-8", errors="replace")
                return self._complete(reply.status_code, text, reply.headers, started, url)
            stream = StreamAccumulator(started)
            async for line in reply.aiter_lines():
                stream.feed_line(line, time.perf_counter())
                if stream.done:
                    break
            return stream.response(status=reply.status_code, now=time.perf_counter())
