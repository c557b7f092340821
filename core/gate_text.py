"""How a gate decision reads: which packs and scenarios regressed, with the evidence."""

from __future__ import annotations

from typing import Any

from benchlab.baselines import Baseline, GateReport
from benchlab.regression_gate import PackTest
from benchlab.stats import format_p

SHOWN = 30


def _test_line(test: PackTest) -> str:
    where = test.pack or "all packs together"
    verdict = "REGRESSED" if test.regressed else "no regression"
    return (f"- {where}: {verdict}: {test.run_failures} failed repeats now, {test.expected_failures:.1f} expected "
            f"under no change, over {test.scenarios} scenarios ({test.test}, {format_p(test.p_value)}, "
            f"Holm-adjusted {format_p(test.adjusted_p)})")


def render(report: GateReport, baseline: Baseline, run_id: str) -> str:
    d = report.decision
    head = "REGRESSION" if d.fired else "no regression"
    lines = [f"## benchlab gate: run {run_id} against baseline {baseline.name}: {head}", "",
             f"Baseline: {len(baseline.runs)} runs ({', '.join(baseline.runs[:5])}{'...' if len(baseline.runs) > 5 else ''}), "
             f"captured {baseline.created_at}; alpha {d.alpha}.", ""]
    lines += [_test_line(test) for test in d.packs]
    if d.overall is not None:
        lines.append(_test_line(d.overall))
    scenarios = d.regressed_scenarios
    if scenarios:
        lines += ["", f"Scenarios behind it, strongest evidence first ({len(scenarios)}):"]
        lines += [f"- {c.pack}/{c.scenario}: {c.evidence} (one-sided exact test, {format_p(c.p_value)})" for c in scenarios[:SHOWN]]
        if len(scenarios) > SHOWN:
            lines.append(f"- ... and {len(scenarios) - SHOWN} more")
    worse = [c for t in d.packs if not t.regressed for c in t.worse]
    if worse and not d.fired:
        lines += ["", f"Scenarios that did worse, within noise ({len(worse)}): "
                  + ", ".join(f"{c.pack}/{c.scenario} ({c.run.passes}/{c.run.repeats} vs {c.baseline.passes}/{c.baseline.repeats})" for c in worse[:10])]
    if d.unmatched:
        lines += ["", f"Not compared (in one of them only): {', '.join(d.unmatched[:10])}{' ...' if len(d.unmatched) > 10 else ''}"]
    for text in report.mismatches:
        lines.append(f"Compared although not comparable (--allow-mismatch): {text}")
    for text in report.notes:
        lines.append(f"Note: {text}")
    return "\n".join(lines) + "\n"


def to_json(report: GateReport, baseline: Baseline, run_id: str) -> dict[str, Any]:
    """``fired``, ``baseline``, ``run_id``, ``packs``, ``overall``, ``scenarios``, ``unmatched``, ``mismatches``, ``notes``."""
    d = report.decision

    def test(t: PackTest | None) -> Any:
        if t is None:
            return None
        return {"pack": t.pack, "scenarios": t.scenarios, "run_failures": t.run_failures, "expected_failures": t.expected_failures,
                "p": t.p_value, "p_holm": t.adjusted_p, "p_text": format_p(t.p_value), "regressed": t.regressed, "test": t.test}

    return {
        "fired": d.fired, "baseline": baseline.name, "run_id": run_id, "alpha": d.alpha,
        "packs": [test(t) for t in d.packs], "overall": test(d.overall),
        "scenarios": [{"pack": c.pack, "scenario": c.scenario, "baseline": [c.baseline.passes, c.baseline.repeats],
                       "run": [c.run.passes, c.run.repeats], "p": c.p_value, "evidence": c.evidence} for c in d.regressed_scenarios],
        "unmatched": list(d.unmatched), "mismatches": report.mismatches, "notes": report.notes,
    }
