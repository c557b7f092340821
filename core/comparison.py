"""Models side by side: per-scenario rows with a winner, per-pack figures, paired statistics, agreement.

Pure: it reads run records (one per model, or none for a model that never started) and
computes; ``benchlab.compare_report`` renders, ``benchlab.compare_command`` plays. Every
pair of models goes through ``benchlab.pairing`` (the code ``diff`` uses), so a comparison
of two models says what ``benchlab diff`` of their two runs says.

- A *cell* is one model's result for one result key, or UNAVAILABLE: the model never
  started (with the server's reason), the scenario was not played, or it was not scored
  (an infrastructure failure, a skip). UNAVAILABLE cells are left out of the pairing.
- The *winner* of a row, among the models scored there: the one that passed where others
  failed; between models that all passed or all failed, the higher score; when the best
  are equal on both, ``tie``. Fewer than two scored models: no winner.
- "No detectable difference" comes with a size: ``minimum_detectable_difference`` of the
  pack's paired scenarios (power 0.8) at alpha = 0.05 divided by the number of packs tested
  (Holm's most demanding step, so the figure is never optimistic), with the noise psi0 the
  pair showed (2 min(b, c) / n discordant pairs that cancel out).
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Sequence

import attrs

from benchlab import stats
from benchlab.aggregate import percentile
from benchlab.model import ResultKey, RunRecord, ScenarioResult
from benchlab.pairing import PackComparison, compare_packs, outcome, pair_keys

TIE = "tie"
ALPHA = 0.05
POWER = 0.8


@attrs.frozen
class Side:
    """One model of a comparison: its run's record (None when it never started) and why not.

    ``price`` is a ``benchlab.models_file.Price`` (dollars per million tokens) or None."""

    name: str
    record: RunRecord | None
    reason: str | None = None
    price: Any = None
    # The record's results with their exchanges (the record keeps summaries; tokens, outputs and
    # tool calls are in the journal); None: the record's own results.
    full: list[ScenarioResult] | None = None

    @property
    def results(self) -> list[Any]:
        return self.full if self.full is not None else (self.record.results if self.record else [])


@attrs.frozen
class Cell:
    """One model's result for one key: scored, or UNAVAILABLE with the reason."""

    result: ScenarioResult | None
    unavailable: str | None = None  # why there is no verdict (None: scored)

    @property
    def scored(self) -> bool:
        return self.unavailable is None


@attrs.frozen
class Row:
    key: ResultKey
    cells: list[Cell]
    winner: str | None  # a model's name, TIE, or None (fewer than two models scored)


@attrs.frozen
class PackFigures:
    """One model's figures on one pack, over its scored results."""

    model: str
    scored: int
    passes: int
    unavailable: int
    p50_s: float | None
    p95_s: float | None
    input_tokens: int
    output_tokens: int
    cost: float | None  # dollars; None without a price
    wins: int
    losses: int
    ties: int

    @property
    def rate(self) -> float | None:
        return self.passes / self.scored if self.scored else None


@attrs.frozen
class PackVerdict:
    """One pair on one pack: the paired comparison, the smallest difference it could see, the sentence."""

    comparison: PackComparison
    detectable_points: int | None  # None: too few scenarios for any difference to be seen
    sentence: str


@attrs.frozen
class Agreement:
    both_scored: int
    same_verdict: int
    tool_results: int  # scenarios offering tools, scored on both sides
    same_calls: int  # of those, the same calls with the same arguments


@attrs.frozen
class Pair:
    a: str
    b: str
    packs: list[PackVerdict]
    agreement: Agreement

    @property
    def sentence(self) -> str:
        return "; ".join(p.sentence for p in self.packs)


@attrs.frozen
class Comparison:
    models: list[Side]
    packs: list[str]  # ids, in order
    titles: dict[str, str]
    rows: list[Row]
    figures: dict[str, list[PackFigures]]  # pack -> one per model, in model order
    pairs: list[Pair]

    @property
    def unavailable_cells(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if not cell.scored)


def build(sides: Sequence[Side], expected: Sequence[ResultKey] = (), titles: dict[str, str] | None = None) -> Comparison:
    """The comparison of ``sides`` over the ``expected`` keys (what every model was to play) and any
    other key a record holds; ``titles`` names packs (default: from the records)."""
    keys = list(dict.fromkeys([*expected, *(r.key for s in sides if s.record for r in s.results)]))
    titles = {**{p.pack: p.title for s in sides if s.record for p in s.record.packs}, **(titles or {})}
    packs = list(dict.fromkeys(k.pack for k in keys))
    by_side = [{r.key: r for r in s.results} if s.record else {} for s in sides]
    rows = []
    for key in keys:
        cells = [_cell(side, found.get(key)) for side, found in zip(sides, by_side)]
        rows.append(Row(key, cells, _winner([s.name for s in sides], cells)))
    figures = {pack: [_figures(side, i, [r for r in rows if r.key.pack == pack]) for i, side in enumerate(sides)] for pack in packs}
    pairs = [_pair(sides[i], sides[j], by_side[i], by_side[j], packs, titles) for i, j in itertools.combinations(range(len(sides)), 2)]
    return Comparison(list(sides), packs, {p: titles.get(p, p) for p in packs}, rows, figures, pairs)


def _cell(side: Side, result: ScenarioResult | None) -> Cell:
    if side.record is None:
        return Cell(None, side.reason or "the model did not start")
    if result is None:
        return Cell(None, "not played")
    if result.failure_mode is not None and not result.failure_mode.is_scored:
        return Cell(result, f"{result.failure_mode.value}: {result.detail}" if result.detail else result.failure_mode.value)
    return Cell(result)


