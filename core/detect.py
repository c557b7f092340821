"""Which server is behind a URL: each native backend recognises its own.

Backends with a ``detect`` classmethod are asked in ``detect_order`` (Ollama's
/api/version, llama.cpp's /props, vLLM's /version); the first that recognises
the server wins, and the backend registered with the role ``fallback`` serves
the rest. Optional routes that answer 404 or 405 mean "not this kind", never an error.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchlab.plugin_manager import Plugins

async def detect_backend(endpoint: str, plugins: Plugins, api_key: str | None = None) -> tuple[str, dict[str, Any]]:
    """``(backend name, facts)`` for ``endpoint``; fails fast when nothing answers."""
    import httpx

    from benchlab.http import base_url, error_from_exception, probe_timeout, ssl_context, unreachable_message

    base = base_url(endpoint)
    candidates = []
    for entry in plugins.backends:
        cls = entry.load()
        if callable(getattr(cls, "detect", None)):
            candidates.append((getattr(cls, "detect_order", 100), entry.name, cls))
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    timeout = probe_timeout()  # fail fast, under 5 s, when nothing answers
    async with httpx.AsyncClient(timeout=timeout, headers=headers, trust_env=False, verify=ssl_context()) as client:
        try:
            await client.get(base + "/", timeout=timeout)
        except httpx.HTTPError as exc:
            raise unreachable_message(error_from_exception(exc, base), endpoint) from None
        ordered = sorted(candidates, key=lambda c: (c[0], c[1]))

        async def ask(cls: Any) -> dict[str, Any] | None:
            try:
                return await cls.detect(base, client)
            except httpx.HTTPError:
                return None

        # All at once: one round trip instead of one per kind of server (remote APIs are slow).
        answers = await asyncio.gather(*(ask(cls) for _, _, cls in ordered))
        for (_, name, _), facts in zip(ordered, answers):
            if facts is not None:
                return name, {"detected": name, **facts}
    fallback = plugins.backends.require_role("fallback", "serves an endpoint no backend recognises")
    return fallback, {"detected": fallback}

