"""Reading what older benchlab versions wrote: schema 1 records and journals, in today's shape.

Saved runs are read back (resume, and later inspect, diff, rescore), so a record of an
older schema is upgraded on read, never rejected. Schema 1 kept the configuration flat,
the probe facts as a plain dict, the negative control's junk kind in ``variant``, and
keyed results by (pack, scenario, repeat) only.
"""

from __future__ import annotations

from typing import Any

from benchlab.config import upgrade_config
from benchlab.model import thinking_arm

NON_CANONICAL = "non-canonical sampling: "


def upgrade_result(data: dict[str, Any], version: int) -> dict[str, Any]:
    """A result line or ``results`` entry in today's shape."""
    if version >= 2:
        return data
    data = dict(data)
    data["junk_kind"] = data.pop("variant", "") or ""
    data.setdefault("prompt_variant", "default")
    request = data.get("request") if isinstance(data.get("request"), dict) else {}
    data.setdefault("thinking", thinking_arm(bool(request.get("thinking"))))
    return data


def upgrade_record(data: dict[str, Any]) -> dict[str, Any]:
    """A ``run.json`` in today's shape (``schema_version`` removed)."""
    from benchlab.codec import unstructure
    from benchlab.probe_facts import probe_facts

    data = dict(data)
    version = data.pop("schema_version", 1)
    if version >= 2:
        return data
    data["config"] = upgrade_config(data.get("config") or {})
    probe = data.get("probe") if isinstance(data.get("probe"), dict) else {}
    data["probe"] = unstructure(probe_facts(probe, data.get("model")))
    data["results"] = [upgrade_result(r, version) for r in data.get("results") or []]
    warnings = list(data.get("warnings") or [])
    data["non_canonical_sources"] = [w[len(NON_CANONICAL):] for w in warnings if w.startswith(NON_CANONICAL)]
    data["warnings"] = [w for w in warnings if not w.startswith(NON_CANONICAL)]
    return data
