"""The backend base class: how benchlab talks to one endpoint.

A backend maps a normalised ``ChatRequest`` onto its server's dialect and the
reply back onto a ``ChatResponse``. Transport failures are raised as
``TransportError`` with a failure mode; the runner owns retries and timeouts.
"""

from __future__ import annotations

import abc
from typing import Any, Callable, ClassVar

import attrs

from benchlab.errors import BenchlabError
from benchlab.model import ChatRequest, ChatResponse


@attrs.define
class BackendOptions:
    """What the user said about the endpoint. Never saved: it may hold a key."""

    endpoint: str | None = None
    model: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    stream: bool = False
    extra_body: dict[str, Any] = attrs.field(factory=dict)
    replay_file: str | None = None
    connect_timeout_s: float = 3.0
    concurrency: int | None = None
    settings: dict[str, Any] = attrs.field(factory=dict)
    # What the installed backends can say about an offline page from their platform's URLs
    # (``benchlab.http.error_from_status``'s ``explain``); see ``offline_explainer``.
    explain_offline: Callable[[str, int], str | None] | None = attrs.field(default=None, repr=False, eq=False)


def offline_explainer(plugins: Any) -> Callable[[str, int], str | None]:
    """One explainer asking every registered backend class with an ``explain_offline_page(url, status)``
    classmethod (e.g. a hosting platform that recognises its proxy URLs); classes load on first use."""

    def explain(url: str, status: int) -> str | None:
        for entry in plugins.backends:
            method = getattr(entry.load(), "explain_offline_page", None)
            text = method(url, status) if method is not None else None
            if text:
                return str(text)
        return None

    return explain


def setting(options: Any, key: str, default: Any, kind: type | tuple[type, ...] | None = None) -> Any:
    """A backend setting (``BackendOptions.settings``), type-checked; a wrong type is the user's error."""
    value = (options.settings or {}).get(key, default)
    if value is default or kind is None:
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    if kind is bool and isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BenchlabError(f"backend setting {key}={value!r}: expected {names}")
    return value


class Backend(abc.ABC):
    """One endpoint. ``start`` probes it; ``chat`` sends one request."""

    name: ClassVar[str] = "backend"
    # Whether a short generation can measure this endpoint's decode speed.
    measures_speed: ClassVar[bool] = True
    # Whether it talks to the server at --endpoint (False: it starts its own, or answers from a file).
    takes_endpoint: ClassVar[bool] = True
    # The --backend-option keys this backend reads, checked before it starts (a misspelt key
    # is an error, not silently ignored). None: undeclared, every key is passed through.
    setting_keys: ClassVar[tuple[str, ...] | None] = None
    # Why `benchlab probe` cannot ask this backend anything (it has no live server); "" if it can.
    not_probeable: ClassVar[str] = ""
    # Whether the requests in flight share the one decode speed the probe measured (a server
    # on a few CPU cores with little to gain from batching): each scenario's time budget then
    # assumes its share, the measured speed divided by the concurrency (benchlab/timeouts.py).
    shares_decoding: ClassVar[bool] = False

    def __init__(self, options: BackendOptions) -> None:
        self.options = options
        self.model: str | None = options.model
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    def warn_once(self, key: str, text: str) -> None:
        """Add a run warning the first time ``key`` comes up (not once per scenario)."""
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(text)

    @property
    def endpoint_label(self) -> str | None:
        """The endpoint as it may be shown and saved (credentials removed)."""
        from benchlab.redact import redact_url

        return redact_url(self.options.endpoint) if self.options.endpoint else None

    @property
    def default_concurrency(self) -> int:
        return 1

    @property
    def default_max_tokens(self) -> int:
        """max_tokens when neither the user nor the scenario sets one."""
        return 2048

    @property
    def speed_probe_tokens(self) -> int:
        """How many tokens the speed probe (benchlab/speed.py) asks for: enough to time decoding here."""
        return 96

    @property
    def answer_token_limit(self) -> int | None:
        """The most tokens one answer may take here, whatever a scenario asks; None: no limit.

        For an endpoint whose model cannot use a scenario's budget (a tiny model that
        rambles until the limit): the extra tokens only cost time. ``--max-tokens`` lifts it.
        """
        return None

    @property
    def notice(self) -> str | None:
        """What a reader of this run's report must know first: the report opens with it. None: nothing."""
        return None

    @abc.abstractmethod
    async def start(self) -> dict[str, Any]:
        """Probe the endpoint and return what was found; raise BenchlabError,
        within seconds, when it cannot be reached.

        Known keys (all optional): ``server_kind``, ``version``, ``models``,
        ``model_listed``, ``context_size``, ``slots``, ``thinking_support``,
        ``chat_template``, ``sampling_defaults``, ``tokens_per_s``.
        """

    @abc.abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResponse:
        """Send one request; raise ``TransportError`` when no usable response came."""

    async def aclose(self) -> None:
        """Release connections and anything ``start`` launched."""


class HttpBackend(Backend):
    """A backend that talks HTTP through one pooled client per endpoint, made on first use."""

    def __init__(self, options: BackendOptions) -> None:
        super().__init__(options)
        self._client: Any = None

    def headers(self) -> dict[str, str]:
        """Headers sent with every request (an Authorization header, say)."""
        return {}

    @property
    def client(self) -> Any:
        if self._client is None:
            from benchlab.http import make_client

            self._client = make_client(
                concurrency=self.options.concurrency or self.default_concurrency,
                connect_timeout_s=self.options.connect_timeout_s,
                headers=self.headers(),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
