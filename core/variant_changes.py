"""Prompt variants against the default prompt: each variant's result, and its paired change.

A run played with ``--variants`` holds, for a scenario with variants, one result per
variant beside the default prompt's. Each variant's results are paired with the default
prompt's results of the same scenario, thinking arm and repeat, and compared per pack
through ``benchlab.pairing`` (the scenario is the unit; the exact McNemar test with one
repeat, the paired permutation test with repeats; Holm across the packs of a variant).
The run report and ``inspect`` render ``variant_lines``; a comparison of models can render them per model.
"""

from __future__ import annotations

from typing import Iterable

import attrs

from benchlab.diff import pack_line
from benchlab.model import DEFAULT_VARIANT, ScenarioResult
from benchlab.pairing import Outcome, PackComparison, PairedKey, compare_packs, outcome, pair_keys


@attrs.frozen
class VariantChange:
    """One prompt variant paired with the default prompt: A is the default, B the variant."""

    variant: str
    paired: list[PairedKey]
    packs: list[PackComparison]


def variant_names(results: Iterable[ScenarioResult]) -> list[str]:
    """The prompt variants other than the default present in ``results``, in play order."""
    return list(dict.fromkeys(r.prompt_variant for r in results if r.prompt_variant != DEFAULT_VARIANT))


def variant_changes(results: list[ScenarioResult], packs: list[str]) -> list[VariantChange]:
    """For each variant, its results paired with the default prompt's, and per pack (in
    ``packs`` order, only packs where the variant was played) the paired change."""
    outcomes = [outcome(r) for r in results]
    defaults = {o.key: o for o in outcomes if o.key.prompt_variant == DEFAULT_VARIANT}
    changes = []
    for name in variant_names(results):
        # The variant's results under the default prompt's keys, so that each pairs with its twin.
        mine = [attrs.evolve(o, key=o.key._replace(prompt_variant=DEFAULT_VARIANT)) for o in outcomes
                if o.key.prompt_variant == name]
        base: list[Outcome] = [defaults[o.key] for o in mine if o.key in defaults]
        paired = [attrs.evolve(p, key=p.key._replace(prompt_variant=name)) for p in pair_keys(base, mine)]
        played = {o.key.pack for o in mine}
        changes.append(VariantChange(name, paired, compare_packs(paired, [p for p in packs if p in played])))
    return changes


def _cell(results: list[ScenarioResult]) -> str:
    """One scenario's verdict under one variant: pass or the failure mode; k/n over repeats."""
    if not results:
        return "-"
    scored = [r for r in results if r.failure_mode is None or r.failure_mode.is_scored]
    if len(results) > 1:
        unscored = len(results) - len(scored)
        note = f" (⚠️ {unscored} not scored)" if unscored else ""
        return f"{sum(r.passed for r in scored)}/{len(scored)}{note}"
    r = results[0]
    if r.passed:
        return "✅ pass"
    mode = r.failure_mode.value if r.failure_mode else "fail"
    return f"❌ {mode}" if r in scored else f"⚠️ {mode} (not scored)"


def variant_lines(results: list[ScenarioResult], packs: list[str]) -> list[str]:
    """The markdown section of a run that played prompt variants (empty when it played none):
    each scenario's verdict per variant, then each variant's paired change per pack."""
    names = variant_names(results)
    if not names:
        return []
    columns = [DEFAULT_VARIANT, *names]
    # (pack, scenario, thinking arm) -> variant -> results, for the scenarios played in a variant
    cells: dict[tuple[str, str, str], dict[str, list[ScenarioResult]]] = {}
    varied = {(r.pack, r.scenario_id) for r in results if r.prompt_variant != DEFAULT_VARIANT}
    for r in results:
        if (r.pack, r.scenario_id) in varied:
            cells.setdefault((r.pack, r.scenario_id, r.thinking), {}).setdefault(r.prompt_variant, []).append(r)
    arms = len({arm for _, _, arm in cells}) > 1
    lines = ["Prompt variants (each paired with the same scenario's default prompt):", "",
             "| Scenario | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    for (pack, scenario, arm), by_variant in cells.items():
        label = f"{pack}/{scenario}" + (f" (thinking {arm})" if arms else "")
        lines.append(f"| {label} | " + " | ".join(_cell(by_variant.get(name, [])) for name in columns) + " |")
    lines += ["", "| Pack | Variant | Scenarios | default | Variant | Change (variant - default) | Test | Holm | pass -> fail / fail -> pass |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for change in variant_changes(results, packs):
        for row in change.packs:
            # diff's row with the variant's name after the pack: "| pack | variant | scenarios | ..."
            pack_cell, rest = pack_line(row).split(" | ", 1)
            lines.append(f"{pack_cell} | {change.variant} | {rest}")
    lines += ["", "pass -> fail counts the variant's regressions against the default prompt, fail -> pass its fixes; "
              "the unit is the scenario (exact McNemar with one repeat, paired permutation with repeats)."]
    return lines
