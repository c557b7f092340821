"""Reporters: the markdown table, the ``Quality:`` line and JSON on stdout.

``run.json`` itself is the run record, written by core; reporters render views of it.
"""

from __future__ import annotations

from pathlib import Path

from benchlab.aggregate import unscored_marks
from benchlab.codec import json_text, unstructure, with_version
from benchlab.model import PackSummary, RunRecord, ScenarioResult
from benchlab.repeat_view import arms_of, arms_table, repeats_of, scenario_table, shows_arms
from benchlab.sandbox_choice import sandbox_lines
from benchlab.variant_changes import variant_lines


def _percent(score: float | None) -> str:
    return f"{score * 100:.0f}%" if score is not None else "n/a"


def _seconds(value: float | None) -> str:
    return f"{value:.2f}s" if value is not None else "-"


def quality_line(record: RunRecord) -> str:
    """The one line club-3090 users paste into their configs."""
    # A score says nothing of what was not scored: infrastructure failures and unplayed scenarios follow it.
    parts = [f"{p.title} {_arm_scores(p)}{unscored_marks(p.infrastructure_failures, p.unplayed)}" for p in record.packs]
    date = record.started_at[:10]
    sampling = "" if record.canonical else ", non-canonical sampling"
    return f"Quality: {' · '.join(parts)} (benchlab {record.benchlab_version}, {record.mode}{sampling}, {date})"


def _arm_scores(p: PackSummary) -> str:
    """``12/15 (80%)``; with two thinking arms each apart: ``thinking off 9/15 (60%) / on 12/15 (80%)``."""
    if len(p.arms) < 2:
        return f"{p.pass_count}/{p.total} ({_percent(p.score)})"
    arms = [f"{arm} {a.pass_count}/{a.total} ({_percent(a.score)})" for arm, a in sorted(p.arms.items())]
    return "thinking " + " / ".join(arms)


def _label(r: ScenarioResult, arms: bool, repeats: bool) -> str:
    """A failure's scenario, with its prompt variant, arm and repeat when the run has several."""
    extra = [f"variant {r.prompt_variant}"] if r.prompt_variant != "default" else []
    extra += [f"thinking {r.thinking}"] if arms else []
    extra += [f"repeat {r.repeat}"] if repeats else []  # as inspect and the record number them, from 0
    return f"{r.pack} {r.scenario_id}" + (f" ({', '.join(extra)})" if extra else "")


def _table(packs: list[PackSummary]) -> list[str]:
    if shows_arms(packs):
        return arms_table(packs, ["p50", "p95", "Status"], lambda p: [_seconds(p.p50_s), _seconds(p.p95_s), p.status])
    rows = [
        "| Pack | Pass/Total | Score | p50 | p95 | Status |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in packs:
        rows.append(
            f"| {p.title} (v{p.version}) | {p.pass_count}/{p.total} | {_percent(p.score)} | "
            f"{_seconds(p.p50_s)} | {_seconds(p.p95_s)} | {p.status} |"
        )
    passed, total = sum(p.pass_count for p in packs), sum(p.total for p in packs)
    rows.append(f"| **TOTAL** | {passed}/{total} | {_percent(passed / total if total else None)} | | | |")
    return rows


def _sampling_line(record: RunRecord) -> str:
    sampling = record.config.sampling
    if record.canonical:
        return "Sampling: canonical (greedy, temperature 0)."
    if sampling.from_server:
        defaults = record.probe.sampling_defaults
        shown = ", ".join(f"{k}={v}" for k, v in defaults.items()) if defaults else "not reported"
        return f"Sampling: NON-CANONICAL, the server's own defaults ({shown}); not comparable with canonical runs."
    # The user's flags, then what else set sampling (a pack, a scenario, --extra-body).
    overrides = [f"{k}={v}" for k, v in sampling.overrides.items()] + list(record.non_canonical_sources)
    return f"Sampling: NON-CANONICAL ({'; '.join(overrides)}); not comparable with canonical runs."


def render_markdown(record: RunRecord) -> str:
    endpoint = record.endpoint or record.backend
    lines = [f"## benchlab {record.mode} (endpoint: {endpoint}, model: {record.model or '?'})", ""]
    if record.notice:  # the backend's word on what the reader is looking at comes before any number
        lines += [record.notice, ""]
    lines += [_sampling_line(record), ""]
    if record.rescored_text:
        lines += [f"Re-scored {record.rescored_text}: the verdicts are today's verifiers on the saved answers.", ""]
    lines += _table(record.packs)
    if record.canonical and repeats_of(record.packs) > 1:
        # Honest about what the spread measures: greedy decoding repeats itself on a deterministic server.
        lines += ["", "Repeats under greedy sampling (temperature 0) differ only where the server is not deterministic; "
                  "set --temperature to measure the model's own variation."]
    if any(r.latency_s is not None for r in record.results) and (record.probe.concurrency or 1) > 1:
        lines += ["", f"Latencies include queueing: {record.probe.concurrency} requests could run at once (--concurrency)."]
    variants = variant_lines(record.results, [p.pack for p in record.packs])
    if variants:
        lines += ["", "Pass/Total counts every prompt variant played (--variants)."]
        lines += [""] + variants
    for section in record.sections:
        lines += [""] + section.lines
    several_arms, repeated = len(arms_of(record.packs)) > 1, repeats_of(record.packs) > 1
    if several_arms or repeated:
        scenarios = scenario_table(record.results)
        if scenarios:
            lines += ["", "Scenarios across repeats (passes out of scored repeats, tier):", ""] + scenarios
    failures = [r for r in record.results if not r.passed]
    if failures:
        lines += ["", "Failure breakdown:"]
        for r in failures:
            mode = r.failure_mode.value if r.failure_mode else "fail"
            blame = " [infrastructure, not the model]" if r.failure_mode and r.failure_mode.is_infrastructure else ""
            lines.append(f"- {_label(r, several_arms, repeated)}: {mode}{blame} ({r.detail})")
    sandbox = sandbox_lines(record.probe.sandbox)
    if sandbox:
        lines += [""] + [f"**{line}**" if line.startswith("UNCONFINED") else line for line in sandbox]
    if record.warnings:
        lines += ["", "Warnings:"] + [f"- {w}" for w in record.warnings]
    if record.resume_hint:
        lines += ["", f"{'Incomplete run' if not record.complete else 'Not every scenario was scored'}: {record.resume_hint}"]
    lines += ["", quality_line(record)]
    return "\n".join(lines) + "\n"


class MarkdownReporter:
    """``report.md`` in the run folder; the same text on stdout with ``--format md``."""

    def render(self, record: RunRecord) -> str:
        return render_markdown(record)

    def write(self, record: RunRecord, run_dir: Path) -> None:
        (run_dir / "report.md").write_text(render_markdown(record), encoding="utf-8")


class JsonReporter:
    """The run record as JSON on stdout (``--format json``)."""

    def render(self, record: RunRecord) -> str:
        return json_text(with_version(unstructure(record)), indent=2) + "\n"


class QualityLineReporter:
    """``quality.txt``: the ``Quality:`` line alone."""

    def render(self, record: RunRecord) -> str:
        return quality_line(record) + "\n"

    def write(self, record: RunRecord, run_dir: Path) -> None:
        (run_dir / "quality.txt").write_text(quality_line(record) + "\n", encoding="utf-8")


MARKDOWN = MarkdownReporter()
JSON = JsonReporter()
QUALITY_LINE = QualityLineReporter()
