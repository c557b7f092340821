"""A protocol-faithful vLLM OpenAI-compatible server, answering from a Script.

vLLM needs a GPU, so this reproduces what its documentation specifies beyond
plain OpenAI: ``/version``, ``/health``, ``max_model_len`` in ``/v1/models``,
``chat_template_kwargs`` reaching the chat template (thinking on by default for
a Qwen3-style template), reasoning returned apart in ``reasoning_content``
(``reasoning`` from 0.10 on, configurable here), and the structured-output
fields (``response_format``, ``guided_json``, ``structured_outputs``).
Unknown request fields are ignored, as vLLM does (it only logs them).
"""

from __future__ import annotations

from typing import Any

from servers.base import Request, Script, TestServer
from servers.openai_compat import OpenAIChat


class VLLMChat(OpenAIChat):
    """The chat route with vLLM's extras recorded for inspection."""

    def __init__(self, script: Script, **kwargs: Any) -> None:
        super().__init__(script, **kwargs)
        self.structured: list[str] = []

    def thinking_on(self, body: dict[str, Any]) -> bool:
        """A Qwen3-style template reads ``enable_thinking`` (default on); others may read ``thinking``.

        https://docs.vllm.ai/en/latest/features/reasoning_outputs.html
        """
        kwargs = body.get("chat_template_kwargs") or {}
        for key in ("enable_thinking", "thinking"):
            if key in kwargs:
                return bool(kwargs[key])
        return self.thinking_default

    def chat(self, request: Request) -> None:
        """POST /v1/chat/completions (https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html).

        Structured output may come as ``response_format`` (json_schema/json_object),
        ``guided_json`` (before 0.12) or ``structured_outputs: {"json": ...}`` (0.10.2+),
        per https://docs.vllm.ai/en/latest/features/structured_outputs.html.
        """
        body = request.json if isinstance(request.json, dict) else {}
        for key in ("response_format", "guided_json", "structured_outputs"):
            if body.get(key) is not None:
                self.structured.append(key)
        super().chat(request)


class VLLMServer(TestServer):
    """``vllm serve MODEL [--api-key KEY] [--max-model-len N]`` as seen over HTTP."""

    def __init__(
        self,
        script: Script,
        *,
        model: str = "Qwen/Qwen3-0.6B",
        version: str = "0.9.2",
        max_model_len: int = 32768,
        thinking_default: bool = True,
        reasoning_field: str = "reasoning_content",
        api_key: str | None = None,
    ) -> None:
        super().__init__()
        self.version = version
        self.chat = VLLMChat(
            script,
            model=model,
            owned_by="vllm",
            reasoning_field=reasoning_field,
            thinking_default=thinking_default,
            api_key=api_key,
            model_extra={"root": model, "parent": None, "max_model_len": max_model_len, "permission": []},
        )
        self.chat.install(self)
        self.route("GET", "/version", self.get_version)
        self.route("GET", "/health", lambda r: r.send(200, b"", "text/plain"))

    def get_version(self, request: Request) -> None:
        """GET /version -> {"version": "..."}; open even with --api-key (only /v1 is protected)."""
        request.send_json(200, {"version": self.version})