def _winner(names: list[str], cells: list[Cell]) -> str | None:
    ranked = [((c.result.passed, c.result.score), name) for name, c in zip(names, cells) if c.scored and c.result is not None]
    if len(ranked) < 2:
        return None
    best = max(rank for rank, _ in ranked)
    leaders = [name for rank, name in ranked if rank == best]
    return leaders[0] if len(leaders) == 1 else TIE


def token_counts(result: ScenarioResult) -> tuple[int, int]:
    """(prompt, completion) tokens over every turn of a result, as the server counted them."""
    responses = [t.response for t in result.turns] if result.turns else [result.response]
    usages = [r.usage for r in responses if r is not None and r.usage is not None]
    return sum(u.prompt_tokens or 0 for u in usages), sum(u.completion_tokens or 0 for u in usages)


def _figures(side: Side, index: int, rows: list[Row]) -> PackFigures:
    mine = [r.cells[index] for r in rows]
    scored = [c.result for c in mine if c.scored and c.result is not None]
    latencies = [r.latency_s for r in scored if r.latency_s is not None]
    tokens = [token_counts(r) for r in scored]
    prompt, completion = sum(t[0] for t in tokens), sum(t[1] for t in tokens)
    wins = sum(1 for r in rows if r.winner == side.name)
    ties = sum(1 for r in rows if r.winner == TIE and r.cells[index].scored)
    losses = sum(1 for r in rows if r.winner not in (None, TIE, side.name) and r.cells[index].scored)
    return PackFigures(
        model=side.name, scored=len(scored), passes=sum(1 for r in scored if r.passed), unavailable=len(mine) - len(scored),
        p50_s=percentile(latencies, 0.50), p95_s=percentile(latencies, 0.95), input_tokens=prompt, output_tokens=completion,
        cost=side.price.cost(prompt, completion) if side.price is not None else None, wins=wins, losses=losses, ties=ties,
    )


def tool_calls(result: ScenarioResult) -> list[tuple[str, str]]:
    """Every call of a result, turn by turn: the name and the arguments as canonical JSON."""
    responses = [t.response for t in result.turns] if result.turns else [result.response]
    return [(call.name, json.dumps(call.arguments, sort_keys=True, ensure_ascii=False))
            for r in responses if r is not None for call in r.tool_calls]


def _offers_tools(result: ScenarioResult) -> bool:
    requests = [t.request for t in result.turns] if result.turns else [result.request]
    return any(r is not None and r.tools for r in requests)


def _agreement(a: dict[ResultKey, ScenarioResult], b: dict[ResultKey, ScenarioResult]) -> Agreement:
    both = [(x, b[k]) for k, x in a.items() if k in b and _scored(x) and _scored(b[k])]
    with_tools = [(x, y) for x, y in both if _offers_tools(x) or _offers_tools(y)]
    return Agreement(
        both_scored=len(both), same_verdict=sum(1 for x, y in both if x.passed == y.passed),
        tool_results=len(with_tools), same_calls=sum(1 for x, y in with_tools if tool_calls(x) == tool_calls(y)),
    )


def _scored(result: ScenarioResult) -> bool:
    return result.failure_mode is None or result.failure_mode.is_scored


def _pair(a: Side, b: Side, results_a: dict[ResultKey, ScenarioResult], results_b: dict[ResultKey, ScenarioResult],
          packs: list[str], titles: dict[str, str]) -> Pair:
    paired = pair_keys((outcome(r) for r in results_a.values()), (outcome(r) for r in results_b.values()))
    rows = compare_packs(paired, packs)
    tested = sum(1 for row in rows if row.p is not None)
    alpha = ALPHA / max(tested, 1)
    verdicts = []
    for row in rows:
        discordant_noise = _noise(row)
        points = None
        if row.scenarios:
            mdd = stats.minimum_detectable_difference(row.scenarios, alpha=alpha, power=POWER, background_discordance=discordant_noise)
            points = round(mdd * 100) if mdd is not None else None
        verdicts.append(PackVerdict(row, points, verdict_sentence(a.name, b.name, titles.get(row.pack, row.pack), row, points)))
    return Pair(a.name, b.name, verdicts, _agreement(results_a, results_b))


def _noise(row: PackComparison) -> float:
    """psi0: the share of scenario pairs that flipped both ways and cancel out (2 min(b, c) / n;
    with repeats the flips are counted per result, an over-estimate, capped below 1)."""
    if not row.scenarios:
        return 0.0
    cancelling = 2 * min(row.regressions, row.fixes) / row.scenarios
    return min(cancelling, 0.95)


def verdict_sentence(a: str, b: str, pack: str, row: PackComparison, points: int | None) -> str:
    """The plain-language verdict of one pair on one pack (Holm-corrected p)."""
    if row.difference is None or row.p_holm is None:
        return f"nothing to compare on {pack}: no scenario scored for both {a} and {b}"
    if row.p_holm < ALPHA and row.difference.estimate != 0:
        better = b if row.difference.estimate > 0 else a
        return f"{better} is better on {pack}, {stats.format_p(row.p_holm)}"
    unseen = (f"a difference under ~{points} points would go unseen" if points is not None
              else "no difference could be seen at all")
    return f"no detectable difference on {pack}: with {row.scenarios} scenario{'s' if row.scenarios != 1 else ''} {unseen}"
