"""A run's page: its header facts, a bar per pack (pass rate, and with repeats its 95% interval),
latencies, failure modes (infrastructure apart from the model's), then every result, each
opening its whole transcript."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import attrs

from benchlab.aggregate import percentile
from benchlab.model import ResultSummary, RunRecord
from benchlab.plugins.reporters.html import charts
from benchlab.plugins.reporters.html.exchanges import transcripts
from benchlab.plugins.reporters.html.page import Page, Stream
from benchlab.plugins.reporters.html.transcripts import key_text, verdict_of
from benchlab.repeat_stats import ScenarioCounts, clustered_interval
from benchlab.sandbox_choice import sandbox_lines

# How much of a result's detail the table row shows (the transcript has all of it).
ROW_DETAIL = 300


@attrs.frozen
class PackRow:
    title: str
    version: str
    arm: str | None  # the thinking arm, when the run played both
    pass_count: int
    total: int
    bar: charts.Bar
    interval_method: str | None
    p50_s: float | None
    p95_s: float | None
    status: str
    latency: charts.Histogram | None
    # The Status is the pack's (as report.md shows it, once per pack): the first arm's row carries
    # it across this many rows, the other arms' rows 0 (none of their own).
    status_rows: int = 1


def _arms(record: RunRecord) -> list[str]:
    return sorted({r.thinking for r in record.results}) or ["off"]


def _pack_rows(record: RunRecord) -> list[PackRow]:
    arms = _arms(record)
    by_pack: dict[tuple[str, str], list[ResultSummary]] = defaultdict(list)
    for result in record.results:
        by_pack[(result.pack, result.thinking)].append(result)
    rows = []
    for summary in record.packs:
        for arm in arms:
            mine = by_pack.get((summary.pack, arm), [])
            scored = [r for r in mine if r.failure_mode is None or r.failure_mode.is_scored]
            units: dict[tuple[str, str], list[bool]] = defaultdict(list)
            for r in scored:
                units[(r.scenario_id, r.prompt_variant)].append(r.passed)
            passes = sum(r.passed for r in scored)
            rate = passes / len(scored) if scored else None
            bar, method = charts.bar(rate), None
            if units and any(len(v) > 1 for v in units.values()):
                # With repeats the scenario is the unit: the rate is the mean of scenario rates.
                interval = clustered_interval([ScenarioCounts(sum(v), len(v)) for v in units.values()])
                bar, method = charts.bar(interval.estimate, interval.low, interval.high), interval.method
            latencies = [r.latency_s for r in mine if r.latency_s is not None]
            single = len(arms) == 1
            rows.append(PackRow(
                title=summary.title, version=summary.version, arm=None if single else arm,
                pass_count=summary.pass_count if single else passes, total=summary.total if single else len(scored),
                bar=bar, interval_method=method,
                p50_s=summary.p50_s if single else percentile(latencies, 0.5),
                p95_s=summary.p95_s if single else percentile(latencies, 0.95),
                status=summary.status, latency=charts.histogram(latencies),
                status_rows=len(arms) if arm == arms[0] else 0,
            ))
    return rows


@attrs.frozen
class ModeCount:
    mode: str
    count: int
    width: float  # 0..100, the largest count in its group is 100


def _modes(record: RunRecord) -> dict[str, list[ModeCount]]:
    """Failure modes by whose they are: the model's (content, runaway), infrastructure, not scored."""
    groups: dict[str, Counter[str]] = {"model": Counter(), "infrastructure": Counter(), "not_scored": Counter()}
    for r in record.results:
        if r.passed or r.failure_mode is None:
            continue
        category = r.failure_mode.category
        groups["model" if category in ("content", "runaway") else category][r.failure_mode.value] += 1
    shown = {}
    for group, counts in groups.items():
        top = max(counts.values(), default=1)
        shown[group] = [ModeCount(mode, n, round(n / top * 100, 2)) for mode, n in counts.most_common()]
    return shown


def _facts(record: RunRecord) -> list[tuple[str, str]]:
    server = record.probe.server
    fingerprint = ", ".join(f"{name} {value}" for name, value in (
        ("version", server.version), ("build", server.build), ("model", server.model), ("digest", server.model_digest),
        ("file", server.model_file), ("chat template sha256", server.chat_template_sha256)) if value)
    thinking = ", ".join(_arms(record)) if record.results else "-"
    facts = [
        ("Model", record.model or "?"),
        ("Server", f"{server.kind or record.backend} ({record.backend} backend)"),
        ("Fingerprint", fingerprint or "-"),
        ("Endpoint", record.endpoint or "-"),
        ("benchlab", record.benchlab_version),
        ("Packs", ", ".join(f"{p.title} v{p.version}" for p in record.packs) or "-"),
        ("Mode", record.mode),
        ("Sampling", "canonical (greedy, temperature 0)" if record.canonical else
         "NON-CANONICAL: " + ("; ".join([*(f"{k}={v}" for k, v in record.config.sampling.overrides.items()),
                                         *record.non_canonical_sources]) or "the server's own defaults")),
        ("Thinking arms", thinking),
        ("Started", record.started_at),
        ("Finished", record.finished_at or "-"),
        ("State", "complete" if record.complete else "INCOMPLETE" + (f" ({record.stop_reason})" if record.stop_reason else "")),
    ]
    if record.elapsed_s is not None:
        facts.append(("Elapsed", f"{record.elapsed_s:.1f}s"))
    if record.probe.concurrency and record.probe.concurrency > 1:
        facts.append(("Concurrency", f"{record.probe.concurrency} (latencies include queueing)"))
    return facts


def row(number: int, result: ResultSummary) -> dict[str, Any]:
    """The table's slim line for one result: its cells, its facets, its searchable text, its transcript."""
    mode = result.failure_mode.value if result.failure_mode else ""
    latency = f"{result.latency_s:.2f}s" if result.latency_s is not None else "-"
    detail = result.detail or ""
    shown_detail = detail if len(detail) <= ROW_DETAIL else detail[:ROW_DETAIL] + "…"
    return {
        "c": [key_text(result.key), verdict_of(result), mode or "-", latency, shown_detail],
        "f": {"pack": result.pack, "verdict": verdict_of(result), "mode": mode or "none"},
        "t": [number],
    }


def run_page(record: RunRecord, run_dir: Path | None = None) -> Page:
    """The run's page (``report.html``); each transcript's exchange is read from ``run_dir``'s
    journal as the page is written (default: the record's own folder under its ``--out``)."""
    if run_dir is None:
        run_dir = Path(record.config.out) / record.run_id
    results = record.results
    facets = {
        "pack": [p.pack for p in record.packs],
        "verdict": [v for v in ("pass", "fail", "infra", "not scored") if any(verdict_of(r) == v for r in results)],
        "mode": sorted({r.failure_mode.value for r in results if r.failure_mode}) + (["none"] if any(r.failure_mode is None for r in results) else []),
    }
    context = {
        "kind": "run",
        "record": record,
        "facts": _facts(record),
        "packs": _pack_rows(record),
        "modes": _modes(record),
        "sandbox": sandbox_lines(record.probe.sandbox),
        "facets": facets,
        "columns": ["Result", "Verdict", "Failure mode", "Latency", "Detail"],
    }
    data = {
        # Streamed like the transcripts: 10,000 rows held at once took 7 MB.
        "rows": {"columns": 5, "rows": Stream(row(n, r) for n, r in enumerate(results))},
        "transcripts": Stream(transcripts((run_dir, r) for r in results)),
    }
    return Page("run.html.j2", f"benchlab run {record.run_id}: {record.model or '?'}", context, data)
