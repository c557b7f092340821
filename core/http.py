"""Shared HTTP plumbing for backends: URLs, clients, failure classification, probing
(fail fast, one clear line) and reading a stream under two limits: one for the first
token, which may include loading the model, and one for the gap between later chunks
(the run's total per-attempt limit is the runner's).

Imports httpx at module level, so only backends import this module, at first use.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import ssl
import time
from typing import Any, AsyncIterator, Callable

import certifi
import httpx

from benchlab.errors import BenchlabError, TransportError
from benchlab.model import FailureMode
from benchlab.redact import redact_url

MAX_RETRY_AFTER_S = 60.0
# Start-up probes must fail within 5 s of launch when nothing answers: 3 s to
# connect, 3.5 s for a reply, leaving room for the interpreter's start.
PROBE_CONNECT_S = 3.0
PROBE_READ_S = 3.5


def base_url(endpoint: str) -> str:
    """The server root: the endpoint without a trailing ``/v1`` or a pasted route."""
    url = endpoint.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    for suffix in ("/chat/completions", "/completions", "/models"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    if url.endswith("/v1"):
        url = url[:-3]
    return url


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One CA bundle load per process: each costs tens of milliseconds, and httpx loads
    it for every client it builds unless it is handed a context."""
    return ssl.create_default_context(cafile=certifi.where())


def make_client(*, concurrency: int, connect_timeout_s: float, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """One client per endpoint: connection reuse, at most ``concurrency`` connections."""
    limits = httpx.Limits(max_connections=max(concurrency, 1), max_keepalive_connections=max(concurrency, 1))
    timeout = httpx.Timeout(None, connect=connect_timeout_s)
    return httpx.AsyncClient(limits=limits, timeout=timeout, headers=headers or {}, trust_env=False, verify=ssl_context())


def probe_timeout() -> httpx.Timeout:
    """The limits of one start-up probe request (not of a chat request)."""
    return httpx.Timeout(PROBE_READ_S, connect=PROBE_CONNECT_S)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_S)


def error_from_exception(exc: Exception, url: str) -> TransportError:
    """Classify an httpx exception raised before a complete response arrived."""
    where = redact_url(url)
    if isinstance(exc, httpx.ConnectTimeout):
        return TransportError(FailureMode.ENDPOINT_UNREACHABLE, f"connect to {where} timed out", retryable=True)
    if isinstance(exc, httpx.ConnectError):
        return TransportError(FailureMode.ENDPOINT_UNREACHABLE, f"cannot connect to {where}: {_reason(exc)}", retryable=True)
    if isinstance(exc, httpx.TimeoutException):
        return TransportError(FailureMode.TIMEOUT, f"no response from {where} in time ({type(exc).__name__})")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return TransportError(
            FailureMode.HTTP_ERROR, f"connection to {where} dropped before a complete response: {_reason(exc)}", retryable=True
        )
    return TransportError(FailureMode.HTTP_ERROR, f"request to {where} failed: {_reason(exc)}", retryable=True)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def looks_like_html(body: str, headers: httpx.Headers | dict[str, str] | None = None) -> bool:
    """Whether a body is a web page rather than an API's JSON or text."""
    content_type = headers.get("content-type", "") if headers is not None else ""
    if "text/html" in content_type.lower():
        return True
    head = body.lstrip()[:200].lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or "<body" in head


# What a backend can say about an HTML 404/502 page from a URL of its platform (None: nothing).
OfflineExplainer = Callable[[str, int], "str | None"]


def _offline_error(status: int, body: str, url: str | None, explain: OfflineExplainer | None = None) -> TransportError:
    # A 404/502 *page* comes from a proxy or a web server in front of the API,
    # not from the model server: nothing is serving the API there right now.
    detail = explain(url, status) if explain is not None and url else None
    if detail is None:
        where = f" at {redact_url(url)}" if url else ""
        detail = (
            f"HTTP {status} with an HTML page instead of an API response: nothing serves the API{where} "
            "(a stopped server behind a proxy, or a wrong URL)"
        )
    return TransportError(
        FailureMode.ENDPOINT_UNREACHABLE, detail, retryable=status == 502, raw=body[:2000], status_code=status
    )


