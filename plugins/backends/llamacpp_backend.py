"""Backend ``llamacpp``: llama.cpp's ``llama-server``, OpenAI routes plus its own.

``/health`` answers 503 while the model loads: start() waits (``load_timeout_s``,
default 600) instead of failing. ``/props`` gives the chat template, the default
sampling (``default_generation_settings``), the per-slot context and the slot
count, which is the default concurrency. The template decides how thinking is
switched: ``chat_template_kwargs.enable_thinking`` (Qwen3-style templates) or
``reasoning_effort`` (templates that read it, e.g. gpt-oss); a template with
neither cannot be switched, and benchlab says so instead of pretending.
Docs: tools/server/README.md in https://github.com/ggml-org/llama.cpp
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from benchlab.errors import BenchlabError
from benchlab.model import ChatRequest
from benchlab.plugins.backends.openai_backend import OpenAIBackend

# /props default_generation_settings.params names -> canonical sampling names.
SAMPLING_KEYS = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "presence_penalty", "frequency_penalty")
HEALTH_POLL_S = 0.25


def thinking_switch(template: str | None, caps: dict[str, Any] | None) -> str:
    """How this chat template turns thinking on and off: enable_thinking, reasoning_effort or none."""
    text = template or ""
    if "enable_thinking" in text:
        return "enable_thinking"
    if (caps or {}).get("supports_reasoning_effort") or "reasoning_effort" in text:
        return "reasoning_effort"
    return "none"


class LlamaCppBackend(OpenAIBackend):
    """A llama.cpp server."""

    name = "llamacpp"
    detect_order: ClassVar[int] = 20
    setting_keys: ClassVar[tuple[str, ...] | None] = ("load_timeout_s",)

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        from benchlab.backends import setting

        self.load_timeout_s = setting(options, "load_timeout_s", 600.0, float)
        self.slots: int | None = None
        self.switch = "none"

    @classmethod
    async def detect(cls, base_url: str, client: Any) -> dict[str, Any] | None:
        """llama-server answers ``GET /props`` with its generation settings and slot count."""
        try:
            reply = await client.get(base_url.rstrip("/") + "/props")
            data = reply.json() if reply.status_code == 200 else None
        except Exception:  # absent, unreachable or not JSON: not llama.cpp
            return None
        if not isinstance(data, dict) or "default_generation_settings" not in data:
            return None
        return {"server_kind": "llamacpp", "version": data.get("build_info"), "slots": data.get("total_slots")}

    @property
    def default_concurrency(self) -> int:
        return self.options.concurrency or self.slots or 1

    async def start(self) -> dict[str, Any]:
        from benchlab.http import json_or_none, probe

        endpoint = self.options.endpoint or self.base
        waited = await self._wait_healthy(endpoint)
        props = json_or_none(await probe(self.client, "GET", f"{self.base}/props", endpoint=endpoint,
            explain=self.options.explain_offline))
        if not isinstance(props, dict):
            raise BenchlabError(f"{self.endpoint_label} has no llama.cpp /props route: is it llama-server? (try --backend openai)")
        settings = props.get("default_generation_settings") or {}
        params = settings.get("params") or settings
        per_slot = settings.get("n_ctx") if isinstance(settings.get("n_ctx"), int) else None
        self.slots = props.get("total_slots") if isinstance(props.get("total_slots"), int) else None
        template = props.get("chat_template")
        caps = props.get("chat_template_caps") if isinstance(props.get("chat_template_caps"), dict) else None
        self.switch = thinking_switch(template, caps)
        models = await self.list_models()
        found: dict[str, Any] = {
            "server_kind": "llamacpp",
            "version": props.get("build_info"),
            "models": models,
            **self.choose_model(models),
            # Each request gets one slot's share of -c: that is its context.
            "context_size": per_slot,
            "context_total": per_slot * self.slots if per_slot and self.slots else None,
            "slots": self.slots,
            "thinking_support": self.switch,
            "tools_support": (caps or {}).get("supports_tools"),
            "chat_template": template,
            # float32 on the server: 0.800000011920929 is the 0.8 it was given
            "sampling_defaults": {k: round(params[k], 6) if isinstance(params[k], float) else params[k] for k in SAMPLING_KEYS if k in params},
            "load_wait_s": round(waited, 3),
        }
        if self.slots:
            found["slot_state"] = await self._slots(endpoint)
        return found

    async def _wait_healthy(self, endpoint: str) -> float:
        """Wait while /health says the model is loading (503); return the seconds waited."""
        from benchlab.http import probe

        started = time.perf_counter()
        while True:
            reply = await probe(self.client, "GET", f"{self.base}/health", endpoint=endpoint,
                explain=self.options.explain_offline)
            if reply.status_code == 200:
                return time.perf_counter() - started
            if reply.status_code in (401, 403):
                raise BenchlabError(f"{self.endpoint_label} refused the request (HTTP {reply.status_code}): pass --api-key")
            if reply.status_code != 503:
                raise BenchlabError(f"{self.endpoint_label}: GET /health answered HTTP {reply.status_code}: is it llama-server? (try --backend openai)")
            if time.perf_counter() - started > self.load_timeout_s:
                raise BenchlabError(
                    f"{self.endpoint_label} was still loading its model after {self.load_timeout_s:g}s (/health answers 503); "
                    "wait, or raise the load_timeout_s backend setting"
                )
            await asyncio.sleep(HEALTH_POLL_S)

    async def _slots(self, endpoint: str) -> list[dict[str, Any]] | None:
        from benchlab.http import json_or_none, probe

        data = json_or_none(await probe(self.client, "GET", f"{self.base}/slots", endpoint=endpoint, required=False,
            explain=self.options.explain_offline))
        if not isinstance(data, list):
            return None  # started without --slots: not an error
        return [{"id": s.get("id"), "n_ctx": s.get("n_ctx"), "is_processing": s.get("is_processing")} for s in data if isinstance(s, dict)]

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        from benchlab.plugins.backends.openai_wire import request_body

        body = request_body(request, request.model or self.model)
        kwargs = dict(body.get("chat_template_kwargs") or {})
        if request.reasoning_effort and self.switch != "reasoning_effort":
            self.warn_once(
                "effort-ignored",
                f"--reasoning-effort {request.reasoning_effort} was not applied: the server's chat template does not read reasoning_effort",
            )
        if self.switch == "enable_thinking" and request.thinking is not None:
            kwargs["enable_thinking"] = request.thinking
        elif self.switch == "reasoning_effort" and (request.thinking is not None or request.reasoning_effort):
            effort = request.reasoning_effort or ("low" if request.thinking is False else "medium")
            if request.thinking is False and not request.reasoning_effort:
                self.warn_once("effort-off", "this chat template cannot switch reasoning off: it ran with reasoning_effort=low")
            body["reasoning_effort"] = effort
            kwargs["reasoning_effort"] = effort
        elif request.thinking:
            # Off needs no switch on such a template; on cannot be had.
            self.warn_once(
                "no-switch",
                "thinking was asked for, but the server's chat template has no thinking switch: "
                "the request went as the template renders it",
            )
        if kwargs:
            body["chat_template_kwargs"] = kwargs
        return body
