"""Small HTTP helpers shared by the native backends (ollama, llamacpp, vllm, runpod).

Probing (fail fast, one clear line) and reading a stream under two limits: one
for the first token, which may include loading the model, and one for the gap
between later chunks. The run's total per-attempt limit is the runner's.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Callable

from benchlab.errors import BenchlabError, TransportError
from benchlab.model import FailureMode


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


async def probe(
    client: Any, method: str, url: str, *, endpoint: str, required: bool = True, explain: Any = None, **kwargs: Any
) -> Any:
    """One start-up request under the probe limits; unreachable is a BenchlabError at once.

    On a ``required`` route (the one route a backend cannot do without) an HTML
    404/502 means a proxy with nothing behind it: fatal. An optional route just
    returns its reply, and callers take anything but a 200 as "absent". ``explain``
    is ``BackendOptions.explain_offline`` (what the installed backends know of such pages).
    """
    import httpx

    from benchlab.http import error_from_exception, offline_probe_error, probe_timeout, unreachable_message

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