def error_from_status(
    status: int, body: str, headers: httpx.Headers | dict[str, str], url: str | None = None,
    explain: OfflineExplainer | None = None,
) -> TransportError:
    """Classify a non-2xx response (``url``, when given, sharpens the message; ``explain``
    is the backends' word on an offline page from their platform, ``BackendOptions.explain_offline``)."""
    if status in (404, 502) and looks_like_html(body, headers):
        return _offline_error(status, body, url, explain)
    snippet = _error_snippet(body)
    if status == 429:
        return TransportError(
            FailureMode.HTTP_ERROR,
            f"HTTP 429 rate limited: {snippet}",
            retryable=True,
            retry_after=retry_after_seconds(headers.get("retry-after")),
            raw=body,
            status_code=status,
        )
    if status >= 500:
        return TransportError(
            FailureMode.SERVER_ERROR,
            f"HTTP {status}: {snippet}",
            retryable=True,
            retry_after=retry_after_seconds(headers.get("retry-after")),
            raw=body,
            status_code=status,
        )
    return TransportError(
        FailureMode.HTTP_ERROR, f"HTTP {status}: {snippet}", retryable=status == 408, raw=body, status_code=status
    )


def _error_snippet(body: str) -> str:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return " ".join(body.split())[:200] or "(empty body)"
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        error = error.get("message", error)
    return str(error)[:200]


def parse_json_body(body: str, status: int) -> Any:
    """A 200 body as JSON; garbage or an error object is a server_error.

    Both are retryable: a proxy glitch or a worker that failed behind a 200
    (as queue-based and proxied servers report) may well succeed next time.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting past the recursion limit
        raise TransportError(
            FailureMode.SERVER_ERROR,
            f"HTTP {status} with a body that is not JSON: {body[:120]!r}",
            retryable=True,
            raw=body,
            status_code=status,
        ) from None
    if isinstance(data, dict) and data.get("error"):
        raise TransportError(
            FailureMode.SERVER_ERROR,
            f"HTTP {status} with an error body: {_error_snippet(body)}",
            retryable=True,
            raw=data,
            status_code=status,
        )
    return data


def unreachable_message(exc: TransportError, endpoint: str) -> BenchlabError:
    """The one line shown when the probe cannot reach an endpoint."""
    return BenchlabError(
        f"cannot reach {redact_url(endpoint)}: {exc.detail}. Is the server running, and is the URL right?"
    )


def offline_probe_error(
    status: int, body: str, headers: httpx.Headers | dict[str, str], url: str, explain: OfflineExplainer | None = None
) -> BenchlabError | None:
    """The probe's one line when a proxy says nothing is behind it (None otherwise)."""
    if status in (404, 502) and looks_like_html(body, headers):
        return BenchlabError(f"cannot use {redact_url(url)}: {_offline_error(status, body, url, explain).detail}")
    return None


async def probe(
    client: Any, method: str, url: str, *, endpoint: str, required: bool = True, explain: OfflineExplainer | None = None,
    **kwargs: Any,
) -> Any:
    """One start-up request under the probe limits; unreachable is a BenchlabError at once.

    On a ``required`` route (the one route a backend cannot do without) an HTML
    404/502 means a proxy with nothing behind it: fatal. An optional route just
    returns its reply, and callers take anything but a 200 as "absent". ``explain``
    is ``BackendOptions.explain_offline`` (what the installed backends know of such pages).
    """
    try:
        reply = await client.request(method, url, timeout=probe_timeout(), **kwargs)
    except httpx.HTTPError as exc:
        raise unreachable_message(error_from_exception(exc, url), endpoint) from None
    if required:
        offline = offline_probe_error(reply.status_code, reply.text, reply.headers, url, explain)
        if offline is not None:
            raise offline
    return reply


def json_or_none(reply: Any) -> Any:
    """The reply's JSON when it is a 200 with a JSON body; None otherwise."""
    if reply.status_code != 200:
        return None
    try:
        return reply.json()
    except (ValueError, RecursionError):
        return None


async def read_lines(
    lines: AsyncIterator[str],
    feed: Callable[[str, float], None],
    *,
    started: float,
    first_token_s: float,
    idle_s: float,
    has_token: Callable[[], bool],
    done: Callable[[], bool],
) -> None:
    """Feed stream lines until ``done()``, enforcing the first-token and idle limits."""
    iterator = lines.__aiter__()
    while not done():
        if has_token():
            limit, what = idle_s, f"the stream stalled: nothing for {idle_s:g}s"
        else:
            limit = max(first_token_s - (time.perf_counter() - started), 0.001)
            what = f"no first token within {first_token_s:g}s (still loading the model? raise first_token_timeout_s)"
        try:
            line = await asyncio.wait_for(iterator.__anext__(), timeout=limit)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise TransportError(FailureMode.TIMEOUT, what) from None
        feed(line, time.perf_counter())
