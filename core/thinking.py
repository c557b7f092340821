"""Thinking validity: was reasoning really on when asked for, and off when not?

A model served with reasoning disabled, or a template that ignores the switch,
silently changes what a pack measures. After each pack, benchlab compares what
it asked for with what came back.
"""

from __future__ import annotations

from benchlab.errors import BenchlabError
from typing import Any

REASONING_EFFORTS = ("low", "medium", "high")


def checked_effort(value: str | None) -> str | None:
    """``--reasoning-effort`` normalised, or one clear error for a value no server takes."""
    if value is None:
        return None
    effort = value.strip().lower()
    if effort not in REASONING_EFFORTS:
        raise BenchlabError(f"--reasoning-effort {value!r}: use low, medium or high")
    return effort


def thinking_problem(pack_id: str, asked: bool, results: list[Any]) -> str | None:
    """A warning when thinking was asked for but absent ("silent"), or present when off ("contaminated").

    ``results`` are ``ResultSummary`` objects (a full ``ScenarioResult`` is summarised first)."""
    summaries = [r if hasattr(r, "reasoned") else r.summary() for r in results]
    answered = [r for r in summaries if r.answered]
    if not answered:
        return None
    with_reasoning = sum(1 for r in answered if r.reasoned)
    if asked and with_reasoning == 0:
        return (
            f"{pack_id}: thinking was asked for but none of {len(answered)} responses carried reasoning "
            "(silent): the server or its chat template may ignore the switch"
        )
    if not asked and with_reasoning:
        return (
            f"{pack_id}: thinking was off but {with_reasoning} of {len(answered)} responses carried reasoning "
            "(contaminated): the server may force it on"
        )
    return None
