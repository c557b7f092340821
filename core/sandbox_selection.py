"""Choosing a sandbox: the one asked for, or the best that can run now, and why the others were not."""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.errors import BenchlabError
from benchlab.sandbox import Availability, Sandbox


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
    """Registry entries by the rank their providers declare; ties keep registration order."""
    return sorted(registry, key=lambda entry: getattr(entry.load(), "rank", Sandbox.rank))


def _unconfined(registry: Any, name: str, **options: Any) -> tuple[Sandbox, Availability]:
    """The ``explicit_only`` provider ``name``, checked up front: one clear error if it cannot run."""
    provider = registry.get(name)(**options)
    availability = provider.available()
    if not availability.ok:
        fix = f"; fix: {availability.fix}" if availability.fix else ""
        raise BenchlabError(f"--unsafe-local: {name} cannot run here: {availability.reason}{fix}")
    return provider, availability


def confirm_unconfined(registry: Any, name: str, unsafe_local: bool) -> bool:
    """Whether provider ``name`` runs code unconfined (``explicit_only``); a BenchlabError
    when it does and ``--unsafe-local`` did not confirm it."""
    if not getattr(registry.get(name), "explicit_only", False):
        return False
    if not unsafe_local:
        raise BenchlabError(f"--sandbox {name} runs model-written code UNCONFINED on this host; "
                            "add --unsafe-local to confirm that is what you want")
    return True


def choose_sandbox(registry: Any, name: str | None = None, *, unsafe_local: bool = False, **options: Any) -> SandboxChoice:
    """Pick a provider from the ``sandbox`` registry (``plugins.sandboxes``).

    With ``name`` (``--sandbox NAME``) that provider or a BenchlabError saying why
    it cannot run and how to fix it; an ``explicit_only`` provider (unsafe-local,
    no confinement) also needs ``unsafe_local`` (``--unsafe-local``) as confirmation.
    Without, the first in preference order that can run with its image already
    built, else the first that can run after a build, else -- only with
    ``unsafe_local`` -- unsafe-local, else ``provider=None`` and the reasons
    (``unavailable_detail()``). ``--unsafe-local`` never replaces a sandbox that
    works, nor one asked for by name. ``options`` go to the provider factory.
    """
    if name is not None:
        if confirm_unconfined(registry, name, unsafe_local):
            provider, availability = _unconfined(registry, name, **options)
            return SandboxChoice(provider, f"{name} (asked for): {availability.reason}", [Candidate(name, availability, True)])
        provider = registry.get(name)(**options)
        availability = provider.available()
        if not availability.ok:
            fix = f"; fix: {availability.fix}" if availability.fix else ""
            raise BenchlabError(f"sandbox {name!r} cannot run here: {availability.reason}{fix}")
        ready = provider.image_ready()
        return SandboxChoice(provider, f"{name} (asked for): {availability.reason}", [Candidate(name, availability, ready)])
    candidates: list[Candidate] = []
    providers: dict[str, Sandbox] = {}
    fallback = None
    for entry in _ordered(registry):
        if getattr(entry.load(), "explicit_only", False):
            fallback = fallback or entry.name
            continue  # never chosen unless asked for by name, or as --unsafe-local's last resort
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
    if unsafe_local:
        if fallback is None:
            raise BenchlabError("--unsafe-local: no unconfined provider is installed, and " + choice.unavailable_detail())
        provider, _ = _unconfined(registry, fallback, **options)
        return SandboxChoice(provider, f"{fallback}: no sandbox can run here and --unsafe-local was given, "
                                       "so model-written code runs UNCONFINED on this host", candidates)
    return attrs.evolve(choice, reason=choice.unavailable_detail())
