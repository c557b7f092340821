"""A comparison as markdown (``compare.md``, and the tables on stdout) and as JSON (``--format json``).

Model output is untrusted text: in tables it is never shown (only verdicts and figures);
the complete outputs go in fences longer than any backtick run inside them, so nothing a
model writes can close its fence or become markdown of the report.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import attrs

from benchlab.comparison import TIE, Comparison, Pair, Row, token_counts
from benchlab.diff import key_text, points_text
from benchlab.inspect_run import JSON_FENCE, fence
from benchlab.model import ScenarioResult
from benchlab.stats import format_p

WINNER_RULE = ("Winner: the model that passed where the others failed; between models that all passed or all "
               "failed, the higher score; `tie` when the best are equal on both. UNAVAILABLE cells take no part.")


@attrs.frozen
class Heading:
    """What the report says about the comparison itself."""

    compare_id: str
    models: dict[str, str]  # name -> how it was played ("ollama at URL, model M, run R" or "UNAVAILABLE: reason")
    missing: list[str] = attrs.field(factory=list)  # the commands that play what is missing, exactly as typed


def _cell_text(row: Row, index: int) -> str:
    cell = row.cells[index]
    if not cell.scored or cell.result is None:
        mode = cell.result.failure_mode.value if cell.result is not None and cell.result.failure_mode else ""
        return f"UNAVAILABLE ({mode})" if mode else "UNAVAILABLE"
    r = cell.result
    verdict = "pass" if r.passed else f"FAIL ({r.failure_mode.value})" if r.failure_mode else "FAIL"
    latency = f" · {r.latency_s:.2f}s" if r.latency_s is not None else ""
    _, completion = token_counts(r)
    return f"{verdict} {r.score:.2f}{latency} · {completion} tok"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _percent(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "n/a"


def _seconds(value: float | None) -> str:
    return f"{value:.2f}s" if value is not None else "n/a"


def scenario_table(comparison: Comparison) -> list[str]:
    names = [s.name for s in comparison.models]
    lines = ["| Task | " + " | ".join(names) + " | Winner |", "| --- |" + " --- |" * (len(names) + 1)]
    repeats = any(row.key.repeat for row in comparison.rows)
    for row in comparison.rows:
        cells = [_cell_text(row, i) for i in range(len(names))]
        lines.append(f"| {_escape(key_text(row.key, repeats))} | " + " | ".join(cells) + f" | {row.winner or '-'} |")
    return lines + ["", WINNER_RULE]


def pack_table(comparison: Comparison) -> list[str]:
    lines = ["| Pack | Model | Score | Latency p50 | Latency p95 | Tokens in / out | Cost | Wins / losses / ties |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for pack in comparison.packs:
        for f in comparison.figures[pack]:
            score = f"{f.passes}/{f.scored} ({_percent(f.rate)})" + (f", {f.unavailable} UNAVAILABLE" if f.unavailable else "")
            cost = f"${f.cost:.4f}" if f.cost is not None else "n/a"
            lines.append(f"| {_escape(comparison.titles[pack])} | {f.model} | {score} | {_seconds(f.p50_s)} | {_seconds(f.p95_s)} | "
                         f"{f.input_tokens} / {f.output_tokens} | {cost} | {f.wins} / {f.losses} / {f.ties} |")
    return lines


def pair_section(comparison: Comparison, pair: Pair) -> list[str]:
    lines = [f"### {pair.a} vs {pair.b}", "",
             f"| Pack | Scenarios | {pair.a} | {pair.b} | Difference ({pair.b} - {pair.a}), 95% CI | Test | Holm |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for verdict in pair.packs:
        row = verdict.comparison
        title = _escape(comparison.titles.get(row.pack, row.pack))
        if row.difference is None:
            lines.append(f"| {title} | 0 | n/a | n/a | n/a | no scenario scored for both | |")
            continue
        d = row.difference
        test = "exact McNemar" if row.test == "mcnemar" else "paired permutation"
        lines.append(f"| {title} | {row.scenarios} | {_percent(row.rate_a)} | {_percent(row.rate_b)} | "
                     f"{points_text(d.estimate)} pts ({points_text(d.low)} to {points_text(d.high)}) | {test}, {format_p(row.p or 1.0)} | "
                     f"{format_p(row.p_holm) if row.p_holm is not None else ''} |")
    agree = pair.agreement
    same = f"same verdict {agree.same_verdict}/{agree.both_scored} ({_percent(agree.same_verdict / agree.both_scored if agree.both_scored else None)})"
    calls = (f"; same tool calls with the same arguments {agree.same_calls}/{agree.tool_results} "
             f"({_percent(agree.same_calls / agree.tool_results)})" if agree.tool_results else "")
    return lines + ["", f"Verdict: {pair.sentence}.", "", f"Agreement: {same}{calls}."]


def render_markdown(comparison: Comparison, heading: Heading, *, outputs: bool = True, pages: Sequence[str] = ()) -> str:
    """The report; ``outputs=False`` leaves out the models' complete outputs (the stdout view), and
    names where they are: compare.md and the ``pages`` reporters wrote beside it."""
    lines = [f"## benchlab compare {heading.compare_id}", ""]
    lines += [f"- {name}: {how}" for name, how in heading.models.items()]
    lines += ["", "### Scenarios", ""] + scenario_table(comparison)
    lines += ["", "### Packs", ""] + pack_table(comparison)
    if comparison.pairs:
        lines += ["", "## Pairs", "", "Per pack, the paired difference in pass rate with the scenario as the unit; "
                  "p-values are two-sided, Holm-corrected across the packs. How small a difference could go unseen: "
                  "README, Comparing models."]
        for pair in comparison.pairs:
            lines += [""] + pair_section(comparison, pair)
    if heading.missing:
        lines += ["", f"UNAVAILABLE: {comparison.unavailable_cells} result(s) have no verdict yet. Play what is missing "
                  "into this comparison with:"]
        lines += [f"    {command}" for command in heading.missing]
    if outputs:
        lines += ["", "## Outputs", ""] + output_section(comparison)
    else:
        lines += ["", f"The complete outputs of every model are in {' and '.join(['compare.md', *pages])}."]
    return "\n".join(lines) + "\n"


def output_section(comparison: Comparison) -> list[str]:
    """Every model's complete output for every scenario, each in a fence it cannot close."""
    lines: list[str] = []
    repeats = any(row.key.repeat for row in comparison.rows)
    for row in comparison.rows:
        lines += [f"### {key_text(row.key, repeats)}", ""]
        for side, cell in zip(comparison.models, row.cells):
            if cell.result is None:
                lines += [f"**{side.name}**: UNAVAILABLE: {cell.unavailable}", ""]
                continue
            state = _cell_text(row, comparison.models.index(side)) if cell.scored else f"UNAVAILABLE: {cell.unavailable}"
            lines += [f"**{side.name}** ({state}):", ""]
            lines += _result_output(cell.result) + [""]
    return lines


