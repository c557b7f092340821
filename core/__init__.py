"""benchlab: does this LLM endpoint actually behave well?

Public API for plugin authors: ``hookimpl`` marks hook implementations; the
data model lives in ``benchlab.model``, the verifier base class in
``benchlab.verifiers`` and the backend base class in ``benchlab.backends``.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("benchlab")

__all__ = ["__version__", "hookimpl"]
