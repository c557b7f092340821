"""One run, start to finish: validate, probe, play, journal, record, report."""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from benchlab import __version__
from benchlab.aggregate import summarize
from benchlab.backends import Backend, BackendOptions
from benchlab.codec import write_json
from benchlab.config import RunConfig
from benchlab.errors import BenchlabError
from benchlab.journal import Journal, JournalContents, read_journal
from benchlab.model import Pack, RunRecord, ScenarioResult
from benchlab.plugin_manager import Plugins
from benchlab.progress import Progress
from benchlab.runner import Runner, RunSettings, now_iso
from benchlab.selection import load_packs, work_items

RUN_RECORD = "run.json"


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


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def find_run(out: Path, run_id: str) -> Path:
    run_dir = out / run_id
    if not (run_dir / "journal.jsonl").is_file():
        known = sorted(p.name for p in out.glob("*") if (p / "journal.jsonl").is_file()) if out.is_dir() else []
        listing = ", ".join(known[-5:]) or "none"
        raise BenchlabError(f"no run {run_id!r} under {out}/ (recent runs: {listing}); pass --out if it lives elsewhere")
    return run_dir


@attrs.define
class Outcome:
    record: RunRecord
    run_dir: Path
    interrupted: bool = False


def execute(
    config: RunConfig,
    options: BackendOptions,
    plugins: Plugins,
    *,
    show_progress: bool = True,
    resume: JournalContents | None = None,
    run_dir: Path | None = None,
) -> Outcome:
    """Run ``config``; with ``resume``, play only what its journal lacks."""
    packs = load_packs(config.packs, plugins)  # validates every pack before any request
    items = work_items(packs, config.scenarios, config.repeat)
    done: dict[tuple[str, str, int], ScenarioResult] = {r.key: r for r in resume.results} if resume else {}
    todo = [i for i in items if (i.pack.id, i.scenario.id, i.repeat) not in done]

    backend_factory = plugins.backends.get(config.backend)
    backend: Backend = backend_factory(options)
    run_id = resume.run_id if resume else new_run_id()
    started_at = resume.started_at if resume else now_iso()
    if run_dir is None:
        run_dir = Path(config.out) / run_id

    progress = Progress(len(items), enabled=show_progress, done=len(done))
    ctx = RunContext(run_id, run_dir, config, packs, backend, warnings=list(plugins.warnings))
    results: dict[tuple[str, str, int], ScenarioResult] = dict(done)
    interrupted = False
    journal: Journal | None = None

    def on_result(result: ScenarioResult) -> None:
        assert journal is not None
        journal.append(result)
        results[result.key] = result
        progress.advance(result)
        ctx.warnings.extend(plugins.broadcast("on_scenario_result", run=ctx, result=result))

    async def play() -> None:
        nonlocal journal
        try:
            ctx.probe = await backend.start()
            journal = Journal(run_dir) if resume else Journal.create(run_dir, run_id, config, started_at)
            ctx.warnings.extend(plugins.broadcast("on_run_start", run=ctx))
            if resume:
                progress.note(f"resuming {run_id}: {len(done)} done, {len(todo)} to play")
            settings = RunSettings(
                concurrency=config.concurrency or backend.default_concurrency,
                retries=config.retries,
                stream=config.stream,
                max_tokens=config.max_tokens,
                timeout_s=config.timeout_s,
                extra_body=config.extra_body,
            )
            ctx.probe.setdefault("concurrency", settings.concurrency)
            await Runner(plugins, backend, settings, on_result).run(todo)
        finally:
            await backend.aclose()

    started = time.perf_counter()
    try:
        asyncio.run(play())
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.close()
        if journal is not None:
            journal.close()
    if journal is None:
        # Nothing was started (the probe failed or the user stopped it); no run folder exists.
        if interrupted:
            raise KeyboardInterrupt
        raise BenchlabError("the run did not start")
    ctx.warnings.extend(backend.warnings)
    record = build_record(ctx, packs, items, results, started_at, complete=not interrupted)
    write_json(run_dir / RUN_RECORD, record, elapsed_s=round(time.perf_counter() - started, 3))
    for entry in plugins.reporters:
        reporter = entry.load()
        writer = getattr(reporter, "write", None)
        if writer is not None:
            try:
                writer(record, run_dir)
            except Exception as exc:
                print(f"benchlab: warning: reporter {entry.name!r} failed: {exc!r}", file=sys.stderr)
    for problem in plugins.broadcast("on_run_end", run=ctx, record=record):
        print(f"benchlab: warning: {problem}", file=sys.stderr)
    return Outcome(record, run_dir, interrupted)


def build_record(
    ctx: RunContext,
    packs: list[Pack],
    items: list[Any],
    results: dict[tuple[str, str, int], ScenarioResult],
    started_at: str,
    *,
    complete: bool,
) -> RunRecord:
    order = {(i.pack.id, i.scenario.id, i.repeat): n for n, i in enumerate(items)}
    ordered = sorted((r for k, r in results.items() if k in order), key=lambda r: order[r.key])
    summaries = [summarize(p, [r for r in ordered if r.pack == p.id]) for p in packs]
    missing = len(items) - len(ordered)
    warnings = list(dict.fromkeys(ctx.warnings))
    if missing:
        warnings.append(f"{missing} scenario(s) not played yet: benchlab run --resume {ctx.run_id}")
    config = ctx.config
    return RunRecord(
        run_id=ctx.run_id,
        benchlab_version=__version__,
        started_at=started_at,
        finished_at=now_iso(),
        backend=config.backend,
        endpoint=ctx.backend.endpoint_label,
        model=ctx.backend.model,
        mode=config.mode,
        config=attrs.asdict(config),
        probe=ctx.probe,
        packs=summaries,
        results=ordered,
        warnings=warnings,
        complete=complete and not missing,
    )


def load_resume(out: Path, run_id: str) -> tuple[JournalContents, Path]:
    run_dir = find_run(out, run_id)
    return read_journal(run_dir), run_dir
