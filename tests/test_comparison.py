"""benchlab.comparison and its report against hand-computed values: the winner rule, per-pack
figures (score, nearest-rank latency percentiles, tokens, cost, wins/losses/ties), the pairing
and the plain-language verdict with its detectable-difference size, agreement on tool calls,
UNAVAILABLE cells kept out of everything, and fences no output can close."""

from __future__ import annotations

import pytest

from benchlab import stats
from benchlab.compare_report import Heading, render_markdown
from benchlab.comparison import TIE, Side, build, verdict_sentence
from benchlab.config import RunConfig, Selection, Target
from benchlab.model import ChatRequest, ChatResponse, FailureMode, ProbeFacts, ResultKey, RunRecord, ScenarioResult, ToolCall, Usage
from benchlab.models_file import Price
from benchlab.pairing import PackComparison


def result(scenario: str, passed: bool, *, score: float | None = None, latency: float = 1.0, tokens: tuple[int, int] = (10, 5),
           pack: str = "p", mode: FailureMode | None = None, content: str = "", calls: list[ToolCall] | None = None,
           tools: bool = False) -> ScenarioResult:
    if not passed and mode is None:
        mode = FailureMode.WRONG_ANSWER
    request = ChatRequest(scenario=scenario, messages=[], tools=[{"type": "function"}] if tools else None)
    response = ChatResponse(content=content, tool_calls=calls or [], usage=Usage(tokens[0], tokens[1], sum(tokens)))
    return ScenarioResult(pack, scenario, passed, score if score is not None else float(passed), mode, "", latency,
                          request=request, response=response)


def record(run_id: str, results: list[ScenarioResult]) -> RunRecord:
    """A run's record (it keeps result summaries: each Side gets the full results as ``full``, as compare
    reads them from the journal)."""
    config = RunConfig(target=Target(backend="openai"), selection=Selection(packs=["p"]))
    return RunRecord(run_id=run_id, benchlab_version="0", started_at="", finished_at="", backend="openai", endpoint=None,
                     model="m", mode="", config=config, probe=ProbeFacts(), packs=[], results=results)


def test_the_winner_passed_where_the_others_failed_then_the_score_decides_then_tie():
    a = [result("S1", True), result("S2", False, score=0.4), result("S3", True), result("S4", False, score=0.2),
         result("S5", True)]
    b = [result("S1", False, score=0.9), result("S2", False, score=0.6), result("S3", True), result("S4", False, score=0.2),
         result("S5", False, mode=FailureMode.SERVER_ERROR)]
    comparison = build([Side("a", record("ra", a), full=a), Side("b", record("rb", b), full=b)])
    winners = {row.key.scenario_id: row.winner for row in comparison.rows}
    # S1: a passed where b failed (b's higher score does not matter); S2: both failed, b scored higher;
    # S3 and S4: equal on both; S5: b was not scored, so there is no one to beat.
    assert winners == {"S1": "a", "S2": "b", "S3": TIE, "S4": TIE, "S5": None}
    [figures_a, figures_b] = comparison.figures["p"]
    assert (figures_a.wins, figures_a.losses, figures_a.ties) == (1, 1, 2)
    assert (figures_b.wins, figures_b.losses, figures_b.ties) == (1, 1, 2)
    assert (figures_b.scored, figures_b.unavailable) == (4, 1)


def test_a_model_that_never_started_is_unavailable_everywhere_with_its_reason():
    a = [result("S1", True), result("S2", True)]
    comparison = build([Side("a", record("ra", a), full=a), Side("pod", None, "the pod proxy answered HTTP 404")],
                       expected=[ResultKey("p", "S1"), ResultKey("p", "S2"), ResultKey("p", "S3")])
    assert [row.key.scenario_id for row in comparison.rows] == ["S1", "S2", "S3"]
    assert all(row.cells[1].unavailable == "the pod proxy answered HTTP 404" for row in comparison.rows)
    assert comparison.rows[2].cells[0].unavailable == "not played"
    assert comparison.unavailable_cells == 4 and all(row.winner is None for row in comparison.rows)
    [verdict] = comparison.pairs[0].packs
    assert verdict.comparison.scenarios == 0
    assert verdict.sentence == "nothing to compare on p: no scenario scored for both a and pod"


def test_pack_figures_latency_percentiles_tokens_and_cost():
    latencies = [0.5, 0.1, 0.4, 0.2, 0.3]
    a = [result(f"S{i}", i < 4, latency=t, tokens=(1000, 200 * (i + 1))) for i, t in enumerate(latencies)]
    comparison = build([Side("a", record("ra", a), full=a, price=Price(input=2.0, output=10.0)), Side("b", record("rb", a), full=a)])
    f = comparison.figures["p"][0]
    assert (f.passes, f.scored, f.rate) == (4, 5, 0.8)
    # Nearest rank: p50 of 5 values is the 3rd smallest, p95 the 5th.
    assert (f.p50_s, f.p95_s) == (0.3, 0.5)
    assert (f.input_tokens, f.output_tokens) == (5000, 3000)
    # 5,000 input tokens at $2/M plus 3,000 output tokens at $10/M = $0.01 + $0.03.
    assert f.cost == pytest.approx(0.04)
    assert comparison.figures["p"][1].cost is None


