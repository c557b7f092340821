"""Which sandbox a run's code-executing packs get, and what happens without one.

Sandboxed packs never run unconfined: with no provider able to run, their
scenarios are recorded as ``sandbox_unavailable`` (with the reason and the fix)
and no request is sent for them, unless the user passed ``--unsafe-local``.
"""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.model import FailureMode, ResultKey, SandboxCandidate, SandboxFacts, ScenarioResult
from benchlab.plugin_manager import Plugins


@attrs.define
class SandboxSetup:
    provider: Any
    facts: SandboxFacts
    unavailable: str | None = None


def choose_for_run(plugins: Plugins, name: str | None, unsafe_local: bool, concurrency: int) -> SandboxSetup:
    """The provider (or None and why), plus what the record and report say about the choice.

    ``--unsafe-local`` only lets unsafe-local run when no sandbox can (or when it is
    named with ``--sandbox unsafe-local``); a BenchlabError when it cannot run either.
    """
    from benchlab.sandbox_selection import choose_sandbox

    choice = choose_sandbox(plugins.sandboxes, name, unsafe_local=unsafe_local, max_concurrency=concurrency)
    rejected = [SandboxCandidate(c.name, c.availability.ok, c.availability.reason, c.availability.fix) for c in choice.rejected]
    if name is not None:  # the others were not even looked at: say so rather than nothing
        rejected += [
            SandboxCandidate(entry.name, None, f"not asked for (--sandbox {name})")
            for entry in plugins.sandboxes
            if entry.name != name and not getattr(entry.load(), "explicit_only", False)
        ]
    chosen = choice.provider.name if choice.provider else None
    unconfined = bool(choice.provider is not None and choice.provider.explicit_only)
    facts = SandboxFacts(provider=chosen, reason=choice.reason, not_chosen=rejected, unconfined=unconfined)
    return SandboxSetup(choice.provider, facts, None if choice.provider else choice.unavailable_detail())


def sandbox_lines(facts: SandboxFacts | None) -> list[str]:
    """What the report and stderr say about the run's sandbox: which ran, why the others did not."""
    if facts is None:
        return []
    provider = facts.provider
    lines = [f"Sandbox: {facts.reason or provider}" if provider else "Sandbox: none can run here; sandboxed packs were not scored"]
    for other in facts.not_chosen:
        if other.available and provider:
            lines.append(f"Sandbox not used: {other.provider}: it can run too, but {provider} comes first")
            continue
        fix = f" (fix: {other.fix})" if other.fix else ""
        lines.append(f"Sandbox not used: {other.provider}: {other.reason}{fix}")
    if facts.unconfined:
        lines.append("UNCONFINED: model-written code ran on this host with NO sandbox (--unsafe-local)")
    return lines


def unavailable_result(key: ResultKey, mode: FailureMode, detail: str) -> ScenarioResult:
    """A not-scored result, under ``key``, for a scenario that could not be attempted here."""
    return ScenarioResult(pack=key.pack, scenario_id=key.scenario_id, passed=False, score=0.0, failure_mode=mode, detail=detail,
                          latency_s=None, repeat=key.repeat, prompt_variant=key.prompt_variant, thinking=key.thinking)
