"""The speed probe: one short generation that measures decode tokens per second.

Its prompt is benchlab's own, never a scenario's, so no scenario is warmed up.
"""

from __future__ import annotations

import asyncio
import time

from benchlab.backends import Backend
from benchlab.errors import BenchlabError, TransportError
from benchlab.model import ChatRequest

PROBE_PROMPT = "Count from 1 to 40 in words, separated by commas. Output only the words."
PROBE_TIMEOUT_S = 120.0
# A chat route that does not exist: a wrong base URL, not a slow or broken model.
NO_CHAT_ROUTE = (404, 405)


def wrong_url_message(endpoint: str | None, detail: str) -> str:
    """The one line for a chat request answered 404/405: the URL is wrong, playing on is pointless."""
    # Some APIs also answer 404 for an unknown model: the detail shows which it was.
    return (
        f"nothing serves chat requests at {endpoint} ({detail}): check the base URL "
        "(a missing or extra /v1, a wrong port or path) and the model name"
    )


async def measure_tokens_per_s(backend: Backend, *, greedy: bool) -> tuple[float | None, str | None]:
    """``(tokens_per_s, problem)``: a number, or None and why not.

    A 404/405 is a BenchlabError: no scenario could get an answer either.
    """
    request = ChatRequest(
        scenario="benchlab/speed-probe",
        messages=[{"role": "user", "content": PROBE_PROMPT}],
        model=backend.model,
        max_tokens=backend.speed_probe_tokens,
        sampling={"temperature": 0} if greedy else {},
        thinking=False,
    )
    started = time.perf_counter()
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            response = await backend.chat(request)
    except TimeoutError:
        return None, f"the speed probe got no answer within {PROBE_TIMEOUT_S:g}s"
    except TransportError as exc:
        if exc.status_code in NO_CHAT_ROUTE:
            raise BenchlabError(wrong_url_message(backend.endpoint_label, exc.detail)) from None
        return None, f"the speed probe failed: {exc.detail}"
    if response.tokens_per_s:
        return round(response.tokens_per_s, 2), None
    tokens = response.usage.completion_tokens if response.usage else None
    elapsed = response.total_s or (time.perf_counter() - started)
    if tokens and elapsed > 0:
        return round(tokens / elapsed, 2), None
    return None, "the speed probe's answer reported no token usage"
