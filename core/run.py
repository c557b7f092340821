"""One run, start to finish: validate, probe, play, journal, record, report."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from benchlab import __version__
from benchlab.aggregate import summarize
from benchlab.backends import Backend, BackendOptions
from benchlab.config import RunConfig
from benchlab.errors import BenchlabError
from benchlab.history import index_run
from benchlab.journal import Journal, JournalContents, read_journal
from benchlab.model import FailureMode, Pack, ReportSection, ResultKey, ResultSummary, RunRecord, ScenarioResult
from benchlab.plugin_manager import Plugins
from benchlab.probe_facts import probe_facts
from benchlab.records import write_record
from benchlab.progress import Progress
from benchlab.resume import is_final, resume_command, same_server
from benchlab.runner import Runner, RunSettings, StopRun, WorkItem, now_iso
from benchlab.sampling import non_canonical_sources
from benchlab.sandbox_choice import choose_for_run, sandbox_lines, unavailable_result
from benchlab.selection import Plan, replan
from benchlab.speed import measure_tokens_per_s
from benchlab.thinking import thinking_problem
from benchlab.timeouts import TimeoutPolicy

# Room left for the prompt when max_tokens is capped by the server's context.
PROMPT_ROOM_TOKENS = 1024


@attrs.define
class RunContext:
    """What lifecycle hooks see of a run."""

    run_id: str
    run_dir: Path
    config: RunConfig
    packs: list[Pack]
    backend: Backend
    warnings: list[str] = attrs.field(factory=list)
    probe: dict[str, Any] = attrs.field(factory=dict)
    # Why the run must end in an error although it was recorded (a sandbox that cannot start).
    fatal: str | None = None


@attrs.define
class Outcome:
    record: RunRecord
    run_dir: Path
    interrupted: bool = False
    fatal: str | None = None


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def load_resume(out: Path, run_id: str) -> tuple[JournalContents, Path]:
    from benchlab.run_ref import find_run_by_id

    run_dir = find_run_by_id(out, run_id)
    return read_journal(run_dir), run_dir


def settings_for(config: RunConfig, backend: Backend, probe: dict[str, Any], measured_tps: float | None) -> RunSettings:
    """The config resolved against this endpoint: concurrency, context, answer limit, time budgets."""
    context = probe.get("context_size")
    target, budgets = config.target, config.budgets
    concurrency = target.concurrency or backend.default_concurrency
    return RunSettings(
        concurrency=concurrency,
        budgets=budgets,
        thinking=config.thinking,
        sampling=None if config.sampling.from_server else dict(config.sampling.overrides),
        stream=target.stream,
        max_tokens=target.max_tokens,
        extra_body=target.extra_body,
        context_cap=max(int(context) - PROMPT_ROOM_TOKENS, 256) if isinstance(context, int) and context > 0 else None,
        # --max-tokens is the user's word on answer length: it lifts the backend's limit.
        answer_token_limit=None if target.max_tokens else backend.answer_token_limit,
        timeouts=TimeoutPolicy(
            per_case_s=budgets.timeout_per_case_s,
            measured_tps=measured_tps,
            reference_tps=budgets.reference_tps,
            ceiling_s=budgets.timeout_ceiling_s,
            sharing=concurrency if backend.shares_decoding else 1,
        ),
    )


class Monitor:
    """Watches results as they land: the thinking check of each pack and arm, and the spend guard."""

    def __init__(self, ctx: RunContext, items: list[WorkItem], done: dict[ResultKey, ResultSummary], settings: RunSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.remaining = Counter((i.pack.id, i.key.thinking) for i in items if i.key not in done)
        self.tokens = sum(r.tokens for r in done.values())
        self.fatal: str | None = None

    def observe(self, result: ResultSummary, results: dict[ResultKey, ResultSummary]) -> None:
        self.tokens += result.tokens
        arm = (result.pack, result.thinking)
        self.remaining[arm] -= 1
        if self.remaining[arm] == 0:
            played = [r for r in results.values() if (r.pack, r.thinking) == arm]
            problem = thinking_problem(result.pack, result.thinking == "on", played)
            if problem:
                self.ctx.warnings.append(problem)
                if self.ctx.config.thinking.strict:
                    self.fatal = f"--strict-thinking: {problem}"
                    raise StopRun(self.fatal)
        reason = self.over_budget()
        if reason:
            raise StopRun(reason)

    def over_budget(self) -> str | None:
        """Why the spend guard stops the run (None: it may go on)."""
        limit = self.settings.budgets.max_total_tokens
        if limit and self.tokens >= limit:
            return f"spend guard: {self.tokens} tokens used, --max-total-tokens is {limit}"
        return None


def execute(
    config: RunConfig,
    options: BackendOptions,
    plugins: Plugins,
    *,
    show_progress: bool = True,
    resume: JournalContents | None = None,
    run_dir: Path | None = None,
    detected: dict[str, Any] | None = None,
    plan: Plan | None = None,
    resume_changes: dict[str, Any] | None = None,
    endpoint_changed: bool = False,
) -> Outcome:
    """Run ``config``; with ``resume``, play what its journal holds no final verdict for.

    ``plan`` holds the packs and work items already selected and validated (``plan_run``);
    made from the recorded selection otherwise. On resume, ``resume_changes`` (the settings
    the resume changed) are journaled, and a server whose model or version differ from the
    journal's last is refused (``endpoint_changed``: at another URL, given with --endpoint).
    """
    plan = plan or replan(config.selection, plugins, config.thinking)
    packs, items = plan.packs, plan.items
    if resume is not None:
        from benchlab.resume import changed_datasets

        problem = changed_datasets(resume.packs, packs)
        if problem:
            raise BenchlabError(problem)
    # Only verdicts on the model are final: infrastructure failures and skips are played again.
    done: dict[ResultKey, ResultSummary] = {r.key: r for r in resume.results if is_final(r)} if resume else {}
    todo = [i for i in items if i.key not in done]

    backend: Backend = plugins.backends.get(config.target.backend)(options)
    run_id = resume.run_id if resume else new_run_id()
    started_at = resume.started_at if resume else now_iso()
    run_dir = run_dir or Path(config.out) / run_id

    # A dataset that is not installed leaves its pack one not-scored placeholder result.
    placeholders = [
        unavailable_result(ResultKey(p.id, "*"), FailureMode.DATASET_UNAVAILABLE, p.unavailable)
        for p in packs
        if p.unavailable and ResultKey(p.id, "*") not in done
    ]
    progress = Progress(len(items) + len(placeholders), enabled=show_progress, done=len(done))
    ctx = RunContext(run_id, run_dir, config, packs, backend, warnings=list(plugins.warnings))
    # Until replayed, a result that is not final stays in the record as it was. Summaries only:
    # the raw exchanges stay in the journal, so memory does not grow with the answers' length.
    results: dict[ResultKey, ResultSummary] = {r.key: r for r in resume.results} if resume else {}
    journal: Journal | None = None
    runner: Runner | None = None
    monitor: Monitor | None = None

    def on_result(result: ScenarioResult) -> None:
        assert journal is not None and monitor is not None
        summary = result.summary(journal.append(result))
        results[result.key] = summary
        progress.advance(result)
        ctx.warnings.extend(plugins.broadcast("on_scenario_result", run=ctx, result=result))
        monitor.observe(summary, results)

    async def play() -> None:
        nonlocal journal, runner, monitor
        try:
            ctx.probe = {**(detected or {}), **await backend.start()}
            server = {"model": backend.model, "version": ctx.probe.get("version"), "model_digest": ctx.probe.get("model_digest"),
                      "server_kind": ctx.probe.get("server_kind"), "endpoint": backend.endpoint_label}
            # A resume must talk to the model and server version the run began with, at the same URL
            # (a restarted server may serve another model) or at another one (--endpoint).
            if resume is not None and (resume.server is not None or endpoint_changed):
                problem = same_server(resume.server, server)
                if problem:
                    where = f"--endpoint {backend.endpoint_label}" if endpoint_changed else f"the server at {backend.endpoint_label}"
                    raise BenchlabError(
                        f"{where} is not the server this run was recorded against: {problem}; "
                        "resume against the same model and server version, or start a new run"
                    )
            measured = config.budgets.measured_tps
            if measured is None and backend.measures_speed and config.budgets.timeout_per_case_s is None and todo:
                measured, problem = await measure_tokens_per_s(backend, greedy=not config.sampling.from_server)
                if problem:
                    ctx.warnings.append(f"{problem}; scenario time budgets use the pack defaults")
            ctx.probe["tokens_per_s"] = measured
            settings = settings_for(config, backend, ctx.probe, measured)
            ctx.probe["concurrency"] = settings.concurrency
            sandbox, blocked = await _sandbox_for(todo, config, plugins, settings.concurrency, ctx, progress)
            blocked = placeholders + blocked
            journal = Journal(run_dir) if resume else Journal.create(run_dir, run_id, config, started_at)
            if resume_changes:
                journal.note_resume(now_iso(), resume_changes)
            journal.note_server(server)
            expected = Counter(i.pack.id for i in items)
            journal.note_packs([
                {"id": p.id, "title": p.manifest.title, "version": p.manifest.version, "floor": p.manifest.floor,
                 "dataset": p.manifest.dataset, "expected": expected[p.id] + (1 if p.unavailable else 0)}
                for p in packs
            ])
            monitor = Monitor(ctx, items, done, settings)
            ctx.warnings.extend(plugins.broadcast("on_run_start", run=ctx))
            if resume:
                progress.note(f"resuming {run_id}: {len(done)} done, {len(todo)} to play")
            for result in blocked:
                on_result(result)
            blocked_keys = {r.key for r in blocked}
            playable = [i for i in todo if i.key not in blocked_keys]
            runner = Runner(plugins, backend, settings, on_result, sandbox=sandbox)
            # A resume already over its spend guard plays nothing: the guard must be raised first.
            runner.stop_reason = monitor.over_budget() if playable else None
            try:
                await runner.run(playable)
            finally:
                if sandbox is not None:
                    sandbox.close()
        finally:
            await backend.aclose()

    started = time.perf_counter()
    interrupted = False
    try:
        asyncio.run(play())
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.close()
        if journal is not None:
            journal.close()
    if journal is None:
        if interrupted:
            raise KeyboardInterrupt
        raise BenchlabError("the run did not start")
    ctx.warnings.extend(backend.warnings)
    stop_reason = runner.stop_reason if runner else None
    record = build_record(ctx, items, results, started_at, complete=not interrupted, stop_reason=stop_reason,
                          elapsed_s=round(time.perf_counter() - started, 3), spent_tokens=monitor.tokens if monitor else 0)
    record = with_sections(record, plugins)
    write_run_files(record, run_dir, plugins)
    for problem in plugins.broadcast("on_run_end", run=ctx, record=record):
        print(f"benchlab: warning: {problem}", file=sys.stderr)
    return Outcome(record, run_dir, interrupted, (monitor.fatal if monitor else None) or ctx.fatal)


def write_run_files(record: RunRecord, run_dir: Path, plugins: Plugins) -> None:
    """``run.json``, every reporter's files (a reporter that fails is a warning, never a lost run),
    then the run's row in ``index.sqlite`` beside its folder (runs, resumes and re-scores alike)."""
    write_record(run_dir, record)
    for problem in plugins.write_reports("write", record, run_dir):
        print(f"benchlab: warning: {problem}", file=sys.stderr)
    # The index is a cache of the run folders: a failure there is a warning, the run is saved.
    index_run(run_dir.parent, run_dir, record)


