"""Which sampling a request gets, and whether the run is still canonical.

Precedence, lowest first: greedy (temperature 0), the pack's ``[sampling]``,
the scenario's ``sampling``, then the user's flags (``--temperature`` and the
rest), which always win. ``--extra-body`` is merged into the request body last
of all, by the backend. A run is canonical only when nothing but benchlab's
greedy default decided the sampling.
"""

from __future__ import annotations

from typing import Any

from benchlab.model import Pack

GREEDY = {"temperature": 0}
# Sampling keys in any dialect (canonical names, vLLM's, and the nests Ollama and worker-vLLM use).
SAMPLING_KEYS = {
    "temperature", "top_p", "top_k", "min_p", "repeat_penalty", "repetition_penalty", "seed",
    "presence_penalty", "frequency_penalty", "typical_p", "mirostat",
}
NESTS = ("options", "sampling_params")


def request_sampling(pack: Pack, scenario_sampling: dict[str, Any], user: dict[str, Any] | None) -> dict[str, Any]:
    """The sampling one request carries; ``user`` None means send none (the server's defaults)."""
    if user is None:
        return {}
    return {**GREEDY, **pack.manifest.sampling, **scenario_sampling, **user}


def seed_for_repeat(sampling: dict[str, Any], repeat: int) -> dict[str, Any]:
    """Repeat r of a run with a fixed seed S sends seed S + r.

    The same seed on every repeat would have the server draw the same answer each time: one
    repeat's answer standing in for another's. S + r keeps repeats independent draws and the
    run reproducible (repeat 0 sends S itself).
    """
    seed = sampling.get("seed")
    if repeat and isinstance(seed, int) and not isinstance(seed, bool):
        return {**sampling, "seed": seed + repeat}
    return sampling


def _sampling_in(body: dict[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in body.items() if k in SAMPLING_KEYS}
    for nest in NESTS:
        if isinstance(body.get(nest), dict):
            found.update({k: v for k, v in body[nest].items() if k in SAMPLING_KEYS})
    return found


def _shown(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def non_canonical_sources(packs: list[Pack], extra_body: dict[str, Any]) -> list[str]:
    """What set sampling besides the user's sampling flags: each makes the run non-canonical."""
    sources = []
    for pack in packs:
        if pack.manifest.sampling:
            sources.append(f"pack {pack.id} [sampling] sets {_shown(pack.manifest.sampling)}")
        scenarios = [s.id for s in pack.scenarios if s.sampling]
        if scenarios:
            sources.append(f"pack {pack.id}: {len(scenarios)} scenario(s) set their own sampling ({', '.join(scenarios[:5])})")
    from_body = _sampling_in(extra_body or {})
    if from_body:
        sources.append(f"--extra-body sets {_shown(from_body)}")
    return sources
