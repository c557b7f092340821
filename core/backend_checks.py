"""Checks of what the user asked of a backend, made before it starts (no server, no request).

A backend declares the ``--backend-option`` keys it reads (``Backend.setting_keys``)
and whether ``benchlab probe`` can ask it anything (``Backend.not_probeable``); both
are class attributes, so checking them imports only the backend's own module.
"""

from __future__ import annotations

import difflib
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.plugin_manager import Plugins


def check_settings(plugins: Plugins, backend: str, settings: dict[str, Any]) -> None:
    """Every key in ``settings`` (the user's ``--backend-option``s) must be one ``backend``
    declares; a misspelt key would otherwise be ignored without a word."""
    known = getattr(plugins.backends.get(backend), "setting_keys", None)
    if known is None:  # a backend that does not declare its keys: nothing to check against
        return
    unknown = [key for key in settings if key not in known]
    if not unknown:
        return
    key = unknown[0]
    also = f"; also unknown: {', '.join(unknown[1:])}" if unknown[1:] else ""
    if not known:
        raise BenchlabError(f"--backend-option {key}: backend {backend} takes no settings{also}")
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise BenchlabError(f"--backend-option {key}: backend {backend} has no such setting{hint}; "
                        f"its settings: {', '.join(known)}{also}")


def check_probeable(plugins: Plugins, backend: str) -> None:
    """``benchlab probe`` asks a live server; a backend that has none says why instead.

    A backend that talks to no URL (``takes_endpoint`` False) would ignore the one probe was
    given, and might start a server of its own: refused too, in its own words if it has them."""
    cls = plugins.backends.get(backend)
    why = getattr(cls, "not_probeable", "")
    if not why and not getattr(cls, "takes_endpoint", True):
        why = "it talks to no URL (it starts its own server or answers from a file)"
    if why:
        raise BenchlabError(f"benchlab probe cannot use backend {backend}: {why}")


def check_endpoint(plugins: Plugins, backend: str, endpoint: str | None) -> None:
    """An ``--endpoint`` the backend would not talk to is an error, not a URL silently ignored
    (and recorded as if it had answered)."""
    if endpoint is None:
        return
    if not endpoint.strip():
        raise BenchlabError("--endpoint is empty: give the server's URL, or leave --endpoint out for the embedded default")
    if not getattr(plugins.backends.get(backend), "takes_endpoint", True):
        raise BenchlabError(f"backend {backend} talks to no --endpoint (it starts its own server or answers from a file): "
                            "leave --endpoint out, or name the backend of the server at that URL with -b")
