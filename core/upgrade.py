"""Reading what older benchlab versions wrote: schema 1 and 2 records and journals, in today's shape.

Saved runs are read back (resume, inspect, diff, rescore), so a record of an older schema
is upgraded on read, never rejected. Schema 1 kept the configuration flat, the probe facts
as a plain dict, the negative control's junk kind in ``variant``, and keyed results by
(pack, scenario, repeat) only. Schemas 1 and 2 kept every result whole in ``run.json``
(request, response, turns); schema 3 keeps summaries there and the whole results in the
journal only. Journal lines are the same in schemas 2 and 3.
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


def summary_data(data: dict[str, Any], offset: int | None) -> dict[str, Any]:
    """A full result (a journal line, or a schema 2 ``results`` entry) as ``ResultSummary`` data:
    the exchange dropped, what the run's checks need of it kept (answered, reasoned, tokens)."""
    from benchlab.model import EXCHANGE_FIELDS

    final = data.get("response") if isinstance(data.get("response"), dict) else None
    turns = data.get("turns") or []
    responses = [t.get("response") for t in turns if isinstance(t, dict)] if turns else [final]
    tokens = 0
    for response in responses:
        usage = response.get("usage") if isinstance(response, dict) else None
        if isinstance(usage, dict):
            tokens += usage.get("total_tokens") or 0
    summary = {k: v for k, v in data.items() if k not in EXCHANGE_FIELDS}
    summary["answered"] = final is not None
    summary["reasoned"] = final is not None and bool((final.get("reasoning") or "").strip())
    summary["tokens"] = tokens
    summary["journal_offset"] = offset
    return summary


def upgrade_record(data: dict[str, Any]) -> dict[str, Any]:
    """A ``run.json`` in today's shape (``schema_version`` removed)."""
    from benchlab.codec import unstructure
    from benchlab.probe_facts import probe_facts

    data = dict(data)
    version = data.pop("schema_version", 1)
    if version >= 3:
        return data
    results = [upgrade_result(r, version) for r in data.get("results") or []]
    data["results"] = [summary_data(r, None) for r in results]
    if version >= 2:
        return data
    data["config"] = upgrade_config(data.get("config") or {})
    probe = data.get("probe") if isinstance(data.get("probe"), dict) else {}
    data["probe"] = unstructure(probe_facts(probe, data.get("model")))
    warnings = list(data.get("warnings") or [])
    data["non_canonical_sources"] = [w[len(NON_CANONICAL):] for w in warnings if w.startswith(NON_CANONICAL)]
    data["warnings"] = [w for w in warnings if not w.startswith(NON_CANONICAL)]
    return data
