"""``benchlab probe URL``: what is behind an endpoint."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from benchlab.backend_checks import check_probeable, check_settings
from benchlab.backends import BackendOptions, offline_explainer
from benchlab.errors import BenchlabError
from benchlab.plugin_manager import Plugins

SHOWN = ("server_kind", "version", "models", "model_listed", "context_size", "slots", "thinking_support", "sampling_defaults", "tokens_per_s")


async def gather_facts(
    endpoint: str, backend_name: str | None, model: str | None, api_key: str | None, speed: bool, plugins: Plugins, settings: dict[str, Any]
) -> dict[str, Any]:
    from benchlab.detect import detect_backend
    from benchlab.speed import measure_tokens_per_s

    facts: dict[str, Any] = {}
    if backend_name is None:
        backend_name, facts = await detect_backend(endpoint, plugins, api_key)
    elif backend_name not in plugins.backends:
        raise BenchlabError(plugins.backends.unknown_message(backend_name))
    check_probeable(plugins, backend_name)
    check_settings(plugins, backend_name, settings)
    options = BackendOptions(endpoint=endpoint, model=model, api_key=api_key, settings=settings, explain_offline=offline_explainer(plugins))
    backend = plugins.backends.get(backend_name)(options)
    try:
        facts = {"backend": backend_name, **facts, **await backend.start()}
        facts["model"] = backend.model
        if speed and backend.measures_speed:
            tps, problem = await measure_tokens_per_s(backend, greedy=True)
            facts["tokens_per_s"] = tps
            if problem:
                backend.warnings.append(problem)
        facts["warnings"] = backend.warnings
    finally:
        await backend.aclose()
    return facts


def probe_command(
    endpoint: str, backend: str | None, model: str | None, api_key: str | None, speed: bool, as_json: bool, plugins: Plugins, settings: dict[str, Any]
) -> int:
    facts = asyncio.run(gather_facts(endpoint, backend, model, api_key, speed, plugins, settings))
    if as_json:
        from benchlab.codec import with_version

        print(json.dumps(with_version(facts), indent=2, default=str))
        return 0
    print(f"endpoint      {endpoint}")
    print(f"backend       {facts['backend']}")
    for key in SHOWN:
        if facts.get(key) is not None:
            value = facts[key]
            if isinstance(value, (list, dict)):
                value = json.dumps(value)
            print(f"{key:<13} {value}")
    for warning in facts.get("warnings") or []:
        print(f"warning       {warning}")
    return 0
