"""Pairing two runs' results by the result key, and the per-pack paired comparison.

``diff`` and ``compare`` use it; the statistics are ``benchlab.stats``. The unit of
evidence is the *scenario* (a pack's scenario under one prompt variant and thinking arm):
its repeats are pooled into one pass rate, never counted as independent pairs.

- Every result key present in both runs and scored in both is a *pair*: a regression
  (pass -> fail), a fix, still failing or still passing. A key in one run only is *new*
  or *dropped*; a key not scored on either side (an infrastructure failure, a skip) is
  *not comparable*.
- Per pack, over scenarios scored on both sides: the exact McNemar test on scenario pairs
  when both runs played one repeat, else the paired sign-flip permutation test on the
  per-scenario pass rates; Newcombe's interval for the paired difference (B minus A);
  Holm's correction across the packs.
"""

from __future__ import annotations

from typing import Any, Iterable

import attrs

from benchlab import stats
from benchlab.model import ResultKey

# (pack, scenario, prompt variant, thinking arm): the unit the statistics count.
ScenarioUnit = tuple[str, str, str, str]
KINDS = ("regression", "fix", "still_failing", "still_passing", "new", "dropped", "not_comparable")


@attrs.frozen
class Outcome:
    """What a pairing needs of one result: scored or not, and its verdict."""

    key: ResultKey
    passed: bool
    scored: bool
    failure_mode: str | None = None
    detail: str = ""


def outcome(result: Any) -> Outcome:
    """The slim view of a ``ScenarioResult`` (or anything with its fields)."""
    mode = result.failure_mode
    scored = mode is None or mode.is_scored
    return Outcome(result.key, bool(result.passed), scored, mode.value if mode is not None else None, result.detail or "")


@attrs.frozen
class PairedKey:
    """One result key and how it changed from run A to run B."""

    key: ResultKey
    kind: str
    a: Outcome | None
    b: Outcome | None


@attrs.frozen
class PackComparison:
    """One pack's paired change in pass rate, with the scenario as the unit."""

    pack: str
    scenarios: int  # scenario units scored on both sides
    rate_a: float | None
    rate_b: float | None
    difference: stats.Interval | None  # rate_b - rate_a, with its 95% interval
    test: str  # "mcnemar" (one repeat each) or "permutation" (repeats), "none" without pairs
    p: float | None
    p_holm: float | None
    regressions: int
    fixes: int


def pair_keys(a: Iterable[Outcome], b: Iterable[Outcome]) -> list[PairedKey]:
    """Every result key of either run, classified; in A's order, then B's new keys."""
    left = {o.key: o for o in a}
    right = {o.key: o for o in b}
    paired: list[PairedKey] = []
    for key, x in left.items():
        y = right.get(key)
        if y is None:
            paired.append(PairedKey(key, "dropped", x, None))
        elif not (x.scored and y.scored):
            paired.append(PairedKey(key, "not_comparable", x, y))
        elif x.passed and not y.passed:
            paired.append(PairedKey(key, "regression", x, y))
        elif y.passed and not x.passed:
            paired.append(PairedKey(key, "fix", x, y))
        else:
            paired.append(PairedKey(key, "still_passing" if x.passed else "still_failing", x, y))
    paired += [PairedKey(key, "new", None, y) for key, y in right.items() if key not in left]
    return paired


def _unit(key: ResultKey) -> ScenarioUnit:
    return (key.pack, key.scenario_id, key.prompt_variant, key.thinking)


def compare_packs(paired: list[PairedKey], packs: list[str]) -> list[PackComparison]:
    """Per pack (in ``packs`` order), the paired comparison over scenarios scored on both sides."""
    # unit -> ([A verdicts], [B verdicts]) over the repeats scored on both sides
    units: dict[ScenarioUnit, tuple[list[bool], list[bool]]] = {}
    counts: dict[str, list[int]] = {}
    for p in paired:
        if p.kind in ("regression", "fix", "still_failing", "still_passing"):
            assert p.a is not None and p.b is not None
            a_list, b_list = units.setdefault(_unit(p.key), ([], []))
            a_list.append(p.a.passed)
            b_list.append(p.b.passed)
            tally = counts.setdefault(p.key.pack, [0, 0])
            tally[0] += p.kind == "regression"
            tally[1] += p.kind == "fix"
    rows: list[PackComparison] = []
    for pack in packs:
        mine = [(a, b) for unit, (a, b) in units.items() if unit[0] == pack]
        regressions, fixes = counts.get(pack, [0, 0])
        if not mine:
            rows.append(PackComparison(pack, 0, None, None, None, "none", None, None, regressions, fixes))
            continue
        rates_a = [sum(a) / len(a) for a, _ in mine]
        rates_b = [sum(b) / len(b) for _, b in mine]
        if all(len(a) == 1 for a, _ in mine):
            b_count = sum(1 for (a, b) in mine if a[0] and not b[0])
            c_count = sum(1 for (a, b) in mine if b[0] and not a[0])
            test, p = "mcnemar", stats.mcnemar_exact(b_count, c_count)
        else:
            test, p = "permutation", stats.paired_permutation([y - x for x, y in zip(rates_a, rates_b)])
        rows.append(PackComparison(
            pack, len(mine), sum(rates_a) / len(mine), sum(rates_b) / len(mine),
            stats.paired_difference_interval(rates_a, rates_b), test, p, None, regressions, fixes,
        ))
    tested = [i for i, row in enumerate(rows) if row.p is not None]
    adjusted = stats.holm([rows[i].p for i in tested]) if tested else []  # type: ignore[misc]
    for i, p_holm in zip(tested, adjusted):
        rows[i] = attrs.evolve(rows[i], p_holm=p_holm)
    return rows
