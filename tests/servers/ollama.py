"""A protocol-faithful Ollama server (native API only), answering from a Script.

Ollama cannot run here (no models, no network), so this server reproduces what
its documentation specifies, including the traps benchlab must handle: a cold
load before the first token, thinking that is on by default and inline when
``think`` is not sent, tool-call arguments as objects, ``done_reason: "length"``.
It serves no ``/v1`` route at all: a backend that strays there gets a 404.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime, timezone
from typing import Any

from servers.base import Request, Script, TestServer, cut, pieces

NS = 1_000_000_000


def _tag(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


class OllamaServer(TestServer):
    """Routes of https://github.com/ollama/ollama/blob/main/docs/api.md for one or more models.

    ``models`` maps a full name (``name:tag``) to its config: ``capabilities``,
    ``parameters`` (Modelfile text), ``think_default``, ``context_length``.
    """

    def __init__(
        self,
        script: Script,
        models: dict[str, dict[str, Any]] | None = None,
        *,
        version: str = "0.9.6",
        load_delay_s: float = 0.0,
        api_key: str | None = None,
    ) -> None:
        super().__init__()
        self.script = script
        self.models = models or {"qwen3:0.6b": {"capabilities": ["completion", "tools", "thinking"]}}
        self.version = version
        self.load_delay_s = load_delay_s
        self.api_key = api_key
        self.loaded: set[str] = set()
        self.load_lock = threading.Lock()
        self.route("GET", "/api/version", self.api_version)
        self.route("GET", "/api/tags", self.tags)
        self.route("POST", "/api/show", self.show)
        self.route("POST", "/api/chat", self.chat)
        self.route("GET", "/", lambda r: r.send(200, b"Ollama is running", "text/plain; charset=utf-8"))

    def _authorized(self, request: Request) -> bool:
        # Hosted Ollama (ollama.com) takes "Authorization: Bearer <key>".
        if self.api_key is None or request.headers.get("authorization") == f"Bearer {self.api_key}":
            return True
        request.send_json(401, {"error": "unauthorized"})
        return False

    def _model(self, name: Any) -> str | None:
        if not isinstance(name, str):
            return None
        full = _tag(name)
        return full if full in self.models else None

    def digest(self, name: str) -> str:
        """A model's digest as /api/tags lists it: its config's ``digest``, else one made from its name."""
        return self.models[name].get("digest") or hashlib.sha256(name.encode()).hexdigest()

    def api_version(self, request: Request) -> None:
        """GET /api/version -> {"version": "..."} (docs/api.md, "Version")."""
        request.send_json(200, {"version": self.version})

    def tags(self, request: Request) -> None:
        """GET /api/tags: local models with name, model, size, digest, details (docs/api.md, "List Local Models")."""
        if not self._authorized(request):
            return
        models = [
            {
                "name": name,
                "model": name,
                "modified_at": "2025-05-01T10:00:00Z",
                "size": 522_000_000,
                "digest": self.digest(name),
                "details": {"format": "gguf", "family": name.split(":")[0], "parameter_size": "0.6B", "quantization_level": "Q4_K_M"},
            }
            for name in self.models
        ]
        request.send_json(200, {"models": models})

    def show(self, request: Request) -> None:
        """POST /api/show {"model"}: parameters (Modelfile text), template, model_info, capabilities
        (docs/api.md, "Show Model Information"; https://docs.ollama.com/api/show)."""
        if not self._authorized(request):
            return
        name = self._model((request.json or {}).get("model"))
        if name is None:
            request.send_json(404, {"error": f"model '{(request.json or {}).get('model')}' not found"})
            return
        config = self.models[name]
        arch = "qwen3"
        request.send_json(
            200,
            {
                "modelfile": f"FROM {name}\n",
                "parameters": config.get("parameters", 'temperature 0.6\ntop_k 20\ntop_p 0.95\nrepeat_penalty 1\nstop "<|im_end|>"'),
                "template": config.get("template", "{{ .System }}{{ .Prompt }}"),
                "details": {"format": "gguf", "family": arch, "parameter_size": "0.6B", "quantization_level": "Q4_K_M"},
                "model_info": {"general.architecture": arch, f"{arch}.context_length": config.get("context_length", 40960)},
                "capabilities": config.get("capabilities", ["completion"]),
                "modified_at": "2025-05-01T10:00:00Z",
            },
        )

    def chat(self, request: Request) -> None:
        """POST /api/chat (https://docs.ollama.com/api/chat; docs/api.md "Generate a chat completion").

        ``stream`` defaults to true (NDJSON, ``application/x-ndjson``); the last
        chunk has ``done: true``, ``done_reason`` and the counters. Empty
        ``messages`` loads the model (``done_reason: "load"``). ``think`` on a
        model without the thinking capability is a 400.
        """
        if not self._authorized(request):
            return
        body = request.json if isinstance(request.json, dict) else {}
        name = self._model(body.get("model"))
        if name is None:
            request.send_json(404, {"error": f"model '{body.get('model')}' not found, try pulling it first"})
            return
        config = self.models[name]
        messages = body.get("messages") or []
        for message in messages:
            for call in message.get("tool_calls") or []:
                if not isinstance((call.get("function") or {}).get("arguments"), dict):
                    # Ollama decodes arguments into a map: a JSON string fails to unmarshal.
                    request.send_json(400, {"error": "json: cannot unmarshal string into Go struct field .messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments"})
                    return
        think = body.get("think")
        capabilities = config.get("capabilities", ["completion"])
        if think not in (None, False) and "thinking" not in capabilities:
            request.send_json(400, {"error": f'"{name}" does not support thinking'})
            return
        load_s = self._load(name)
        now = datetime.now(timezone.utc).isoformat()
        if not messages:
            request.send_json(200, {"model": name, "created_at": now, "message": {"role": "assistant", "content": ""}, "done_reason": "load", "done": True})
            return
        answer = self.script.answer(messages)
        options = body.get("options") or {}
        thinks = ("thinking" in capabilities) and (config.get("think_default", True) if think is None else bool(think))
        reasoning = answer.reasoning if thinks else None
        content, was_cut = cut(answer.content, options.get("num_predict"))
        if reasoning and think is None:
            # Without "think", thinking models put their reasoning inline.
            content, reasoning = f"<think>{reasoning}</think>\n\n{content}", None
        calls = [] if was_cut or not body.get("tools") else answer.tool_calls
        eval_count = len(content.split()) + len((reasoning or "").split())
        final = {
            "model": name,
            "created_at": now,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "length" if was_cut else "stop",
            "total_duration": int((load_s + 0.05) * NS),
            "load_duration": int(load_s * NS),
            "prompt_eval_count": sum(len(str(m.get("content") or "").split()) for m in messages),
            "prompt_eval_duration": 10_000_000,
            "eval_count": eval_count,
            "eval_duration": max(eval_count, 1) * 20_000_000,
        }
        tool_calls = [{"function": {"name": n, "arguments": a}} for n, a in calls]
        if body.get("stream", True) is False:
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if reasoning:
                message["thinking"] = reasoning
            if tool_calls:
                message["tool_calls"] = tool_calls
            request.send_json(200, {**final, "message": message})
            return
        request.start_stream("application/x-ndjson")

        def chunk(message: dict[str, Any]) -> None:
            line = {"model": name, "created_at": now, "message": {"role": "assistant", "content": "", **message}, "done": False}
            request.write(json.dumps(line) + "\n")

        for piece in pieces(reasoning or ""):
            chunk({"thinking": piece})
        for piece in pieces(content):
            chunk({"content": piece})
        if tool_calls:
            chunk({"tool_calls": tool_calls})
        request.write(json.dumps(final) + "\n")
        request.end_stream()

    def _load(self, name: str) -> float:
        """A cold model costs ``load_delay_s`` before anything is generated."""
        with self.load_lock:
            if name in self.loaded or self.load_delay_s <= 0:
                self.loaded.add(name)
                return 0.0
            time.sleep(self.load_delay_s)
            self.loaded.add(name)
            return self.load_delay_s
