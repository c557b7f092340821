"""A ladder run's page (``report.html`` in its folder): per scenario its attempts as a timeline
(model, checks passed, time), and each attempt's answer with its failed checks.

The answers (``attempt_N.txt``) are read one at a time as the page is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import attrs

from benchlab.codec import structure
from benchlab.ladder import AttemptRecord, ScenarioLadder, attempt_folder, judged, read_attempts, read_ladder
from benchlab.plugins.reporters.html.page import Page, Stream


@attrs.frozen
class Step:
    """One attempt on a scenario's timeline: where it starts and how wide it is (0..100 of the
    slowest scenario's total time, so timelines compare across scenarios)."""

    x: float
    width: float
    verdict: str  # pass, fail, infra (no judgeable answer: not the model's verdict)
    label: str


def verdict(attempt: AttemptRecord) -> str:
    if attempt.passed:
        return "pass"
    return "fail" if attempt.answered and judged(attempt) and not attempt.error else "infra"


def timeline(attempts: list[AttemptRecord], longest_s: float) -> list[Step]:
    scale = 100 / longest_s if longest_s > 0 else 0.0
    steps, at = [], 0.0
    for a in attempts:
        width = a.elapsed_s * scale if scale else 100 / max(len(attempts), 1)
        steps.append(Step(round(at, 2), round(width, 2), verdict(a), _step_text(a)))
        at += width
    return steps


def _step_text(a: AttemptRecord) -> str:
    return f"attempt {a.number}: {a.model}, checks {a.checks_passed}, {a.elapsed_s:.2f}s" + (f" ({a.error})" if a.error else "")


def _answer(run_dir: Path, row: ScenarioLadder, a: AttemptRecord) -> dict[str, Any]:
    """An attempt as the transcript data the page's script shows: its answer (read now), checks, error."""
    path = attempt_folder(run_dir, row.pack, row.scenario_id) / f"attempt_{a.number}.txt"
    answer = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    response = None if answer is None or not a.answered else {
        "content": answer, "reasoning": None, "tool_calls": [], "finish_reason": "-", "status_code": "-", "raw": None}
    detail = "; ".join(x for x in (a.error, a.detail) if x)
    return {
        "title": f"{row.pack}/{row.scenario_id}",
        "label": f"attempt {a.number}, {a.model}" + (", with learning context" if a.learning_context else ""),
        "verdict": verdict(a), "mode": a.failure_mode.value if a.failure_mode else None, "detail": detail,
        "latency_s": a.latency_s, "timeout_s": None, "started_at": a.started_at, "attempts": [],
        "turns": [{"response": response}],
        # Failed checks first: what the next attempt was told to fix.
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in sorted(a.checks, key=lambda c: c.ok)],
        "artifacts": [],
    }


def ladder_page(run_dir: Path) -> Page:
    """The page of a ladder run folder (written at the ladder's end; ``benchlab report LADDER_RUN``)."""
    data = read_ladder(run_dir)
    config = data.get("config") or {}
    rows = [structure(r, ScenarioLadder) for r in data.get("scenarios") or []]
    attempts = {(r.pack, r.scenario_id): read_attempts(attempt_folder(run_dir, r.pack, r.scenario_id)) for r in rows}
    longest = max((sum(a.elapsed_s for a in found) for found in attempts.values()), default=0.0)
    models = [m.get("name", "?") for m in config.get("models") or []]
    table, order, scenarios = [], [], []
    for row in rows:
        mine = attempts[(row.pack, row.scenario_id)]
        t = []
        for a in mine:
            t.append(len(order))
            order.append((row, a))
        accepted = row.accepted_by or ("not accepted" if row.finished else "unfinished")
        table.append({
            "c": [f"{row.pack}/{row.scenario_id}", accepted, str(len(mine)),
                  " → ".join(f"{a.model} {a.checks_passed} {a.elapsed_s:.2f}s" for a in mine) or "-",
                  f"{row.total_s:.2f}s", "n/a" if row.cost_usd is None else f"${row.cost_usd:.4f}"],
            "f": {"pack": row.pack, "accepted": accepted, "verdict": "pass" if row.accepted_by else "fail"},
            "t": t,
        })
        scenarios.append({"name": f"{row.pack}/{row.scenario_id}", "accepted": accepted, "steps": timeline(mine, longest)})
    accepted_by = {name: sum(r.accepted_by == name for r in rows) for name in models}
    context = {
        "kind": "ladder", "run_id": data.get("run_id", run_dir.name), "started_at": data.get("started_at", ""),
        "models": models, "max_attempts": config.get("max_attempts"), "per_model": config.get("per_model"),
        "learning": config.get("learning"), "accepted_by": accepted_by,
        "not_accepted": sum(r.accepted_by is None for r in rows), "scenarios": scenarios, "longest_s": longest,
        "facets": {"pack": list(dict.fromkeys(r.pack for r in rows)), "accepted": sorted({r["f"]["accepted"] for r in table})},
        "columns": ["Scenario", "Accepted by", "Attempts", "Timeline (model, checks passed, time)", "Total time", "Cost"],
    }

    def answers() -> Iterator[dict[str, Any]]:
        return (_answer(run_dir, row, a) for row, a in order)

    page_data = {"rows": {"rows": table, "stacked": True}, "transcripts": Stream(answers())}
    return Page("ladder.html.j2", f"benchlab ladder {context['run_id']}: {' → '.join(models)}", context, page_data)
