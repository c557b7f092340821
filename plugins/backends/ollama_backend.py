"""Backend ``ollama``: Ollama's native API (never its /v1 compatibility layer).

Why native: ``think`` and ``options`` are honoured as documented, ``/api/show``
tells the model's own sampling defaults and capabilities, and the final chunk
carries exact token counts and durations (a cold load shows as ``load_duration``).

Settings (``BackendOptions.settings``): ``keep_alive`` (default "30m", so the
model stays loaded between scenarios), ``num_ctx`` (the context Ollama
allocates; its default is small and long prompts are truncated silently),
``first_token_timeout_s`` (600), ``idle_timeout_s`` (120), ``load_timeout_s``
for the warm-up (900), ``warmup`` (true).
"""

from __future__ import annotations

import os
import time
from typing import Any, ClassVar

from benchlab.backends import BackendOptions, HttpBackend
from benchlab.errors import BenchlabError, TransportError
from benchlab.model import ChatRequest, ChatResponse

WARMUP_PROMPT = "Reply with the single word: ready"
# Streaming tool calls arrived in Ollama 0.8.0; older servers need stream=false for tools.
STREAMED_TOOLS_SINCE = (0, 8, 0)
RELOAD_WARNING_S = 1.0


def _version_tuple(text: str | None) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in (text or "").split("-")[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


class OllamaBackend(HttpBackend):
    """An Ollama server, local or hosted (Bearer key), over /api/chat."""

    name = "ollama"
    detect_order: ClassVar[int] = 10
    setting_keys: ClassVar[tuple[str, ...] | None] = (
        "keep_alive", "num_ctx", "first_token_timeout_s", "idle_timeout_s", "load_timeout_s", "warmup")

    def __init__(self, options: BackendOptions) -> None:
        super().__init__(options)
        if not options.endpoint:
            raise BenchlabError("backend ollama needs --endpoint URL (e.g. http://localhost:11434)")
        from benchlab.http import base_url
        from benchlab.backends import setting

        self.base = base_url(options.endpoint)
        if self.base.endswith("/api"):
            self.base = self.base[:-4]
        self.api_key = options.api_key or os.environ.get("OLLAMA_API_KEY")
        self.keep_alive = setting(options, "keep_alive", "30m", (str, int))
        self.num_ctx = setting(options, "num_ctx", None, int)
        self.first_token_s = setting(options, "first_token_timeout_s", 600.0, float)
        self.idle_s = setting(options, "idle_timeout_s", 120.0, float)
        self.load_timeout_s = setting(options, "load_timeout_s", 900.0, float)
        self.warmup = setting(options, "warmup", True, bool)
        self.version: str | None = None
        self.capabilities: list[str] | None = None
        self.context_size: int | None = self.num_ctx

    @classmethod
    async def detect(cls, base_url: str, client: Any) -> dict[str, Any] | None:
        """Ollama answers ``GET /api/version`` with ``{"version": "..."}``."""
        try:
            reply = await client.get(base_url.rstrip("/") + "/api/version")
            data = reply.json() if reply.status_code == 200 else None
        except Exception:  # absent, unreachable or not JSON: simply not Ollama
            return None
        if isinstance(data, dict) and isinstance(data.get("version"), str) and len(data) <= 3:
            return {"server_kind": "ollama", "version": data["version"]}
        return None

    @property
    def default_concurrency(self) -> int:
        # Ollama serialises per model unless OLLAMA_NUM_PARALLEL says otherwise.
        return self.options.concurrency or 1

    async def start(self) -> dict[str, Any]:
        from benchlab.http import json_or_none, probe

        endpoint = self.options.endpoint or self.base
        reply = await probe(self.client, "GET", f"{self.base}/api/version", endpoint=endpoint,
            explain=self.options.explain_offline)
        if reply.status_code in (401, 403):
            raise BenchlabError(f"{self.endpoint_label} refused the request (HTTP {reply.status_code}): pass --api-key or set OLLAMA_API_KEY")
        data = json_or_none(reply)
        if not isinstance(data, dict) or "version" not in data:
            raise BenchlabError(
                f"{self.endpoint_label} is not an Ollama server (GET /api/version answered HTTP {reply.status_code}); "
                "try --backend openai"
            )
        self.version = str(data["version"])
        tags_reply = await probe(self.client, "GET", f"{self.base}/api/tags", endpoint=endpoint,
            explain=self.options.explain_offline)
        if tags_reply.status_code in (401, 403):
            raise BenchlabError(f"{self.endpoint_label} refused the request (HTTP {tags_reply.status_code}): pass --api-key or set OLLAMA_API_KEY")
        tags = json_or_none(tags_reply) or {}
        listed_models = [m for m in tags.get("models") or [] if isinstance(m, dict)]
        models = [str(m.get("name") or m.get("model")) for m in listed_models]
        listed = self._choose_model(models)
        facts = await self._show()
        found: dict[str, Any] = {
            "server_kind": "ollama",
            "version": self.version,
            "models": models,
            "model_listed": listed,
            # The weights' digest is the fingerprint's: a tag pulled again may name other weights.
            "model_digest": self._digest(listed_models),
            "context_size": self.context_size,
            "thinking_support": self._thinking_support(),
            **facts,
        }
        if self.warmup:
            found.update(await self._warm_up())
        return found

    def _digest(self, listed: list[dict[str, Any]]) -> str | None:
        """The chosen model's digest as /api/tags lists it (None when it does not)."""
        from benchlab.plugins.backends.ollama_wire import with_latest_tag

        wanted = with_latest_tag(self.model or "")
        for entry in listed:
            if with_latest_tag(str(entry.get("name") or entry.get("model"))) == wanted and isinstance(entry.get("digest"), str):
                return entry["digest"]
        return None

    def _choose_model(self, models: list[str]) -> bool:
        if self.model is None:
            if not models:
                raise BenchlabError(f"{self.endpoint_label} has no model pulled: run `ollama pull MODEL`, then pass --model MODEL")
            self.model = models[0]
            if len(models) > 1:
                self.warnings.append(f"no --model given; using {self.model!r}, the first of {len(models)} listed")
            return True
        from benchlab.plugins.backends.ollama_wire import with_latest_tag

        wanted = with_latest_tag(self.model)
        if any(with_latest_tag(m) == wanted for m in models):
            return True
        available = ", ".join(models[:10]) or "none"
        raise BenchlabError(
            f"model {self.model!r} is not on {self.endpoint_label} (available: {available}); run `ollama pull {self.model}`"
        )

    async def _show(self) -> dict[str, Any]:
        from benchlab.http import json_or_none, probe
        from benchlab.plugins.backends.ollama_wire import show_facts

        reply = await probe(
            self.client, "POST", f"{self.base}/api/show", endpoint=self.options.endpoint or self.base, required=False,
            json={"model": self.model}, explain=self.options.explain_offline,
        )
        show = json_or_none(reply)
        if not isinstance(show, dict):
            self.warnings.append(f"POST /api/show answered HTTP {reply.status_code}: the model's defaults are unknown")
            return {}
        facts = show_facts(show)
        self.capabilities = facts.pop("capabilities") or None
        modelfile_ctx = facts.pop("num_ctx")
        if self.context_size is None:
            self.context_size = modelfile_ctx
        if self.context_size is None:
            self.warnings.append(
                "Ollama's context size is its own default (small on most versions; longer prompts are cut silently): "
                "set the num_ctx backend setting to fix it"
            )
        facts["tools_support"] = None if self.capabilities is None else "tools" in self.capabilities
        facts["capabilities"] = self.capabilities
        return facts

    def _thinking_support(self) -> str | None:
        if self.capabilities is None:
            return None
        return "think" if "thinking" in self.capabilities else "none"

    async def _warm_up(self) -> dict[str, Any]:
        """Load the model before any timing starts: a cold load is not the model's latency."""
        import httpx

        from benchlab.http import error_from_exception, error_from_status, parse_json_body
        from benchlab.plugins.backends.ollama_wire import load_seconds

        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": WARMUP_PROMPT}],
            "stream": False,
            "options": {"num_predict": 1, **({"num_ctx": self.num_ctx} if self.num_ctx else {})},
        }
        if self.keep_alive:
            body["keep_alive"] = self.keep_alive
        url = f"{self.base}/api/chat"
        started = time.perf_counter()
        try:
            reply = await self.client.post(url, json=body, timeout=httpx.Timeout(self.load_timeout_s, connect=self.options.connect_timeout_s))
            if reply.status_code != 200:
                raise error_from_status(reply.status_code, reply.text, reply.headers, url, explain=self.options.explain_offline)
            final = parse_json_body(reply.text, reply.status_code)
        except httpx.HTTPError as exc:
            raise BenchlabError(f"warming up {self.model!r} on {self.endpoint_label} failed: {error_from_exception(exc, url).detail}") from None
        except TransportError as exc:
            raise BenchlabError(f"warming up {self.model!r} on {self.endpoint_label} failed: {exc.detail}") from None
        return {"warmup_s": round(time.perf_counter() - started, 3), "load_s": round(load_seconds(final), 3)}

    def request_body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        from benchlab.plugins.backends.ollama_wire import chat_body

        body = chat_body(request, request.model or self.model or "", stream=stream, keep_alive=self.keep_alive, num_ctx=self.num_ctx)
        if request.reasoning_effort and body.get("think") != request.reasoning_effort:
            self.warn_once("effort-ignored", f"--reasoning-effort {request.reasoning_effort} was not applied: thinking is off for this run")
        if "think" in body and self.capabilities is not None and "thinking" not in self.capabilities:
            # Ollama refuses think=true for such models (HTTP 400 on every scenario);
            # off needs no switch.
            if body.pop("think") is not False:
                self.warn_once("think", f"thinking was asked for, but Ollama lists no thinking capability for {self.model!r}: it ran without")
        return body

    def _stream_for(self, request: ChatRequest) -> bool:
        # Always stream when the server allows it: it gives the time to first token
        # and lets a slow first token (a model loading) be told from a stalled stream.
        return not (request.tools and _version_tuple(self.version) and _version_tuple(self.version) < STREAMED_TOOLS_SINCE)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        import httpx

        from benchlab.http import error_from_exception, error_from_status, parse_json_body
        from benchlab.http import read_lines
        from benchlab.plugins.backends.ollama_wire import ChatAccumulator

        stream = self._stream_for(request)
        body = self.request_body(request, stream=stream)
        url = f"{self.base}/api/chat"
        started = time.perf_counter()
        acc = ChatAccumulator(started)
        try:
            async with self.client.stream("POST", url, json=body) as reply:
                if reply.status_code != 200:
                    text = (await reply.aread()).decode("utf-8", errors="replace")
                    raise error_from_status(reply.status_code, text, reply.headers, url, explain=self.options.explain_offline)
                if stream:
                    await read_lines(
                        reply.aiter_lines(), acc.feed_line, started=started, first_token_s=self.first_token_s,
                        idle_s=self.idle_s, has_token=lambda: acc.first_token_at is not None, done=lambda: acc.done,
                    )
                else:
                    text = (await reply.aread()).decode("utf-8", errors="replace")
                    acc.lines.append(text)
                    acc.feed_chunk(parse_json_body(text, 200), time.perf_counter())
                response = acc.response(status=reply.status_code, now=time.perf_counter())
        except httpx.HTTPError as exc:
            raise error_from_exception(exc, url) from None
        self._notice(request, acc.final, response)
        return response

    def _notice(self, request: ChatRequest, final: dict[str, Any] | None, response: ChatResponse) -> None:
        from benchlab.plugins.backends.ollama_wire import load_seconds

        loaded = load_seconds(final)
        if loaded >= RELOAD_WARNING_S:
            self.warn_once(
                "reload",
                f"Ollama (re)loaded the model during the run ({loaded:.1f}s, first in {request.scenario}): "
                "that scenario's latency includes the load; raise keep_alive or free memory",
            )
        prompt = response.usage.prompt_tokens if response.usage else None
        if self.context_size and prompt and prompt >= self.context_size:
            self.warn_once(
                "truncated",
                f"{request.scenario}: the prompt filled the whole context ({prompt} tokens, num_ctx={self.context_size}); "
                "Ollama truncates silently: raise the num_ctx backend setting",
            )

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
