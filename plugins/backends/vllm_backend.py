"""Backend ``vllm``: vLLM's OpenAI-compatible server plus what only vLLM tells or takes.

Probe: ``/version``, ``/v1/models`` (``max_model_len`` is the context size).
Thinking goes through ``chat_template_kwargs`` (``enable_thinking``, and
``thinking`` for templates that name it so); reasoning comes back in
``reasoning_content`` (``reasoning`` on newer versions), kept apart from content.
Structured output: ``response_format`` as sent, except on servers older than
0.6, which only know ``guided_json``; the ``structured_output`` setting forces
``guided_json``, ``structured_outputs`` (vLLM >= 0.10.2) or ``response_format``.
Docs: https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html,
https://docs.vllm.ai/en/latest/features/reasoning_outputs.html,
https://docs.vllm.ai/en/latest/features/structured_outputs.html
"""

from __future__ import annotations

from typing import Any, ClassVar

from benchlab.errors import BenchlabError
from benchlab.model import ChatRequest
from benchlab.plugins.backends.openai_backend import OpenAIBackend

STRUCTURED_MODES = ("auto", "response_format", "guided_json", "structured_outputs")


def _version_tuple(text: str | None) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in (text or "").replace("+", ".").split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def schema_of(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema a ``response_format`` asks for, if any."""
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        return spec.get("schema") or response_format.get("schema")
    if response_format.get("type") == "json_object":
        return response_format.get("schema") or {"type": "object"}
    return None


class VLLMBackend(OpenAIBackend):
    """A vLLM server (``vllm serve``)."""

    name = "vllm"
    detect_order: ClassVar[int] = 30
    setting_keys: ClassVar[tuple[str, ...] | None] = ("structured_output",)

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        from benchlab.backends import setting

        self.structured = setting(options, "structured_output", "auto", str)
        if self.structured not in STRUCTURED_MODES:
            raise BenchlabError(f"backend setting structured_output={self.structured!r}: use one of {', '.join(STRUCTURED_MODES)}")
        self.version: str | None = None

    @classmethod
    async def detect(cls, base_url: str, client: Any) -> dict[str, Any] | None:
        """vLLM answers ``GET /version`` with ``{"version": "..."}``; its models say ``owned_by: vllm``."""
        base = base_url.rstrip("/")
        try:
            reply = await client.get(base + "/version")
            data = reply.json() if reply.status_code == 200 else None
        except Exception:  # absent, unreachable or not JSON: not vLLM
            return None
        if not (isinstance(data, dict) and isinstance(data.get("version"), str)):
            return None
        try:
            models = await client.get(base + "/v1/models")
            listed = models.json().get("data") if models.status_code == 200 else None
        except Exception:
            listed = None
        owners = {str(m.get("owned_by")) for m in listed or [] if isinstance(m, dict)}
        if owners and "vllm" not in owners:
            return None  # another server that happens to serve /version
        return {"server_kind": "vllm", "version": data["version"]}

    async def start(self) -> dict[str, Any]:
        from benchlab.http import json_or_none, probe

        # /version is optional (a proxy may serve only /v1): absent is a warning, never fatal.
        reply = await probe(self.client, "GET", f"{self.base}/version", endpoint=self.options.endpoint or self.base, required=False,
            explain=self.options.explain_offline)
        data = json_or_none(reply)
        self.version = str(data["version"]) if isinstance(data, dict) and "version" in data else None
        if self.version is None:
            self.warnings.append(f"GET /version answered HTTP {reply.status_code}: is this really vLLM? (try --backend openai)")
        found: dict[str, Any] = {"server_kind": "vllm", "version": self.version, "thinking_support": "chat_template_kwargs"}
        models_reply = await probe(self.client, "GET", f"{self.v1}/models", endpoint=self.options.endpoint or self.base,
            explain=self.options.explain_offline)
        if models_reply.status_code in (401, 403):
            raise BenchlabError(f"{self.endpoint_label} refused the request (HTTP {models_reply.status_code}): pass --api-key (vllm serve --api-key)")
        listing = json_or_none(models_reply) or {}
        entries = [m for m in listing.get("data") or [] if isinstance(m, dict)]
        models = [str(m.get("id")) for m in entries]
        found["models"] = models
        found.update(self.choose_model(models or None))
        chosen = next((m for m in entries if m.get("id") == self.model), entries[0] if entries else {})
        if isinstance(chosen.get("max_model_len"), int):
            found["context_size"] = chosen["max_model_len"]
        found["structured_output"] = self._structured_mode()
        # vLLM fills unsent sampling fields from the model's generation_config.json
        # (--generation-config auto), which no route reports: send what matters.
        found["sampling_defaults"] = None
        return found

    def _structured_mode(self) -> str:
        if self.structured != "auto":
            return self.structured
        version = _version_tuple(self.version)
        return "guided_json" if version and version < (0, 6) else "response_format"

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        from benchlab.plugins.backends.openai_wire import request_body

        body = request_body(request, request.model or self.model)
        if "repeat_penalty" in body:
            body["repetition_penalty"] = body.pop("repeat_penalty")
        if request.thinking is not None:
            kwargs = dict(body.get("chat_template_kwargs") or {})
            kwargs.update({"enable_thinking": request.thinking, "thinking": request.thinking})
            body["chat_template_kwargs"] = kwargs
        if request.reasoning_effort:
            body["reasoning_effort"] = request.reasoning_effort
        schema = schema_of(request.response_format)
        mode = self._structured_mode()
        if schema is not None and mode == "guided_json":
            body.pop("response_format", None)
            body["guided_json"] = schema
        elif schema is not None and mode == "structured_outputs":
            body.pop("response_format", None)
            body["structured_outputs"] = {"json": schema}
        return body