def test_the_pair_verdict_names_the_better_model_with_the_holm_corrected_p():
    # 8 scenarios, b passes all, a fails all: McNemar p = 2 / 2**8 = 0.0078125, one pack so Holm keeps it.
    a = [result(f"S{i}", False) for i in range(8)]
    b = [result(f"S{i}", True) for i in range(8)]
    [pair] = build([Side("small", record("ra", a), full=a), Side("big", record("rb", b), full=b)]).pairs
    [verdict] = pair.packs
    assert verdict.comparison.p_holm == pytest.approx(2 / 2**8)
    assert pair.sentence == "big is better on p, p = 0.008"


def test_no_detectable_difference_says_how_large_a_difference_would_go_unseen():
    # 15 scenarios, one flip each way: p = 1; psi0 = 2 min(1, 1) / 15, alpha 0.05 (one pack).
    a = [result(f"S{i}", i != 0) for i in range(15)]
    b = [result(f"S{i}", i != 1) for i in range(15)]
    [pair] = build([Side("a", record("ra", a), full=a), Side("b", record("rb", b), full=b)]).pairs
    expected = stats.minimum_detectable_difference(15, alpha=0.05, power=0.8, background_discordance=2 / 15)
    points = round(expected * 100)
    assert 50 <= points <= 65  # between the table's 0.57 (psi0 0.1) and 0.66 (psi0 0.2)
    assert pair.packs[0].detectable_points == points
    assert pair.sentence == f"no detectable difference on p: with 15 scenarios a difference under ~{points} points would go unseen"
    assert pair.agreement.same_verdict == 13 and pair.agreement.both_scored == 15


def test_the_detectable_difference_is_at_the_holm_level_of_the_number_of_packs_tested():
    a = [result(f"S{i}", True, pack=pack) for pack in ("p", "q") for i in range(20)]
    [pair] = build([Side("a", record("ra", a), full=a), Side("b", record("rb", a), full=a)]).pairs
    expected = stats.minimum_detectable_difference(20, alpha=0.025, power=0.8)
    assert [v.detectable_points for v in pair.packs] == [round(expected * 100)] * 2


def test_too_few_scenarios_for_any_difference():
    row = PackComparison("p", 3, 1.0, 1.0, stats.Interval(0.0, -0.5, 0.5, "x"), "mcnemar", 1.0, 1.0, 0, 0)
    assert verdict_sentence("a", "b", "Tool calls", row, None) == (
        "no detectable difference on Tool calls: with 3 scenarios no difference could be seen at all")


def test_agreement_counts_the_same_tool_calls_with_the_same_arguments():
    def call(city: str, unit: str = "c") -> ToolCall:
        return ToolCall("weather", {"unit": unit, "city": city})

    a = [result("T1", True, calls=[call("Paris")], tools=True), result("T2", True, calls=[call("Oslo")], tools=True),
         result("T3", False, calls=[], tools=True), result("S1", True)]
    # T1: the same call, arguments in another order; T2: another argument value; T3: no call on either side.
    b = [result("T1", True, calls=[ToolCall("weather", {"city": "Paris", "unit": "c"})], tools=True),
         result("T2", True, calls=[call("Oslo", "f")], tools=True), result("T3", False, calls=[], tools=True), result("S1", True)]
    [pair] = build([Side("a", record("ra", a), full=a), Side("b", record("rb", b), full=b)]).pairs
    agreement = pair.agreement
    assert (agreement.both_scored, agreement.same_verdict, agreement.tool_results, agreement.same_calls) == (4, 4, 3, 2)


def test_outputs_are_complete_in_fences_no_output_can_close():
    nasty = "start\n````\n| not | a | row |\n```` end"
    a = [result("S1", True, content=nasty)]
    b = [result("S1", False, content="plain")]
    comparison = build([Side("a", record("ra", a), full=a), Side("b", record("rb", b), full=b)])
    text = render_markdown(comparison, Heading("id", {"a": "x", "b": "y"}))
    assert "`````\n" + nasty + "\n`````" in text
    assert "```\nplain\n```" in text
    stdout_view = render_markdown(comparison, Heading("id", {"a": "x", "b": "y"}), outputs=False)
    assert nasty not in stdout_view and "| p/S1 | pass 1.00 · 1.00s · 5 tok | FAIL (wrong_answer) 0.00 · 1.00s · 5 tok | a |" in stdout_view
