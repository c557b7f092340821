"""A comparison's page (``report.html`` in its folder, beside ``compare.md``): per pack each
model's score as grouped bars with 95% intervals, the verdict lines with p-values,
wins/losses/ties and cost, UNAVAILABLE models with the command that plays them, and per scenario
every model's complete output side by side."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from benchlab.compare_folder import COMPARE_FILE, load, resume_command
from benchlab.comparison import Comparison, Side, build
from benchlab.inspect_run import full_results
from benchlab.plugins.reporters.html import charts
from benchlab.plugins.reporters.html.exchanges import transcripts
from benchlab.plugins.reporters.html.page import Page, Stream
from benchlab.plugins.reporters.html.transcripts import key_text, verdict_of
from benchlab.records import load_run
from benchlab.repeat_stats import ScenarioCounts, clustered_interval
from benchlab.run_ref import is_run_folder
from benchlab.stats import format_p, wilson_interval

# An older folder may also hold compare.html (the page's former name): nothing reads it.
PAGE_FILE = "report.html"


def is_comparison_folder(path: Path) -> bool:
    return (path / COMPARE_FILE).is_file()


def load_comparison(folder: Path) -> tuple[Comparison, str, list[str]]:
    """The comparison saved in ``folder`` (``compare-<id>`` under its ``--out``), its id and the
    commands that play what is missing. Its runs are found as ``benchlab compare`` finds them."""
    out = folder.parent
    saved = load(out, folder.name)
    sides = []
    for member in saved.members:
        found = [d for d in ((out / member.run_id) if member.run_id else None, Path(member.run_dir) if member.run_dir else None)
                 if d is not None and is_run_folder(d)]
        record = load_run(found[0]) if found else None
        reason = member.unavailable if record is None else None
        # As ``benchlab compare`` does: the verdicts, costs and tool-call agreement need the whole results (the journal's).
        full = full_results(found[0], record.results) if record is not None else None
        sides.append(Side(member.spec.name, record, reason or ("not played yet" if record is None else None), member.spec.price, full))
    comparison = build(sides)
    missing = [s.name for i, s in enumerate(comparison.models) if any(not row.cells[i].scored for row in comparison.rows)]
    commands = [resume_command(saved.compare_id, out, missing if len(missing) < len(sides) else [])] if missing else []
    return comparison, saved.compare_id, commands


def _bar(comparison: Comparison, pack: str, index: int) -> tuple[charts.Bar, bool]:
    """One model's bar on one pack, and whether it is clustered. Without repeats, the Wilson
    interval of passes over scored results; with repeats the scenario is the unit, as on a run's
    page: the rate is the mean of scenario rates, its interval clustered by scenario."""
    units: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for row in comparison.rows:
        cell = row.cells[index]
        if row.key.pack == pack and cell.scored and cell.result is not None:
            units[(row.key.scenario_id, row.key.prompt_variant)].append(cell.result.passed)
    if not units:
        return charts.bar(None), False
    if any(len(v) > 1 for v in units.values()):
        interval = clustered_interval([ScenarioCounts(sum(v), len(v)) for v in units.values()])
        return charts.bar(interval.estimate, interval.low, interval.high), True
    passes, scored = sum(sum(v) for v in units.values()), sum(len(v) for v in units.values())
    wilson = wilson_interval(passes, scored)
    return charts.bar(passes / scored, wilson.low, wilson.high), False


def _bars(comparison: Comparison) -> list[dict[str, Any]]:
    groups = []
    for pack in comparison.packs:
        bars = []
        for index, f in enumerate(comparison.figures[pack]):
            bar, clustered = _bar(comparison, pack, index)
            bars.append({"figures": f, "bar": bar, "clustered": clustered, "cost": "n/a" if f.cost is None else f"${f.cost:.4f}"})
        groups.append({"pack": pack, "title": comparison.titles[pack], "bars": bars})
    return groups


def _pairs(comparison: Comparison) -> list[dict[str, Any]]:
    shown = []
    for pair in comparison.pairs:
        packs = []
        for verdict in pair.packs:
            row = verdict.comparison
            d = row.difference
            packs.append({"title": comparison.titles.get(row.pack, row.pack), "scenarios": row.scenarios,
                          "a": row.rate_a, "b": row.rate_b,
                          "change": None if d is None else f"{d.estimate * 100:+.0f} pts (95% CI {d.low * 100:+.0f} to {d.high * 100:+.0f})",
                          "test": {"mcnemar": "exact McNemar", "permutation": "paired permutation"}.get(row.test, "none"),
                          "p": format_p(row.p) if row.p is not None else "-", "p_holm": format_p(row.p_holm) if row.p_holm is not None else "-"})
        shown.append({"a": pair.a, "b": pair.b, "sentence": pair.sentence, "packs": packs, "agreement": pair.agreement})
    return shown


def compare_page(comparison: Comparison, compare_id: str, commands: list[str]) -> Page:
    names = [s.name for s in comparison.models]
    rows, shown = [], []
    for row in comparison.rows:
        cells, t = [], []
        for cell in row.cells:
            if cell.result is None:
                cells.append("UNAVAILABLE" + (f" ({cell.unavailable})" if cell.unavailable else ""))
                t.append(None)
                continue
            mode = cell.result.failure_mode.value if cell.result.failure_mode else ""
            cells.append(("UNAVAILABLE " if not cell.scored else "") + verdict_of(cell.result) + (f" ({mode})" if mode else ""))
            t.append(len(shown))
            shown.append((None, cell.result))
        rows.append({"c": [key_text(row.key), row.winner or "-", *cells], "f": {"pack": row.key.pack, "winner": row.winner or "-"}, "t": t})
    models = [{"name": s.name, "run": s.record.run_id if s.record else None, "model": s.record.model if s.record else None,
               "unavailable": s.reason} for s in comparison.models]
    context = {
        "kind": "compare", "compare_id": compare_id, "models": models, "groups": _bars(comparison), "pairs": _pairs(comparison),
        "commands": commands, "unavailable_cells": comparison.unavailable_cells,
        "facets": {"pack": comparison.packs, "winner": sorted({r["f"]["winner"] for r in rows})},
        "columns": ["Scenario", "Winner", *names],
    }
    data = {"rows": {"rows": rows, "sides": names}, "transcripts": Stream(transcripts(shown))}
    return Page("compare.html.j2", f"benchlab compare {compare_id}: {' vs '.join(names)}", context, data)
