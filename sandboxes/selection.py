"""Choosing a sandbox: the one asked for, or the best that can run now, and why the others were not."""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.errors import BenchlabError
from benchlab.sandboxes.api import Availability, Sandbox

# Docker is the primary provider; bubblewrap the fallback. Third-party providers come after.
PREFERENCE = ("docker", "bwrap")


@attrs.frozen
class Candidate:
    """One provider as seen by the selection: can it run, is its image already there."""

    name: str
    availability: Availability
    ready: bool


@attrs.frozen
class SandboxChoice:
    """The chosen provider (None when none can run) and every candidate with its verdict."""

    provider: Sandbox | None
    reason: str
    candidates: list[Candidate] = attrs.field(factory=list)

    @property
    def rejected(self) -> list[Candidate]:
        chosen = self.provider.name if self.provider else None
        return [c for c in self.candidates if c.name != chosen]

    def unavailable_detail(self) -> str:
        """The text of a ``sandbox_unavailable`` result: what failed where, and the fixes."""
        parts = [f"{c.name}: {c.availability.reason}" + (f" (fix: {c.availability.fix})" if c.availability.fix else "")
                 for c in self.candidates if not c.availability.ok]
        return "no sandbox can run here; " + "; ".join(parts or ["no sandbox provider is installed"])


def _ordered(registry: Any) -> list[Any]:
    entries = list(registry)
    rank = {name: index for index, name in enumerate(PREFERENCE)}
    return sorted(entries, key=lambda e: rank.get(e.name, len(PREFERENCE)))


def choose_sandbox(registry: Any, name: str | None = None, **options: Any) -> SandboxChoice:
    """Pick a provider from the ``sandbox`` registry (``plugins.sandboxes``).

    With ``name`` (``--sandbox NAME``) that provider or a BenchlabError saying why
    it cannot run and how to fix it. Without, the first in preference order that
    can run with its image already built, else the first that can run after a
    build, else ``provider=None`` and the reasons (``unavailable_detail()``).
    ``options`` go to the provider factory (e.g. ``max_concurrency``).
    """
    if name is not None:
        provider = registry.get(name)(**options)
        availability = provider.available()
        if not availability.ok:
            fix = f"; fix: {availability.fix}" if availability.fix else ""
            raise BenchlabError(f"sandbox {name!r} cannot run here: {availability.reason}{fix}")
        ready = provider.image_ready()
        return SandboxChoice(provider, f"{name} (asked for): {availability.reason}", [Candidate(name, availability, ready)])
    candidates: list[Candidate] = []
    providers: dict[str, Sandbox] = {}
    for entry in _ordered(registry):
        if getattr(entry.load(), "explicit_only", False):
            continue  # never chosen unless asked for by name (unsafe-local)
        provider = entry.load()(**options)
        availability = provider.available()
        ready = availability.ok and provider.image_ready()
        candidates.append(Candidate(entry.name, availability, ready))
        providers[entry.name] = provider
    for want_ready in (True, False):
        for candidate in candidates:
            if candidate.availability.ok and candidate.ready == want_ready:
                why = "" if want_ready else " (its image is built on first use)"
                return SandboxChoice(providers[candidate.name], f"{candidate.name}: {candidate.availability.reason}{why}", candidates)
    choice = SandboxChoice(None, "", candidates)
    return attrs.evolve(choice, reason=choice.unavailable_detail())
