"""Name -> object registries filled by the ``register_*`` hooks.

A registered object may be given as a ``"module:attr"`` string so registration
stays cheap; it is imported on first use.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any, Iterator

import attrs

from benchlab.errors import RegistryError


@attrs.define
class Entry:
    """One registered name, who registered it, and what it points to."""

    name: str
    target: Any
    plugin: str
    summary: str = ""
    # What core needs to know of this entry without naming it (see Registry.with_role).
    roles: tuple[str, ...] = ()

    def load(self) -> Any:
        if isinstance(self.target, str) and ":" in self.target:
            module_name, _, attr = self.target.partition(":")
            try:
                obj: Any = importlib.import_module(module_name)
                for part in attr.split("."):
                    obj = getattr(obj, part)
            except (ImportError, AttributeError) as exc:
                raise RegistryError(
                    f"plugin {self.plugin!r} registered {self.name!r} as {self.target!r}, "
                    f"which cannot be imported: {exc}"
                ) from exc
            self.target = obj
        return self.target


class Registry:
    """Unique names of one kind (backend, verifier, pack, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add(self, name: str, target: Any, *, plugin: str, summary: str = "", roles: tuple[str, ...] = ()) -> None:
        if not isinstance(name, str) or not name:
            raise RegistryError(f"plugin {plugin!r} registered a {self.kind} with an empty name")
        existing = self._entries.get(name)
        if existing is not None:
            raise RegistryError(
                f"{self.kind} {name!r} is registered twice: by plugin {existing.plugin!r} "
                f"and by plugin {plugin!r}; uninstall or disable one of them"
            )
        for role in roles:
            holder = self.with_role(role)
            if holder is not None:
                raise RegistryError(
                    f"{self.kind} role {role!r} is claimed twice: by {holder!r} (plugin {self._entries[holder].plugin!r}) "
                    f"and by {name!r} (plugin {plugin!r})"
                )
        self._entries[name] = Entry(name, target, plugin, summary, tuple(roles))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Entry]:
        """Entries in registration order."""
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entry(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise RegistryError(self.unknown_message(name)) from None

    def get(self, name: str) -> Any:
        return self.entry(name).load()

    def with_role(self, role: str) -> str | None:
        """The name of the entry registered with ``role`` (one per role), or None.

        Roles let core ask for what it needs without naming a plugin: the backend used
        when no endpoint is given (``no_endpoint``), the one detection falls back to
        (``fallback``), the one ``--replay`` selects (``recorded_answers``); the driver of a scenario
        that names none (``default``); the reporter printed on stdout by default (``stdout``).
        """
        return next((e.name for e in self._entries.values() if role in e.roles), None)

    def require_role(self, role: str, why: str) -> str:
        """``with_role``, or one clear error saying that no installed plugin provides it."""
        name = self.with_role(role)
        if name is None:
            raise RegistryError(f"no installed {self.kind} has the role {role!r}, which {why}")
        return name

    def unknown_message(self, name: str) -> str:
        known = self.names()
        hint = difflib.get_close_matches(name, known, n=1)
        did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
        listing = ", ".join(known) if known else "none"
        return f"unknown {self.kind} {name!r}{did_you_mean} (available: {listing})"
