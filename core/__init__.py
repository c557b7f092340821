"""benchlab: does this LLM endpoint actually behave well?

Public API for plugin authors: ``hookimpl`` marks hook implementations; everything
else a plugin uses (verifier, backend and sandbox base classes, the driver and reporter
protocols, the data model, the HTTP helpers) is in ``benchlab.api``.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("benchlab")

__all__ = ["__version__", "hookimpl"]
