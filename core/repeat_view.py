"""How repeats and thinking arms read in a table: the pack table's column group per arm, and
each scenario's pass count and tier. Shared by the markdown report and ``inspect``.

A pack table gets one column group per thinking arm (``--thinking both`` shows its arms side
by side, never pooled). With repeats, each group adds the mean pass rate and its 95% interval
clustered by scenario, the std and CV across repeats, pass@k and pass^k at k = the repeats,
and the tier counts (docs/statistics.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from benchlab.aggregate import ScenarioTally, scenario_tallies
from benchlab.model import ArmSummary, PackSummary, ResultSummary, ScenarioResult
from benchlab.repeat_stats import RepeatSummary, Tier


def percent(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "n/a"


def arms_of(packs: Sequence[PackSummary]) -> list[str]:
    """The thinking arms the packs were played in ("off" before "on")."""
    return sorted({arm for p in packs for arm in p.arms})


def repeats_of(packs: Sequence[PackSummary]) -> int:
    """The most repeats any pack's arm was played (1: no repeats)."""
    return max((a.repeats for p in packs for a in p.arms.values()), default=1)


def shows_arms(packs: Sequence[PackSummary]) -> bool:
    """Whether a table needs the per-arm view: two arms, or repeats to summarise."""
    return len(arms_of(packs)) > 1 or repeats_of(packs) > 1


def arm_headers(arm: str, arms: int, repeats: int) -> list[str]:
    """One arm's column group (each header names the arm when there are two)."""
    headers = ["Pass/Total"]
    if repeats > 1:
        headers += ["Mean (95% CI)", "Std (CV)", f"pass@{repeats}", f"pass^{repeats}", *(t.value.capitalize() for t in Tier)]
    else:
        headers += ["Score"]
    return [f"{arm}: {h}" for h in headers] if arms > 1 else headers


def arm_cells(arm: ArmSummary | None, repeats: int) -> list[str]:
    """One arm's cells in a pack row; blanks when the pack was not played in that arm."""
    width = len(arm_headers("", 1, repeats))
    if arm is None:
        return ["-"] * width
    cells = [f"{arm.pass_count}/{arm.total}"]
    if repeats <= 1:
        return cells + [percent(arm.score)]
    stats = arm.stats
    if stats is None:
        return cells + ["n/a"] * (width - 1)
    return cells + [_mean(stats), _spread(stats), _at_k(stats.pass_at_k, repeats), _at_k(stats.pass_hat_k, repeats),
                     *(str(stats.tiers.get(t, 0)) for t in Tier)]


def total_cells(packs: Sequence[PackSummary], arm: str, repeats: int) -> list[str]:
    """The TOTAL row's cells for one arm: Pass/Total and the pooled score; repeat statistics are per pack."""
    passed = sum(p.arms[arm].pass_count for p in packs if arm in p.arms)
    total = sum(p.arms[arm].total for p in packs if arm in p.arms)
    width = len(arm_headers("", 1, repeats))
    return [f"{passed}/{total}", percent(passed / total if total else None)] + [""] * (width - 2)


def arms_table(packs: Sequence[PackSummary], tail: list[str], tail_cells: Callable[[PackSummary], list[str]]) -> list[str]:
    """The pack table with one column group per arm, then the caller's own columns (``tail``)."""
    arms, repeats = arms_of(packs), repeats_of(packs)
    heads = ["Pack", *(h for arm in arms for h in arm_headers(arm, len(arms), repeats)), *tail]
    rows = ["| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    for p in packs:
        cells = [f"{p.title} (v{p.version})", *(c for arm in arms for c in arm_cells(p.arms.get(arm), repeats)), *tail_cells(p)]
        rows.append("| " + " | ".join(cells) + " |")
    rows.append("| " + " | ".join(["**TOTAL**", *(c for arm in arms for c in total_cells(packs, arm, repeats)), *[""] * len(tail)]) + " |")
    if repeats > 1:
        rows += ["", f"{repeats} repeats: mean of the scenarios' pass rates with its 95% interval clustered by scenario; "
                 "std and CV of the pack's pass rate across repeats; pass@k and pass^k (unbiased) at k = the repeats; "
                 "scenarios that passed every repeat, some, none (docs/statistics.md)."]
    return rows


def _mean(stats: RepeatSummary) -> str:
    i = stats.interval
    return f"{percent(stats.mean_rate)} ({i.low * 100:.0f}–{i.high * 100:.0f}%)"


def _spread(stats: RepeatSummary) -> str:
    s = stats.spread
    if s.std is None:
        return "-"
    cv = f"{s.cv:.2f}" if s.cv is not None else "n/a"
    return f"{s.std * 100:.1f} pts ({cv})"


def _at_k(values: Mapping[int, float], repeats: int) -> str:
    """The estimator at k = the repeats; at the largest k every scenario allows when some missed a repeat."""
    if not values:
        return "n/a"
    k = min(repeats, max(values))
    return percent(values[k]) + (f" (k={k})" if k < repeats else "")


def tally_cell(tally: ScenarioTally | None) -> str:
    """``2/3 flaky``: passes out of scored repeats and the tier; ``not scored`` or ``-`` (not played)."""
    if tally is None:
        return "-"
    counts = tally.counts
    return f"{counts.passes}/{counts.repeats} {counts.tier.value}" if counts is not None else "not scored"


def scenario_rows(results: Sequence[ResultSummary] | Sequence[ScenarioResult]) -> list[dict[str, object]]:
    """Each scenario's tally as JSON: ids, verdict per repeat (null: not scored), passes, repeats, tier."""
    rows = []
    for t in scenario_tallies(results):
        counts = t.counts
        rows.append({"pack": t.pack, "scenario_id": t.scenario_id, "prompt_variant": t.prompt_variant, "thinking": t.thinking,
                     "verdicts": list(t.verdicts), "passes": counts.passes if counts else None,
                     "repeats": counts.repeats if counts else 0, "tier": counts.tier.value if counts else None})
    return rows


def scenario_table(results: Sequence[ResultSummary] | Sequence[ScenarioResult]) -> list[str]:
    """Each scenario's pass count and tier across its repeats, one column per thinking arm."""
    tallies = scenario_tallies(results)
    arms = sorted({t.thinking for t in tallies})
    rows: dict[tuple[str, str], dict[str, ScenarioTally]] = {}
    for t in tallies:
        if t.scenario_id != "*":  # a pack that could not be played at all has no scenario to list
            rows.setdefault((t.pack, t.label), {})[t.thinking] = t
    if not rows:
        return []
    heads = [f"thinking {arm}" for arm in arms] if len(arms) > 1 else ["Passes, tier"]
    lines = ["| Scenario | " + " | ".join(heads) + " |", "| --- |" + " --- |" * len(heads)]
    for (pack, label), by_arm in rows.items():
        lines.append(f"| {pack}/{label} | " + " | ".join(tally_cell(by_arm.get(arm)) for arm in arms) + " |")
    return lines
