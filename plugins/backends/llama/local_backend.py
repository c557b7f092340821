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
from benchlab.errors import BenchlabError
from benchlab.plugins.backends.llama.llama_server import EMBEDDED_SHARED_CTX, EMBEDDED_SLOTS
from benchlab.plugins.backends.openai_backend import OpenAIBackend

# A 135M model cannot use a scenario's 1,024 tokens: it loops until the limit. These
# settings fit what it can do, so that `benchlab run --quick` stays a quick smoke test
# (benchmarks/setup/RESULTS.md has the measurements behind them).
LOCAL_MAX_TOKENS = 256
LOCAL_SLOTS = EMBEDDED_SLOTS
LOCAL_SPEED_PROBE_TOKENS = 32
LOCAL_SHARED_CTX = EMBEDDED_SHARED_CTX
# The paragraph a local run's report opens with: what a newcomer is looking at.
SMOKE_TEST_NOTICE = (
    "This is benchlab's embedded smoke test: a llama.cpp server that benchlab runs on this machine "
    "with SmolLM2-135M-Instruct, a 135M-parameter model, and short answers. A model this small scores "
    "low here (it cannot make real tool calls and rarely meets every constraint), so low scores are "
    "expected and are not a ranking of anything: a complete table with no infrastructure failures "
    "shows that the whole pipeline works end to end (server, requests, verifiers, report). To measure "
    "your own model, point benchlab at its server: `benchlab run --endpoint http://HOST:PORT` (add "
    "`--model NAME` when it serves several)."
)


def _positive(value: int, key: str) -> int:
    if value < 1:
        raise BenchlabError(f"backend setting {key}={value}: expected a positive number")
    return value


class LocalBackend(OpenAIBackend):
    """An OpenAI-compatible backend whose server benchlab starts and stops itself.

    ``options.settings`` may carry ``server_binary``, ``model_file``, ``slots``,
    ``ctx_per_slot`` and ``shared_ctx``; ``$BENCHLAB_LLAMA_SERVER`` and ``$BENCHLAB_LLAMA_MODEL``
    point at existing files.
    """

    name = "local"
    takes_endpoint = False  # it starts its own
    not_probeable: ClassVar[str] = ("it starts its own llama-server and talks to no URL; start that server with "
                                    "benchlab local serve and probe the URL it prints")
    setting_keys: ClassVar[tuple[str, ...] | None] = ("slots", "ctx_per_slot", "shared_ctx", "server_binary", "model_file")
    # Two CPU cores gain little from batching a 135M model: 8 answers at once each decode
    # at about an eighth of the probe's speed, and their time budgets must allow for it.
    shares_decoding = True

    def __init__(self, options: BackendOptions) -> None:
        # OpenAIBackend.__init__ insists on an endpoint; ours exists only once started.
        super(OpenAIBackend, self).__init__(options)
        from benchlab.plugins.backends.llama.llama_build import MODEL_ALIAS, ensure_model, ensure_server
        from benchlab.plugins.backends.llama.llama_server import DEFAULT_CTX_PER_SLOT
        from benchlab.backends import setting

        # Type-checked: -o slots=four is one error line, not a traceback from int().
        self.slots = _positive(setting(options, "slots", LOCAL_SLOTS, int), "slots")
        self.ctx_per_slot = _positive(setting(options, "ctx_per_slot", DEFAULT_CTX_PER_SLOT, int), "ctx_per_slot")
        self.shared_ctx = _positive(setting(options, "shared_ctx", LOCAL_SHARED_CTX, int), "shared_ctx")
        self.model = options.model or MODEL_ALIAS
        self.base = ""
        self.v1 = ""
        self._client = None
        self._server: Any = None
        # Built here, before the run's progress bar exists, so the two displays
        # never fight over the terminal; a pack error has already been reported.
        self.server_binary = ensure_server(setting(options, "server_binary", None, str))
        self.model_file = ensure_model(setting(options, "model_file", None, str))

    @property
    def endpoint_label(self) -> str | None:
        return self.base or None

    @property
    def default_concurrency(self) -> int:
        return self.options.concurrency or self.slots

    @property
    def default_max_tokens(self) -> int:
        return LOCAL_MAX_TOKENS

    @property
    def speed_probe_tokens(self) -> int:
        # llama-server times its own decoding (the reply's timings), so a short generation
        # measures it; every probe token delays the first scenario (about 15 ms each here).
        return LOCAL_SPEED_PROBE_TOKENS

    @property
    def answer_token_limit(self) -> int | None:
        return LOCAL_MAX_TOKENS

    @property
    def notice(self) -> str | None:
        return SMOKE_TEST_NOTICE

    @property
    def server_pid(self) -> int | None:
        return self._server.pid if self._server is not None else None

    async def start(self) -> dict[str, Any]:
        from benchlab.plugins.backends.llama.llama_build import MODEL_ALIAS, cache_dir
        from benchlab.plugins.backends.llama.llama_server import LlamaServer

        self._server = LlamaServer(
            self.server_binary,
            self.model_file,
            alias=MODEL_ALIAS,
            log_dir=cache_dir() / "logs",
            slots=self.slots,
            ctx_per_slot=self.ctx_per_slot,
            shared_ctx=self.shared_ctx,
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
