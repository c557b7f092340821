"""Per-pack aggregates (core/aggregate.py) and what the reporters print from them
(plugins/reporters/reporters.py): Pass/Total, the Status column against ``floor``, p50/p95, the Quality: line."""

from __future__ import annotations

from benchlab.aggregate import percentile, summarize
from benchlab.config import RunConfig, Sampling, Selection, Target
from benchlab.model import FailureMode, Pack, PackManifest, ProbeFacts, RunRecord, ScenarioResult
from benchlab.plugins.reporters.reporters import quality_line, render_markdown


def pack(floor: float | None, title: str = "Mini", pack_id: str = "mini") -> Pack:
    manifest = PackManifest(id=pack_id, version="1.2.0", title=title, dimension="test", default_thinking=False,
                            default_max_seconds=30, floor=floor)
    return Pack(manifest, [], None)


def result(n: int, passed: bool, latency: float | None = 0.1, mode: FailureMode | None = None, pack_id: str = "mini") -> ScenarioResult:
    if not passed and mode is None:
        mode = FailureMode.WRONG_ANSWER
    return ScenarioResult(pack_id, f"S{n}", passed, 1.0 if passed else 0.0, mode, "" if passed else "wrong", latency)


def outcomes(passes: int, total: int) -> list[ScenarioResult]:
    return [result(n, n < passes) for n in range(total)]


def test_percentiles_are_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.50) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.95) == 4.0
    values = [float(n) for n in range(1, 21)]  # 1..20
    assert (percentile(values, 0.50), percentile(values, 0.95)) == (10.0, 19.0)


def test_status_is_a_tick_at_or_above_the_floor_and_a_cross_below():
    # The boundary: a score exactly at the floor is a pass.
    assert summarize(pack(0.7), outcomes(7, 10)).status == "✅"
    assert summarize(pack(0.7), outcomes(8, 10)).status == "✅"
    assert summarize(pack(0.7), outcomes(6, 10)).status == "❌"
    assert summarize(pack(1.0), outcomes(15, 15)).status == "✅"
    assert summarize(pack(1.0), outcomes(14, 15)).status == "❌"
    assert summarize(pack(None), outcomes(3, 10)).status == "—"


def test_infrastructure_failures_stay_out_of_pass_total_and_flag_the_status():
    results = outcomes(2, 3) + [result(9, False, None, FailureMode.HTTP_ERROR), result(10, False, None, FailureMode.SANDBOX_UNAVAILABLE)]
    summary = summarize(pack(0.5), results)
    assert (summary.pass_count, summary.total, summary.scenarios) == (2, 3, 5)
    assert (summary.infrastructure_failures, summary.not_scored) == (1, 1)
    assert summary.status == "⚠️ 1 infra"
    only_unscored = summarize(pack(0.5), [result(1, False, None, FailureMode.DATASET_UNAVAILABLE)])
    assert (only_unscored.total, only_unscored.score, only_unscored.status) == (0, None, "⚠️ not scored")


def test_latency_percentiles_come_from_answered_scenarios():
    results = [result(n, True, latency) for n, latency in enumerate([0.4, 0.1, None, 0.3, 0.2])]
    summary = summarize(pack(None), results)
    assert (summary.p50_s, summary.p95_s) == (0.2, 0.4)


def record(packs: list[Pack], results: list[ScenarioResult], *, canonical: bool = True, concurrency: int = 1) -> RunRecord:
    config = RunConfig(target=Target(backend="openai"), selection=Selection(packs=[p.id for p in packs], mode="--quick"),
                       sampling=Sampling(overrides={"temperature": 0.7}))
    return RunRecord(
        run_id="20261125-120000-abcdef", benchlab_version="0.1.0", started_at="2026-11-25T12:00:00Z",
        finished_at="2026-11-25T12:01:00Z", backend="openai", endpoint="http://127.0.0.1:1", model="m", mode="--quick",
        config=config, probe=ProbeFacts(concurrency=concurrency),
        packs=[summarize(p, [r for r in results if r.pack == p.id]) for p in packs], results=results, canonical=canonical,
    )


def test_the_table_rows_status_total_and_quality_line():
    tool, instr = pack(0.9, "ToolCall-15", "tc"), pack(0.9, "InstructFollow-15", "if")
    results = [result(n, n != 0, 0.1 * (n + 1), pack_id="tc") for n in range(15)]
    results += [result(n, n > 1, 1.0, pack_id="if") for n in range(15)]
    text = render_markdown(record([tool, instr], results))
    lines = text.splitlines()
    assert "| Pack | Pass/Total | Score | p50 | p95 | Status |" in lines
    assert "| ToolCall-15 (v1.2.0) | 14/15 | 93% | 0.80s | 1.50s | ✅ |" in lines
    assert "| InstructFollow-15 (v1.2.0) | 13/15 | 87% | 1.00s | 1.00s | ❌ |" in lines
    assert "| **TOTAL** | 27/30 | 90% | | | |" in lines
    assert "- tc S0: wrong_answer (wrong)" in lines and "- if S1: wrong_answer (wrong)" in lines
    assert lines[-1] == "Quality: ToolCall-15 14/15 (93%) · InstructFollow-15 13/15 (87%) (benchlab 0.1.0, --quick, 2026-11-25)"
    assert quality_line(record([tool], results[:15], canonical=False)) == (
        "Quality: ToolCall-15 14/15 (93%) (benchlab 0.1.0, --quick, non-canonical sampling, 2026-11-25)"
    )


def test_the_queueing_note_gives_the_concurrency_limit_only_when_requests_could_overlap():
    results = [result(n, True, pack_id="mini") for n in range(3)]
    alone = render_markdown(record([pack(None)], results))
    assert "Latencies include queueing" not in alone
    shared = record([pack(None)], results, concurrency=4)
    assert "Latencies include queueing: 4 requests could run at once (--concurrency)." in render_markdown(shared).splitlines()
