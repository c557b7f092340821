"""A diff's page: regressions and fixes first, each opening both runs' transcripts side by side;
per pack the paired change with its interval and test; what changed in how the runs were made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlab.diff import RunDiff
from benchlab.model import ResultSummary, RunRecord
from benchlab.pairing import PairedKey
from benchlab.plugins.reporters.html import charts
from benchlab.plugins.reporters.html.exchanges import transcripts
from benchlab.plugins.reporters.html.page import Page, Stream
from benchlab.plugins.reporters.html.run_page import ROW_DETAIL
from benchlab.plugins.reporters.html.transcripts import key_text, verdict_of
from benchlab.stats import format_p

# What a reader wants first: what broke, what got fixed, then the rest.
ORDER = ("regression", "fix", "still_failing", "not_comparable", "new", "dropped", "still_passing")
TITLES = {"regression": "regression", "fix": "fix", "still_failing": "still failing", "not_comparable": "not comparable",
          "new": "new in B", "dropped": "dropped from A", "still_passing": "still passing"}


def _ordered(result: RunDiff) -> list[PairedKey]:
    rank = {kind: n for n, kind in enumerate(ORDER)}
    return sorted(result.paired, key=lambda p: rank[p.kind])  # stable: each kind keeps the run's order


def _verdict(found: ResultSummary | None) -> str:
    if found is None:
        return "-"
    mode = found.failure_mode.value if found.failure_mode else ""
    return verdict_of(found) + (f" ({mode})" if mode else "")


def _detail(shown: ResultSummary | None) -> str:
    """A failure's detail as the row shows it: cut at ROW_DETAIL with an ellipsis (the transcript has all of it)."""
    if shown is None or shown.passed:
        return ""
    detail = shown.detail or ""
    return detail if len(detail) <= ROW_DETAIL else detail[:ROW_DETAIL] + "…"


def _pack_rows(result: RunDiff) -> list[dict[str, Any]]:
    rows = []
    for row in result.packs:
        d = row.difference
        rows.append({
            "pack": row.pack, "scenarios": row.scenarios, "a": charts.bar(row.rate_a), "b": charts.bar(row.rate_b),
            "change": None if d is None else f"{d.estimate * 100:+.0f} pts (95% CI {d.low * 100:+.0f} to {d.high * 100:+.0f})",
            "test": {"mcnemar": "exact McNemar", "permutation": "paired permutation"}.get(row.test, "none"),
            "p": format_p(row.p) if row.p is not None else "-", "p_holm": format_p(row.p_holm) if row.p_holm is not None else "-",
            "regressions": row.regressions, "fixes": row.fixes,
        })
    return rows


def _folder(record: RunRecord) -> Path:
    return Path(record.config.out) / record.run_id


def diff_page(result: RunDiff, run_dirs: tuple[Path | None, Path | None] = (None, None)) -> Page:
    """The page of ``benchlab report --diff RUN_A RUN_B``: each side's transcripts read from
    its run folder's journal as the page is written (default: each record's own folder)."""
    folders = (run_dirs[0] or _folder(result.a), run_dirs[1] or _folder(result.b))
    a_results = {r.key: r for r in result.a.results}
    b_results = {r.key: r for r in result.b.results}
    ordered = _ordered(result)
    rows, sides = [], []
    for pair in ordered:
        a, b = a_results.get(pair.key), b_results.get(pair.key)
        shown = b if b is not None and not b.passed else a if a is not None and not a.passed else b or a
        mode = shown.failure_mode.value if shown is not None and shown.failure_mode else "none"
        t = []
        for folder, side in zip(folders, (a, b)):
            t.append(None if side is None else len(sides))
            if side is not None:
                sides.append((folder, side))
        rows.append({
            "c": [key_text(pair.key), TITLES[pair.kind], _verdict(a), _verdict(b), _detail(shown)],
            "f": {"change": TITLES[pair.kind], "pack": pair.key.pack, "mode": mode},
            "t": t,
        })
    counts = {TITLES[kind]: len(result.of_kind(kind)) for kind in ORDER}
    facets = {
        "change": [TITLES[k] for k in ORDER if counts[TITLES[k]]],
        "pack": list(dict.fromkeys(p.key.pack for p in ordered)),
        "mode": sorted({r["f"]["mode"] for r in rows}),
    }
    context = {
        "kind": "diff", "a": result.a, "b": result.b, "counts": counts, "packs": _pack_rows(result),
        "settings": [(s.what, "-" if s.a is None else str(s.a), "-" if s.b is None else str(s.b)) for s in result.settings],
        "facets": facets, "columns": ["Result", "Change", "A", "B", "Detail"],
    }
    label = (lambda r: f"{'A' if r is result.a else 'B'}: {r.run_id} ({r.model or '?'})")
    data = {"rows": {"rows": rows, "sides": [label(result.a), label(result.b)]}, "transcripts": Stream(transcripts(sides))}
    return Page("diff.html.j2", f"benchlab diff {result.a.run_id} -> {result.b.run_id}", context, data)
