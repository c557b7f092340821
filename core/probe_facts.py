"""Typed probe facts from what a backend's ``start`` reported, with the server fingerprint.

Backends report a dict (``Backend.start``); the keys core knows become fields of
``ProbeFacts`` and the rest is kept in ``extra``. The fingerprint says who answered:
server kind, version and build, the model and its digest or file, and a hash of the
chat template, so two runs can be told apart when any of them changed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from benchlab.codec import structure
from benchlab.model import ProbeFacts, SandboxFacts, ServerFingerprint

# Keys of a backend's facts that are ProbeFacts fields (the rest goes to ``extra``).
_FIELDS = ("detected", "models", "model_listed", "context_size", "slots", "thinking_support", "sampling_defaults",
           "chat_template", "tokens_per_s", "concurrency")
# Keys that make up the fingerprint and are not fields of their own.
_FINGERPRINT = ("server_kind", "version", "build", "model_digest", "model_file")


def template_hash(template: Any) -> str | None:
    return hashlib.sha256(template.encode("utf-8")).hexdigest() if isinstance(template, str) and template else None


def fingerprint(facts: dict[str, Any], model: str | None) -> ServerFingerprint:
    def text(key: str) -> str | None:
        value = facts.get(key)
        return str(value) if value is not None else None

    return ServerFingerprint(
        kind=text("server_kind"), version=text("version"), build=text("build"), model=model,
        model_digest=text("model_digest"), model_file=text("model_file"),
        chat_template_sha256=template_hash(facts.get("chat_template")),
    )


def probe_facts(facts: dict[str, Any], model: str | None) -> ProbeFacts:
    """``ProbeFacts`` from a backend's (and the run's) facts; ``model`` is the model that answered."""
    known = {key: facts[key] for key in _FIELDS if facts.get(key) is not None}
    sandbox = facts.get("sandbox")
    extra = {k: v for k, v in facts.items() if k not in _FIELDS and k not in _FINGERPRINT and k != "sandbox"}
    return ProbeFacts(
        server=fingerprint(facts, model),
        sandbox=structure(sandbox, SandboxFacts) if isinstance(sandbox, dict) else sandbox,
        extra=extra,
        **{key: _typed(key, value) for key, value in known.items()},
    )


def _typed(key: str, value: Any) -> Any:
    """A reported value in the field's type where it can be; a backend's odd value is kept in extra instead."""
    if key in ("context_size", "slots", "concurrency"):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if key == "tokens_per_s":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if key == "models":
        return [str(m) for m in value] if isinstance(value, list) else None
    if key == "model_listed":
        return bool(value)
    if key == "sampling_defaults":
        return value if isinstance(value, dict) else None
    return str(value)
