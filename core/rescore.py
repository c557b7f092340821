"""``benchlab rescore RUN``: today's verifiers on a run's saved answers, with no endpoint contacted.

A single answer, or a tool loop's whole transcript, is judged again from what the run
saved (read back from the journal a batch at a time, never all at once); a code pack's
answer runs again in the sandbox. A result is *not rescorable*, and
keeps its verdict, when there is no answer to judge (an infrastructure failure, a skip)
or when the scenario would be asked differently today: the saved answers are played through
today's driver (``benchlab.recorded_play``), and any request that differs from the one the
run sent (messages, tools, response format, answer budget, sampling...; in a tool loop, a
later turn whose tool results changed) makes the saved answer an answer to another question.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from benchlab import __version__
from benchlab.aggregate import summarize
from benchlab.codec import structure, unstructure
from benchlab.errors import BenchlabError
from benchlab.gc_pause import collector_paused, settle_long_lived
from benchlab.journal import JournalReader
from benchlab.model import DEFAULT_VARIANT, ChatRequest, Pack, Rescore, ResultSummary, RunRecord, ScenarioResult, Turn, Verdict
from benchlab.plugin_manager import Plugins
from benchlab.recorded_play import SavedTurnsBackend, answer_limits, requests_today
from benchlab.runner import RunSettings, WorkItem, judge
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
    return scenario, None


# Request fields the pack does not set: the model's name comes from the server.
NOT_COMPARED = ("scenario", "model")
FIELD_NAMES = {"response_format": "response format", "max_tokens": "answer budget (max_tokens)",
               "extra_body": "extra body", "reasoning_effort": "reasoning effort", "prompt_variant": "prompt variant"}


@attrs.frozen
class Replay:
    """How the run's requests are made again: its settings, and its backend's answer-length
    defaults (None: unknown here, so ``max_tokens`` is not compared)."""

    settings: RunSettings
    limits: tuple[int, int | None] | None

    @classmethod
    def of(cls, record: RunRecord, plugins: Plugins) -> "Replay":
        from benchlab.run import settings_for

        limits = answer_limits(plugins, record.backend)  # the backend that played the run (detected, if "auto")
        template = SavedTurnsBackend([], None, limits or (0, None))
        return cls(settings_for(record.config, template, {"context_size": record.probe.context_size}, None), limits)


def _differs(saved: ChatRequest | None, today: ChatRequest, compare_max_tokens: bool) -> str | None:
    """The first field in which ``today`` differs from the ``saved`` request, as a reader names it."""
    if saved is None:
        return "request"
    for field in attrs.fields(ChatRequest):
        if field.name in NOT_COMPARED or (field.name == "max_tokens" and not compare_max_tokens):
            continue
        if getattr(saved, field.name) != getattr(today, field.name):
            return FIELD_NAMES.get(field.name, field.name)
    return None


async def _sent_today(item: WorkItem, turns: list[Turn], replay: Replay, plugins: Plugins) -> str | None:
    """None when today's driver, fed the saved answers, sends every request the run sent; else why not."""
    responses = [t.response for t in turns if t.response is not None]
    backend = SavedTurnsBackend(responses, turns[0].request.model if turns[0].request else None, replay.limits or (0, None))
    ended = await requests_today(item, backend, replay.settings, plugins)
    for number, (turn, today) in enumerate(zip(turns, backend.asked), start=1):
        what = _differs(turn.request, today, replay.limits is not None)
        if what is not None and number == 1:
            return f"the scenario's {what} changed since the run: today's request would differ"
        if what is not None:
            return (f"turn {number}'s {what} would differ today (the tool results or the driver changed since the run): "
                    "the saved answers replied to another conversation")
    return ended


# Results judged at once: enough to keep a sandbox's slots busy, few enough that only a
# batch of raw responses is in memory at a time.
BATCH = 64
# What a new verdict replaces in a result.
VERDICT_FIELDS = ("passed", "score", "failure_mode", "detail", "checks", "artifacts")


def _holds(line: dict[str, Any], verdict: Verdict) -> bool:
    """Whether the journal ``line`` already holds ``verdict`` (its ``VERDICT_FIELDS`` as they
    would be written); when unsure (a value JSON would write differently), no: the line is
    then written anew, which is right either way."""
    mode = verdict.failure_mode
    return (line.get("passed") == verdict.passed and line.get("score") == verdict.score and line.get("detail") == verdict.detail
            and line.get("failure_mode") == (mode.value if mode is not None else None)
            and line.get("checks") == [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in verdict.checks]
            and line.get("artifacts") == verdict.artifacts)