def _result_output(result: ScenarioResult) -> list[str]:
    responses = [t.response for t in result.turns] if result.turns else [result.response]
    lines: list[str] = []
    for number, response in enumerate(responses, start=1):
        if len(responses) > 1:
            lines.append(f"Turn {number}:")
        if response is None:
            lines.append("No response (the attempt failed).")
            continue
        lines += fence(response.content or "")
        for call in response.tool_calls:
            arguments = call.arguments_raw if call.arguments_raw is not None else json.dumps(call.arguments, ensure_ascii=False)
            lines += [f"Tool call {call.name}:"] + fence(arguments, JSON_FENCE)
    return lines


def to_json(comparison: Comparison, heading: Heading) -> dict[str, Any]:
    """``--format json``: models, rows (per key, each model's cell and the winner), packs, pairs, missing."""

    def cell(c: Any) -> dict[str, Any]:
        if not c.scored or c.result is None:
            return {"unavailable": c.unavailable}
        r = c.result
        prompt, completion = token_counts(r)
        return {"passed": r.passed, "score": r.score, "failure_mode": r.failure_mode.value if r.failure_mode else None,
                "latency_s": r.latency_s, "input_tokens": prompt, "output_tokens": completion}

    return {
        "compare_id": heading.compare_id,
        "models": [{"name": s.name, "run_id": s.record.run_id if s.record else None, "unavailable": s.reason,
                    "described": heading.models.get(s.name)} for s in comparison.models],
        "rows": [{**row.key._asdict(), "winner": row.winner if row.winner != TIE else TIE,
                  "cells": {s.name: cell(c) for s, c in zip(comparison.models, row.cells)}} for row in comparison.rows],
        "packs": {pack: [attrs.asdict(f) for f in figures] for pack, figures in comparison.figures.items()},
        "pairs": [
            {"a": pair.a, "b": pair.b, "verdict": pair.sentence, "agreement": attrs.asdict(pair.agreement),
             "packs": [{"pack": v.comparison.pack, "scenarios": v.comparison.scenarios, "rate_a": v.comparison.rate_a,
                        "rate_b": v.comparison.rate_b, "test": v.comparison.test, "p": v.comparison.p, "p_holm": v.comparison.p_holm,
                        "difference": attrs.asdict(v.comparison.difference) if v.comparison.difference else None,
                        "detectable_points": v.detectable_points, "sentence": v.sentence} for v in pair.packs]}
            for pair in comparison.pairs
        ],
        "unavailable_cells": comparison.unavailable_cells,
        "missing": heading.missing,
    }
