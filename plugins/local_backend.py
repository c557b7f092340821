"""Backend ``local``: the embedded default, a private llama.cpp server with SmolLM2-135M.

``benchlab run`` with neither ``--endpoint`` nor ``--replay`` uses it. It finds or
builds ``llama-server`` and fetches the model (both cached in the user cache dir),
starts the server on a free loopback port, talks to it as any OpenAI-compatible
endpoint, and stops it when the run ends. Also adds ``benchlab local setup`` and
``benchlab local serve``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from benchlab.backends import BackendOptions
from benchlab.plugins.openai_backend import OpenAIBackend

SMOKE_TEST_WARNING = (
    "backend local runs SmolLM2-135M-Instruct, a 135M-parameter model: its scores are a smoke test "
    "of the setup, not a ranking of models (pass --endpoint to measure your own server)"
)
LOCAL_MAX_TOKENS = 512


class LocalBackend(OpenAIBackend):
    """An OpenAI-compatible backend whose server benchlab starts and stops itself.

    ``options.settings`` may carry ``server_binary``, ``model_file``, ``slots`` and
    ``ctx_per_slot``; ``$BENCHLAB_LLAMA_SERVER`` and ``$BENCHLAB_LLAMA_MODEL``
    point at existing files.
    """

    name = "local"
    setting_keys: ClassVar[tuple[str, ...] | None] = ("slots", "ctx_per_slot", "server_binary", "model_file")

    def __init__(self, options: BackendOptions) -> None:
        # OpenAIBackend.__init__ insists on an endpoint; ours exists only once started.
        super(OpenAIBackend, self).__init__(options)
        from benchlab.plugins.llama_build import MODEL_ALIAS, ensure_model, ensure_server
        from benchlab.plugins.llama_server import DEFAULT_CTX_PER_SLOT, DEFAULT_SLOTS
        from benchlab.plugins.native_http import setting

        # Type-checked: -o slots=four is one error line, not a traceback from int().
        self.slots = setting(options, "slots", None, int) or DEFAULT_SLOTS
        self.ctx_per_slot = setting(options, "ctx_per_slot", None, int) or DEFAULT_CTX_PER_SLOT
        self.model = options.model or MODEL_ALIAS
        self.base = ""
        self.v1 = ""
        self._client = None
        self._server: Any = None
        # Built here, before the run's progress bar exists, so the two displays
        # never fight over the terminal; a pack error has already been reported.
        self.server_binary = ensure_server(setting(options, "server_binary", None, str))
        self.model_file = ensure_model(setting(options, "model_file", None, str))
        self.warnings.append(SMOKE_TEST_WARNING)

    @property
    def endpoint_label(self) -> str | None:
        return self.base or None

    @property
    def default_concurrency(self) -> int:
        return self.options.concurrency or self.slots

    @property
    def default_max_tokens(self) -> int:
        # A 135M model rambles; long answers only cost time.
        return LOCAL_MAX_TOKENS

    @property
    def server_pid(self) -> int | None:
        return self._server.pid if self._server is not None else None

    async def start(self) -> dict[str, Any]:
        from benchlab.plugins.llama_build import MODEL_ALIAS, cache_dir
        from benchlab.plugins.llama_server import LlamaServer

        self._server = LlamaServer(
            self.server_binary,
            self.model_file,
            alias=MODEL_ALIAS,
            log_dir=cache_dir() / "logs",
            slots=self.slots,
            ctx_per_slot=self.ctx_per_slot,
        )
        self._server.launch()
        await self._server.wait_ready_async()
        self.base = self._server.base_url
        self.v1 = self.base + "/v1"
        found = await super().start()
        found.update(await self._props())
        found.update(
            server_kind="llama.cpp (local)",
            slots=self.slots,
            server_binary=str(self.server_binary),
            model_file=str(self.model_file),
            server_log=str(self._server.log_path),
        )
        return found

    async def _props(self) -> dict[str, Any]:
        """What llama-server says of itself under ``/props``; empty if it will not say."""
        import httpx

        from benchlab.http import probe_timeout

        try:
            reply = await self.client.get(f"{self.base}/props", timeout=probe_timeout())
            props = reply.json() if reply.status_code == 200 else {}
        except (httpx.HTTPError, ValueError, RecursionError):
            return {}
        if not isinstance(props, dict):
            return {}
        settings = props.get("default_generation_settings") or {}
        found: dict[str, Any] = {"version": props.get("build_info")}
        n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
        if n_ctx:
            found["context_size"] = n_ctx
        if props.get("chat_template"):
            found["chat_template"] = props["chat_template"]
        return {k: v for k, v in found.items() if v is not None}

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            if self._server is not None:
                self._server.stop()
