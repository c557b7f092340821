"""BFCL's summary numbers, against values worked out by hand from BFCL's formulas."""

from __future__ import annotations

import pytest

from benchlab.packs.bfcl.summary import summarize


def verdicts(category: str, passed: int, total: int) -> list[tuple[str, bool]]:
    return [(category, i < passed) for i in range(total)]


SIZES = {"simple_python": 4, "simple_java": 2, "simple_javascript": 2, "multiple": 2, "parallel": 2, "parallel_multiple": 2,
         "live_simple": 4, "live_multiple": 6, "live_parallel": 2, "live_parallel_multiple": 3, "irrelevance": 2}


def test_per_category_accuracy() -> None:
    summary = summarize(verdicts("multiple", 1, 4) + verdicts("irrelevance", 2, 2))
    assert summary.categories["multiple"].accuracy == 0.25
    assert (summary.categories["irrelevance"].passed, summary.categories["irrelevance"].total) == (2, 2)


def test_live_ast_is_weighted_by_entry_count() -> None:
    results = (verdicts("live_simple", 3, 4) + verdicts("live_multiple", 3, 6) + verdicts("live_parallel", 2, 2)
               + verdicts("live_parallel_multiple", 0, 3))
    live = summarize(results, SIZES).live_ast
    # (3 + 3 + 2 + 0) correct of (4 + 6 + 2 + 3) = 8/15; an unweighted mean would be (0.75+0.5+1+0)/4 = 0.5625
    assert live.accuracy == pytest.approx(8 / 15) and live.total_count == 15
    assert live.missing == () and live.display == "53.33%"


def test_non_live_ast_is_an_unweighted_mean_with_simple_split_by_language() -> None:
    results = (verdicts("simple_python", 4, 4) + verdicts("simple_java", 1, 2) + verdicts("simple_javascript", 0, 2)
               + verdicts("multiple", 1, 2) + verdicts("parallel", 2, 2) + verdicts("parallel_multiple", 0, 2))
    summary = summarize(results, SIZES)
    # simple = (1 + 0.5 + 0) / 3 = 0.5; non-live = (0.5 + 0.5 + 1 + 0) / 4 = 0.5
    assert summary.non_live_ast.accuracy == pytest.approx(0.5) and summary.non_live_ast.missing == ()
    assert summary.comparable and summary.caveat == ""


def test_a_category_not_played_counts_as_zero_and_shows_not_available() -> None:
    results = verdicts("simple_python", 4, 4) + verdicts("multiple", 2, 2) + verdicts("parallel", 2, 2) + verdicts("parallel_multiple", 2, 2)
    non_live = summarize(results, SIZES).non_live_ast
    # Java and JavaScript are not played: simple = (1 + 0 + 0) / 3, non-live = (1/3 + 1 + 1 + 1) / 4 = 5/6, shown N/A
    assert non_live.accuracy == pytest.approx(5 / 6)
    assert set(non_live.missing) == {"simple_java", "simple_javascript"} and non_live.display == "N/A"
    live = summarize(verdicts("live_simple", 4, 4), SIZES).live_ast
    # the missing live categories weigh in with their full sizes: 4 correct of 4 + 6 + 2 + 3
    assert live.accuracy == pytest.approx(4 / 15) and live.display == "N/A"


def test_a_subset_is_labelled_not_comparable() -> None:
    summary = summarize(verdicts("live_simple", 2, 3), SIZES)
    assert not summary.comparable and "not comparable with the leaderboard" in summary.caveat and "live_simple" in summary.caveat
    unknown = summarize(verdicts("live_simple", 2, 3))
    assert not unknown.comparable and "without its full size known" in unknown.caveat


def test_repeats_average_into_the_accuracy_but_an_entry_counts_once() -> None:
    # live_parallel (2 entries) played whole, twice: entry p0 passed both times, p1 once -> 3/4.
    results = [("live_parallel", True, "p0"), ("live_parallel", True, "p0"), ("live_parallel", True, "p1"),
               ("live_parallel", False, "p1"), ("live_simple", True, "s0"), ("live_simple", True, "s0")]
    summary = summarize(results, SIZES)
    assert summary.categories["live_parallel"].accuracy == 0.75 and summary.categories["live_parallel"].entries == 2
    # live AST weighs each category by its entries, not its verdicts: (0.75*2 + 1*1) / (2 + 1 + 6 + 3) = 2.5/12
    assert summary.live_ast.accuracy == pytest.approx(2.5 / 12) and summary.live_ast.total_count == 12
    # live_simple: 1 entry of 4, played twice (2 verdicts, still a part); live_parallel is whole
    assert not summary.comparable and "live_simple played in part" in summary.caveat and "live_parallel" not in summary.caveat


def test_a_selected_category_without_any_verdict_is_named_and_not_comparable() -> None:
    whole = verdicts("live_parallel", 2, 2)
    assert summarize(whole, SIZES, unscored=["live_parallel"]).comparable  # it has verdicts: nothing to say
    summary = summarize(whole, SIZES, unscored=["live_parallel", "irrelevance"])
    assert not summary.comparable and "irrelevance" not in summary.categories
    assert summary.caveat == ("not comparable with the leaderboard: irrelevance not scored "
                              "(infrastructure failures or never played)")
