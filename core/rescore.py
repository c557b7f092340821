"""``benchlab rescore RUN``: today's verifiers on a run's saved answers, with no endpoint contacted.

A single answer, or a tool loop's whole transcript, is judged again from what the run
saved; a code pack's answer runs again in the sandbox. A result is *not rescorable*, and
keeps its verdict, when there is no answer to judge (an infrastructure failure, a skip)
or when the scenario would be asked differently today (its pack changed the messages,
tools or response format): the saved answer is then an answer to another question.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timezone
from typing import Any

import attrs

from benchlab import __version__
from benchlab.aggregate import summarize
from benchlab.errors import BenchlabError
from benchlab.model import DEFAULT_VARIANT, Pack, Rescore, RunRecord, ScenarioResult, Turn
from benchlab.plugin_manager import Plugins
from benchlab.runner import WorkItem, judge
from benchlab.selection import load_packs


@attrs.frozen
class Rescored:
    """The record with today's verdicts, and the results that kept theirs (key -> why)."""

    record: RunRecord
    not_rescorable: dict[Any, str]


def _asked_today(pack: Pack, result: ScenarioResult) -> tuple[Any, str | None]:
    """The scenario as the current pack holds it, or why the saved answer no longer fits it."""
    scenario = pack.scenario(result.scenario_id)
    if scenario is None:
        return None, f"pack {pack.id} {pack.manifest.version} has no scenario {result.scenario_id} any more"
    if result.prompt_variant != DEFAULT_VARIANT and result.prompt_variant not in scenario.variants:
        return None, f"scenario {result.scenario_id} has no prompt variant {result.prompt_variant!r} any more"
    scenario = scenario.with_variant(result.prompt_variant)
    request = result.turns[0].request if result.turns else result.request
    if request is None or (result.response is None and not result.turns):
        return None, "no answer was saved (the scenario was not answered)"
    for what, saved, now in (("messages", request.messages, scenario.messages), ("tools", request.tools, scenario.tools),
                             ("response format", request.response_format, scenario.response_format)):
        if saved != now:
            return None, f"the scenario's {what} changed since the run: today's request would differ"
    return scenario, None


async def _rejudge(results: list[ScenarioResult], packs: dict[str, Pack], plugins: Plugins, sandbox: Any) -> tuple[list[ScenarioResult], dict[Any, str]]:
    kept: dict[Any, str] = {}
    todo = []
    for result in results:
        pack = packs.get(result.pack)
        if pack is None:
            kept[result.key] = f"pack {result.pack} is not installed"
            continue
        scenario, why = _asked_today(pack, result)
        if why is None and pack.needs_sandbox and sandbox is None:
            why = "its code cannot run again: no sandbox can run here (benchlab sandbox doctor says why)"
        if why is not None:
            kept[result.key] = why
            continue
        turns = list(result.turns) or [Turn(result.request, result.response)]
        response = turns[-1].response if turns[-1].response is not None else result.response
        if response is None:
            kept[result.key] = "no final answer was saved"
            continue
        item = WorkItem(pack, scenario, result.repeat, result.prompt_variant, result.thinking == "on")
        max_tokens = turns[-1].request.max_tokens if turns[-1].request is not None else None
        todo.append((result, judge(plugins, item, response, turns, sandbox, max_tokens)))
    verdicts = await asyncio.gather(*(call for _, call in todo))
    new = {r.key: attrs.evolve(r, passed=v.passed, score=v.score, failure_mode=v.failure_mode, detail=v.detail,
                               checks=list(v.checks), artifacts=dict(v.artifacts))
           for (r, _), v in zip(todo, verdicts)}
    return [new.get(r.key, r) for r in results], kept


def rescore(record: RunRecord, plugins: Plugins, sandbox_for: Any = None) -> Rescored:
    """``record`` judged again by today's packs and verifiers (``sandbox_for(packs)`` gives a
    sandbox when code must run; it is closed here)."""
    if not record.complete:
        raise BenchlabError(f"run {record.run_id} did not finish: finish it first (benchlab run --resume {record.run_id}), then rescore")
    packs = {p.id: p for p in load_packs(record.config.selection.packs, plugins, record.config.selection.load_options())}
    sandbox = sandbox_for(list(packs.values())) if sandbox_for is not None and any(p.needs_sandbox for p in packs.values()) else None
    try:
        results, kept = asyncio.run(_rejudge(list(record.results), packs, plugins, sandbox))
    finally:
        if sandbox is not None:
            sandbox.close()
    expected = Counter(r.pack for r in results)
    summaries = [summarize(packs[s.pack], [r for r in results if r.pack == s.pack], expected[s.pack]) if s.pack in packs else s
                 for s in record.packs]
    note = Rescore(at=datetime.now(timezone.utc).isoformat(timespec="seconds"), benchlab_version=__version__,
                   pack_versions={p.id: p.manifest.version for p in packs.values()}, not_rescorable=len(kept))
    return Rescored(attrs.evolve(record, results=results, packs=summaries, rescored=[*record.rescored, note]), kept)