async def _rejudge(record: RunRecord, journal_in: JournalReader, packs: dict[str, Pack], plugins: Plugins, sandbox: Any,
                   journal_out: Any, copy_kept: bool) -> tuple[list[ResultSummary], dict[Any, str]]:
    """Every result of ``record`` judged again where it can be, in order, a batch at a time.
    A re-judged result goes to ``journal_out`` (when given) and its summary points there; a
    kept one goes there too with ``copy_kept`` (a new run folder needs every line). A line
    whose verdict is unchanged is copied as it was, not encoded again."""
    kept: dict[Any, str] = {}
    summaries: list[ResultSummary] = []
    replay = Replay.of(record, plugins)

    def keep(summary: ResultSummary, why: str, raw: bytes | None) -> None:
        kept[summary.key] = why
        if copy_kept and journal_out is not None:
            raw = raw if raw is not None else journal_in.entry(summary)[1]
            summary = attrs.evolve(summary, journal_offset=journal_out.append_line(raw))
        summaries.append(summary)

    async def flush(batch: list[tuple[ResultSummary, ScenarioResult, dict[str, Any], bytes, Any]]) -> None:
        calls = [call for *_, call in batch]
        # Verifiers that run no code finish without waiting: judging them one after another spares
        # a task per result; a sandbox's programs run side by side.
        verdicts = await asyncio.gather(*calls) if sandbox is not None else [await call for call in calls]
        for (summary, full, line, raw, _), v in zip(batch, verdicts):
            if _holds(line, v):
                offset = journal_out.append_line(raw) if journal_out is not None else summary.journal_offset
                summaries.append(attrs.evolve(summary, journal_offset=offset) if offset != summary.journal_offset else summary)
                continue
            new = attrs.evolve(full, passed=v.passed, score=v.score, failure_mode=v.failure_mode, detail=v.detail,
                               checks=list(v.checks), artifacts=dict(v.artifacts))
            offset = None
            if journal_out is not None:
                # The saved line with the new verdict: the exchange is journaled as read, not re-encoded.
                offset = journal_out.append({**line, **{k: unstructure(getattr(v, k)) for k in VERDICT_FIELDS}})
            summaries.append(new.summary(offset))
        batch.clear()

    batch: list[tuple[ResultSummary, ScenarioResult, dict[str, Any], bytes, Any]] = []
    for summary in record.results:
        pack = packs.get(summary.pack)
        if pack is None:
            keep(summary, f"pack {summary.pack} is not installed", None)
            continue
        line, raw = journal_in.entry(summary)
        full = structure(line, ScenarioResult)
        scenario, why = _asked_today(pack, full)
        if why is None and pack.needs_sandbox and sandbox is None:
            why = "its code cannot run again: no sandbox can run here (benchlab sandbox doctor says why)"
        turns = list(full.turns) or [Turn(full.request, full.response)]
        response = turns[-1].response if turns[-1].response is not None else full.response
        if why is None and response is None:
            why = "no final answer was saved"
        if why is None:
            item = WorkItem(pack, scenario, full.repeat, full.prompt_variant, full.thinking == "on")
            why = await _sent_today(item, turns, replay, plugins)
        if why is not None:
            keep(summary, why, raw)
            continue
        # The summaries of the results kept so far stay in order: judge what is pending first.
        max_tokens = turns[-1].request.max_tokens if turns[-1].request is not None else None
        batch.append((summary, full, line, raw, judge(plugins, item, response, turns, sandbox, max_tokens)))
        if len(batch) >= BATCH:
            await flush(batch)
    await flush(batch)
    order = {r.key: n for n, r in enumerate(record.results)}
    summaries.sort(key=lambda r: order[r.key])
    return summaries, kept


def check_rescorable(record: RunRecord, run_dir: Path) -> None:
    """An interrupted run is refused with one line, naming the command that finishes it as it must be typed."""
    from benchlab.resume import resume_command

    if not record.complete:
        raise BenchlabError(f"run {record.run_id} did not finish: finish it first ({resume_command(record.run_id, run_dir.parent)}), "
                            "then rescore")


def rescore(record: RunRecord, run_dir: Path, plugins: Plugins, sandbox_for: Any = None, *,
            journal: Any = None, copy_kept: bool = False) -> Rescored:
    """``record`` (saved in ``run_dir``) judged again by today's packs and verifiers.

    The saved answers are read from the run's journal one batch at a time. Each re-judged
    result is appended to ``journal`` (a ``benchlab.journal.Journal``) when given, and its
    summary points there; ``copy_kept`` appends the kept ones too.
    ``sandbox_for(packs)`` gives a sandbox when code must run; it is closed here.
    """
    check_rescorable(record, run_dir)
    with collector_paused():  # a scenario and its verifier's parameters per line: no cycle among them
        packs = {p.id: p for p in load_packs(record.config.selection.packs, plugins, record.config.selection.load_options())}
        settle_long_lived()  # the record and the packs stay to the end: later collections need not walk them
    sandbox = sandbox_for(list(packs.values())) if sandbox_for is not None and any(p.needs_sandbox for p in packs.values()) else None
    try:
        with JournalReader(run_dir) as journal_in:
            results, kept = asyncio.run(_rejudge(record, journal_in, packs, plugins, sandbox, journal, copy_kept))
    finally:
        if sandbox is not None:
            sandbox.close()
    by_pack: dict[str, list[ResultSummary]] = {}
    for r in results:
        by_pack.setdefault(r.pack, []).append(r)
    summaries = [summarize(packs[s.pack], by_pack.get(s.pack, []), len(by_pack.get(s.pack, []))) if s.pack in packs else s
                 for s in record.packs]
    note = Rescore(at=datetime.now(timezone.utc).isoformat(timespec="seconds"), benchlab_version=__version__,
                   pack_versions={p.id: p.manifest.version for p in packs.values()}, not_rescorable=len(kept))
    return Rescored(attrs.evolve(record, results=results, packs=summaries, rescored=[*record.rescored, note]), kept)
