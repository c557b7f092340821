"""Which sandbox a run's code-executing packs get, and what happens without one.

Sandboxed packs never run unconfined: with no provider able to run, their
scenarios are recorded as ``sandbox_unavailable`` (with the reason and the fix)
and no request is sent for them, unless the user passed ``--unsafe-local``.
"""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.errors import BenchlabError
from benchlab.model import FailureMode, ScenarioResult
from benchlab.plugin_manager import Plugins

UNSAFE_LOCAL = "unsafe-local"


@attrs.define
class SandboxSetup:
    provider: Any
    facts: dict[str, Any]
    unavailable: str | None = None


def choose_for_run(plugins: Plugins, name: str | None, unsafe_local: bool, concurrency: int) -> SandboxSetup:
    """The provider (or None and why), plus what the record and report say about the choice."""
    from benchlab.sandboxes.selection import choose_sandbox

    if unsafe_local:
        if UNSAFE_LOCAL not in plugins.sandboxes:
            raise BenchlabError("--unsafe-local: no unsafe-local provider is installed")
        provider = plugins.sandboxes.get(UNSAFE_LOCAL)(max_concurrency=concurrency)
        return SandboxSetup(provider, {"provider": UNSAFE_LOCAL, "reason": "--unsafe-local: model-written code runs UNCONFINED on this host"})
    choice = choose_sandbox(plugins.sandboxes, name, max_concurrency=concurrency)
    rejected = [
        {"provider": c.name, "reason": c.availability.reason, "fix": c.availability.fix}
        for c in choice.rejected
    ]
    facts = {"provider": choice.provider.name if choice.provider else None, "reason": choice.reason, "not_chosen": rejected}
    return SandboxSetup(choice.provider, facts, None if choice.provider else choice.unavailable_detail())


def unavailable_result(pack_id: str, scenario_id: str, repeat: int, mode: FailureMode, detail: str) -> ScenarioResult:
    """A not-scored result for a scenario that could not be attempted here."""
    return ScenarioResult(pack=pack_id, scenario_id=scenario_id, passed=False, score=0.0, failure_mode=mode, detail=detail, latency_s=None, repeat=repeat)