async def _sandbox_for(
    todo: list[WorkItem], config: RunConfig, plugins: Plugins, concurrency: int, ctx: RunContext, progress: Progress
) -> tuple[Any, list[ScenarioResult]]:
    """The sandbox for this run's code-executing packs, and the results of what cannot run.

    Sandboxed items without a sandbox become results at once: sandbox_unavailable,
    or sandbox_error when the image failed to build. No request is sent for them.
    """
    blocked: list[ScenarioResult] = []
    sandboxed = [i for i in todo if i.pack.needs_sandbox]
    if not sandboxed:
        return None, blocked
    setup = await asyncio.to_thread(choose_for_run, plugins, config.sandbox.name, config.sandbox.unsafe_local, concurrency)
    ctx.probe["sandbox"] = setup.facts
    for line in sandbox_lines(setup.facts):
        progress.note(line)
    if setup.provider is None:
        ctx.warnings.append(f"sandboxed packs not scored: {setup.unavailable}")
        mode, detail = FailureMode.SANDBOX_UNAVAILABLE, setup.unavailable or "no sandbox"
    else:
        try:
            await asyncio.to_thread(setup.provider.prepare, progress.note)
            return setup.provider, blocked
        except Exception as exc:  # the image build failed: those packs cannot be scored
            setup.provider.close()
            ctx.warnings.append(f"sandbox {setup.provider.name} could not be prepared: {exc}")
            mode, detail = FailureMode.SANDBOX_ERROR, f"sandbox {setup.provider.name} could not be prepared: {exc}"
            ctx.fatal = f"{detail} (the packs that run code were recorded as sandbox_error)"
    blocked += [unavailable_result(i.key, mode, detail) for i in sandboxed]
    return None, blocked


def with_sections(record: RunRecord, plugins: Plugins) -> RunRecord:
    """``record`` with the report sections plugins add (the ``report_sections`` hook)."""
    found, problems = plugins.collect("report_sections", record=record)
    sections = [ReportSection(plugin, [str(line) for line in lines]) for plugin, lines in found if lines]
    warnings = record.warnings + problems
    return attrs.evolve(record, sections=sections, warnings=warnings) if sections or problems else record


def build_record(
    ctx: RunContext,
    items: list[WorkItem],
    results: dict[ResultKey, ResultSummary],
    started_at: str,
    *,
    complete: bool,
    stop_reason: str | None = None,
    elapsed_s: float | None = None,
    spent_tokens: int = 0,
) -> RunRecord:
    # In play order, looked up item by item: no list of every key and no index of them (at
    # 100,000 scenarios those two cost more than all the summaries' verdicts).
    placeholders = [ResultKey(p.id, "*") for p in ctx.packs if p.unavailable]
    found = (results.get(key) for key in itertools.chain((i.key for i in items), placeholders))
    ordered = [r for r in found if r is not None]
    expected = Counter(i.pack.id for i in items)
    expected.update(key.pack for key in placeholders)
    by_pack: dict[str, list[ResultSummary]] = {p.id: [] for p in ctx.packs}
    for result in ordered:
        by_pack[result.pack].append(result)
    summaries = [summarize(p, by_pack[p.id], expected[p.id]) for p in ctx.packs]
    missing = len(items) + len(placeholders) - len(ordered)
    warnings = list(dict.fromkeys(ctx.warnings))
    if stop_reason:
        warnings.append(f"stopped early: {stop_reason}")
    unfinished = missing + sum(1 for r in ordered if r.failure_mode is not None and r.failure_mode.is_infrastructure)
    hint = None
    if unfinished:
        limit = ctx.config.budgets.max_total_tokens
        # Stopped by the spend guard: the command must raise it, or it would stop again at once.
        extra = ["--max-total-tokens", str(spent_tokens + limit)] if limit and spent_tokens >= limit else []
        hint = resume_command(ctx.run_id, ctx.config.out, extra)
        warnings.append(f"{unfinished} scenario(s) not scored yet (unplayed or infrastructure failures): {hint}")
    config = ctx.config
    # Sampling set by a pack, a scenario or --extra-body: the run is not canonical, and says why.
    sources = [] if config.sampling.from_server else non_canonical_sources(ctx.packs, config.target.extra_body)
    return RunRecord(
        run_id=ctx.run_id,
        benchlab_version=__version__,
        started_at=started_at,
        finished_at=now_iso(),
        backend=config.target.backend,
        endpoint=ctx.backend.endpoint_label,
        model=ctx.backend.model,
        mode=config.selection.mode,
        config=config,
        probe=probe_facts(ctx.probe, ctx.backend.model),
        packs=summaries,
        results=ordered,
        warnings=warnings,
        complete=complete and not missing,
        canonical=config.canonical and not sources,
        non_canonical_sources=sources,
        stop_reason=stop_reason,
        notice=ctx.backend.notice,
        elapsed_s=elapsed_s,
        resume_hint=hint,
    )
