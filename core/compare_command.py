"""``benchlab compare``: play every model of a models file as a normal run, all at once, and compare them.

Each model is an ordinary run (its own folder, journal and resume) played in its own thread
with its own event loop, so the models proceed side by side, each within its endpoint's
concurrency; the comparison folder (``benchlab.compare_folder``) ties the runs together.
A model that cannot start is UNAVAILABLE with the reason its server gave; the comparison
goes on with the others. ``--resume`` plays what is missing (``--only`` some models) and
adds models from ``--models``. ``compare RUN RUN ...`` compares runs that already exist.

Exit codes: 1 when no model could start, 3 while any model's scenario has no verdict, 0
when every model's every scenario is scored (130 on Ctrl-C).
"""

from __future__ import annotations

import gc
import json
import re
import sys
import threading
from pathlib import Path
from typing import Any

import attrs

from benchlab import exit_codes
from benchlab.compare_folder import (REPORT_FILE, Member, SavedComparison, SharedSettings, folder_of, load, new_compare_id,
                                     now, resume_command, save)
from benchlab.compare_report import Heading, render_markdown, to_json
from benchlab.comparison import Comparison, Side, build
from benchlab.errors import BenchlabError, warn
from benchlab.models_file import NAME_PATTERN, ModelSpec, load_models
from benchlab.plugin_manager import Plugins
from benchlab.redact import redact_url

# The compare flags that may be given with --resume (the others are fixed by the comparison).
RESUMABLE = {"out", "no_progress", "fmt", "only", "models", "resume", "plugin"}


@attrs.frozen
class CompareRequest:
    """What ``benchlab compare`` was given, grouped as the command line's option groups."""

    selection: Any  # benchlab.cli.options.SelectionFlags
    sampling: Any
    thinking: Any
    output: Any  # benchlab.cli.options.OutputFlags
    models_file: Path | None = None
    only: list[str] = attrs.field(factory=list)
    runs: list[str] = attrs.field(factory=list)
    resume: str | None = None
    plugin_files: list[str] = attrs.field(factory=list)
    given: dict[str, str] = attrs.field(factory=dict)  # parameters set on the command line -> their flag


@attrs.frozen
class Played:
    """One model's part: its run's record, or why it never started."""

    name: str
    record: Any = None  # RunRecord
    run_dir: Path | None = None
    unavailable: str | None = None
    interrupted: bool = False


def compare_command(request: CompareRequest, plugins: Plugins) -> int:
    from benchlab.cli.options import JSON_VIEW, MARKDOWN_VIEW

    # compare prints its own views, as the commands that read runs do (run's --format names a reporter).
    fmt = request.output.format or MARKDOWN_VIEW
    if fmt not in (MARKDOWN_VIEW, JSON_VIEW):
        raise BenchlabError(f"--format {fmt!r}: compare prints {MARKDOWN_VIEW} (the default) or {JSON_VIEW}")
    out = Path(request.output.out)
    if request.runs:
        if request.models_file or request.resume or request.only:
            raise BenchlabError("compare RUN RUN ... compares runs that exist: leave out --models, --resume and --only")
        if len(request.runs) < 2:
            raise BenchlabError("compare needs two runs or more (or --models FILE to play models)")
        return _from_runs(request, plugins, out, fmt)
    if request.resume:
        return _resume(request, plugins, out, fmt)
    if not request.models_file:
        raise BenchlabError("compare needs --models FILE (the models to play), two runs or more, or --resume ID")
    return _new(request, plugins, out, fmt)


def _new(request: CompareRequest, plugins: Plugins, out: Path, fmt: str) -> int:
    from benchlab.run_command import check_out_dir
    from benchlab.selection import plan_run

    assert request.models_file is not None
    specs = _chosen(load_models(request.models_file, plugins.backends), request.only, request.models_file)
    plan = plan_run(request.selection, plugins, request.thinking)
    check_out_dir(out)
    settings = SharedSettings(selection=plan.selection, sampling=request.sampling, thinking=request.thinking,
                              plugins=[str(Path(p).resolve()) for p in request.plugin_files])
    saved = SavedComparison(new_compare_id(), now(), settings, [Member(spec) for spec in specs])
    save(out, saved)  # first, so that an interrupted comparison can be resumed
    jobs = {spec.name: _new_run_job(spec, settings, plan, out, plugins) for spec in specs}
    return _play_and_report(saved, jobs, out, fmt, request.output.progress, [i.key for i in plan.items], plugins)


def _resume(request: CompareRequest, plugins: Plugins, out: Path, fmt: str) -> int:
    from benchlab.selection import replan

    fixed = [flag for name, flag in request.given.items() if name not in RESUMABLE]
    if fixed:
        raise BenchlabError(f"{', '.join(fixed)} cannot change on --resume: the comparison keeps what it recorded "
                            "(allowed: --only, --models, --out, --no-progress, --format)")
    assert request.resume is not None
    saved = load(out, request.resume)
    from_file = load_models(request.models_file, plugins.backends) if request.models_file else []
    by_name = {s.name: s for s in from_file}
    names = list(request.only) or saved.names
    for name in names:
        if saved.member(name) is None:
            if name not in by_name:
                where = f"; {request.models_file} has {', '.join(by_name) or 'none'}" if request.models_file else \
                    "; to add it, give --models FILE with its [[model]] table"
                raise BenchlabError(f"--only {name}: comparison {saved.compare_id} has no such model "
                                    f"(its models: {', '.join(saved.names)}){where}")
            if saved.settings is None:
                raise BenchlabError(f"comparison {saved.compare_id} was built from existing runs: it plays no new model")
            saved.members.append(Member(by_name[name]))
    if saved.settings is not None:
        if saved.settings.plugins:
            from benchlab.plugin_manager import load_plugins

            plugins = load_plugins(saved.settings.plugins)
        plan = replan(saved.settings.selection, plugins, saved.settings.thinking)
        expected = [i.key for i in plan.items]
    else:
        plan, expected = None, []
    save(out, saved)
    jobs = {}
    for name in names:
        member = saved.member(name)
        assert member is not None
        spec = by_name.get(name, member.spec)  # the file, when given, holds what compare.json cannot (credentials)
        run_dir = _run_dir(member, out)
        if run_dir is not None:
            jobs[name] = _resume_job(spec, run_dir, plugins)
        else:
            assert saved.settings is not None and plan is not None
            jobs[name] = _new_run_job(spec, saved.settings, plan, out, plugins)
    return _play_and_report(saved, jobs, out, fmt, request.output.progress, expected, plugins)


def _chosen(specs: list[ModelSpec], only: list[str], source: Path) -> list[ModelSpec]:
    if not only:
        return specs
    names = [s.name for s in specs]
    unknown = [n for n in only if n not in names]
    if unknown:
        raise BenchlabError(f"--only {unknown[0]}: {source} has no such model (its models: {', '.join(names)})")
    return [s for s in specs if s.name in only]


def _run_dir(member: Member, out: Path) -> Path | None:
    """The folder of the member's run: under --out by id, else where it was found; None without a run."""
    from benchlab.run_ref import is_run_folder

    if member.run_id and is_run_folder(out / member.run_id):
        return out / member.run_id
    if member.run_dir and is_run_folder(Path(member.run_dir)):
        return Path(member.run_dir)
    return None


# -- playing: one thread per model ------------------------------------------------------------


def _key_check(spec: ModelSpec) -> None:
    if spec.api_key_env and spec.api_key() is None:
        warn(f"model {spec.name}: {spec.api_key_env} is not set (api_key_env): its requests carry no key")


def _new_run_job(spec: ModelSpec, settings: SharedSettings, plan: Any, out: Path, plugins: Plugins) -> Any:
    _key_check(spec)

    def job() -> Played:
        from benchlab.run import execute
        from benchlab.run_command import backend_options

        config = settings.config_for(spec, out)
        options = backend_options(config, spec.endpoint, spec.api_key(), plugins)
        outcome = execute(config, options, plugins, show_progress=False, plan=plan)
        return Played(spec.name, outcome.record, outcome.run_dir, interrupted=outcome.interrupted)

    return job


def _resume_job(spec: ModelSpec, run_dir: Path, plugins: Plugins) -> Any:
    _key_check(spec)

    def job() -> Played:
        from benchlab.journal import read_journal
        from benchlab.records import load_run
        from benchlab.resume import is_final
        from benchlab.run import execute
        from benchlab.run_command import backend_options
        from benchlab.selection import replan

        contents = read_journal(run_dir)
        plan = replan(contents.config.selection, plugins, contents.config.thinking)
        done = {r.key for r in contents.results if is_final(r)}
        if all(item.key in done for item in plan.items):
            return Played(spec.name, load_run(run_dir), run_dir)  # nothing to play: no server is contacted
        options = backend_options(contents.config, spec.endpoint, spec.api_key(), plugins)
        outcome = execute(contents.config, options, plugins, show_progress=False, resume=contents, run_dir=run_dir, plan=plan)
        return Played(spec.name, outcome.record, outcome.run_dir, interrupted=outcome.interrupted)

    return job


def _play_all(jobs: dict[str, Any], progress: bool) -> dict[str, Played]:
    """Every job in its own thread, all at once; a model that cannot start is UNAVAILABLE with its reason."""
    played: dict[str, Played] = {}

    def worker(name: str, job: Any) -> None:
        try:
            played[name] = job()
        except BenchlabError as exc:
            played[name] = Played(name, unavailable=str(exc))
        except KeyboardInterrupt:
            played[name] = Played(name, unavailable="interrupted", interrupted=True)
        except Exception as exc:  # a defect must not cost the other models their runs
            played[name] = Played(name, unavailable=f"{type(exc).__name__}: {exc}")
        if progress:
            p = played[name]
            state = f"UNAVAILABLE: {p.unavailable}" if p.unavailable else f"run {p.record.run_id}"
            print(f"benchlab: compare: {name}: {state}", file=sys.stderr, flush=True)

    if progress:
        print(f"benchlab: compare: playing {', '.join(jobs)} side by side", file=sys.stderr, flush=True)
    # Start-up objects live as long as the process: keep the collector off them during the runs.
    gc.freeze()
    # Daemon threads: on Ctrl-C the comparison stops at once; every finished result is in its journal.
    threads = [threading.Thread(target=worker, args=(name, job), name=f"compare-{name}", daemon=True) for name, job in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.2)
    return played


def _play_and_report(saved: SavedComparison, jobs: dict[str, Any], out: Path, fmt: str,
                     progress: bool, expected: list[Any], plugins: Plugins) -> int:
    before = _run_ids(out)
    try:
        played = _play_all(jobs, progress)
    except KeyboardInterrupt:
        _adopt_new_runs(saved, out, before)
        save(out, saved)
        print(f"benchlab: interrupted; finish it with: {resume_command(saved.compare_id, out, [])}", file=sys.stderr)
        return exit_codes.INTERRUPTED
    for name, p in played.items():
        member = saved.member(name)
        assert member is not None
        if p.record is not None:
            member.run_id, member.run_dir, member.unavailable = p.record.run_id, str(Path(p.run_dir).resolve()), None
        elif member.run_id is None:
            member.unavailable = p.unavailable
        else:  # a resume that could not start: the run keeps what it earned
            member.unavailable = p.unavailable
    save(out, saved)
    records = {name: p.record for name, p in played.items() if p.record is not None}
    none_started = bool(jobs) and not records and not any(m.run_id for m in saved.members)
    code = _report(saved, records, out, fmt, expected, plugins, none_started=none_started)
    if any(p.interrupted for p in played.values()):
        return exit_codes.INTERRUPTED
    return code


def _run_ids(out: Path) -> set[str]:
    from benchlab.run_ref import run_folders

    return {p.name for p in run_folders(out)}


def _adopt_new_runs(saved: SavedComparison, out: Path, before: set[str]) -> None:
    """After Ctrl-C: the runs started meanwhile, matched to their models by target, so a resume continues them."""
    from benchlab.journal import read_journal
    from benchlab.run_ref import run_folders

    for folder in run_folders(out):
        if folder.name in before:
            continue
        try:
            target = read_journal(folder).config.target
        except BenchlabError:
            continue
        for member in saved.members:
            if member.run_id is None and member.spec.target() == target:
                member.run_id, member.run_dir = folder.name, str(folder.resolve())
                break


# -- the report ---------------------------------------------------------------------------------


def _report(saved: SavedComparison, fresh: dict[str, Any], out: Path, fmt: str, expected: list[Any], plugins: Plugins, *,
            none_started: bool = False) -> int:
    """Write compare.md and every reporter's comparison files, print the tables (or JSON); 1 when
    no model could start (``none_started``), 3 while any cell has no verdict, else 0."""
    from benchlab.inspect_run import full_results
    from benchlab.records import load_run

    sides = []
    described = {}
    for member in saved.members:
        spec = member.spec
        record = fresh.get(spec.name)
        run_dir = _run_dir(member, out)
        if record is None and run_dir is not None:
            record = load_run(run_dir)
        # The report shows every model's complete outputs: the record holds summaries, the journal the rest.
        full = full_results(run_dir, record.results) if record is not None and run_dir is not None else None
        reason = member.unavailable if record is None else None
        sides.append(Side(spec.name, record, reason or ("not played yet" if record is None else None), spec.price, full))
        described[spec.name] = _describe(spec, record, member.unavailable)
    comparison = build(sides, expected)
    missing = _missing_names(comparison)
    # Every model missing something: the comparison's id alone plays it all.
    commands = [resume_command(saved.compare_id, out, missing if len(missing) < len(sides) else [])] if missing else []
    heading = Heading(saved.compare_id, described, commands)
    folder = folder_of(out, saved.compare_id)
    # Regenerated from the runs on every compare: nothing is lost if a write is cut short.
    (folder / REPORT_FILE).write_text(render_markdown(comparison, heading, outputs=True), encoding="utf-8")
    pages = _reporters_write(plugins, comparison, heading, folder)
    from benchlab.cli.options import JSON_VIEW

    if fmt == JSON_VIEW:
        sys.stdout.write(json.dumps(to_json(comparison, heading), ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        sys.stdout.write(render_markdown(comparison, heading, outputs=False, pages=pages))
    sys.stdout.flush()
    print(f"benchlab: comparison saved to {folder}/", file=sys.stderr)
    if none_started:
        print(f"benchlab: error: no model could start; when they can, play them with: {commands[0]}", file=sys.stderr)
        return exit_codes.ERROR
    if missing:
        print(f"benchlab: {comparison.unavailable_cells} result(s) UNAVAILABLE (exit 3); play them with: {commands[0]}",
              file=sys.stderr)
        return exit_codes.NOT_SCORED
    return exit_codes.OK


def _reporters_write(plugins: Plugins, comparison: Comparison, heading: Heading, folder: Path) -> list[str]:
    """Every reporter with a ``write_comparison(comparison, heading, folder)`` adds its files (the
    HTML page), as runs get theirs; a reporter that fails is a warning, never a lost comparison.
    The names of the files they wrote (new or rewritten), for the closing line."""
    before = _stamps(folder)
    for problem in plugins.write_reports("write_comparison", comparison, heading, folder):
        print(f"benchlab: warning: {problem}", file=sys.stderr)
    return sorted(name for name, stamp in _stamps(folder).items() if before.get(name) != stamp)


def _stamps(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Each file's identity and modification time: a file replaced whole (os.replace) gets a new inode."""
    stamps = {}
    for path in folder.iterdir():
        if path.is_file() and not path.name.startswith("."):
            info = path.stat()
            stamps[path.name] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return stamps


def _missing_names(comparison: Comparison) -> list[str]:
    return [side.name for i, side in enumerate(comparison.models) if any(not row.cells[i].scored for row in comparison.rows)]


def _describe(spec: ModelSpec, record: Any, unavailable: str | None) -> str:
    if spec.replay:
        text = f"{spec.backend} of {spec.replay}"
    else:
        where = redact_url(spec.endpoint) if spec.endpoint else "its own server"
        model = record.model if record is not None and record.model else spec.model or "the server's first model"
        text = f"{spec.backend} at {where}, model {model}"
    if record is not None:
        text += f", run {record.run_id}"
    if unavailable:
        text += f"; UNAVAILABLE: {unavailable}"
    return text


# -- compare RUN RUN ...: runs that exist ----------------------------------------------------------


def _from_runs(request: CompareRequest, plugins: Plugins, out: Path, fmt: str) -> int:
    from benchlab.records import load_run
    from benchlab.run_ref import resolve_run

    folders = [resolve_run(ref, out) for ref in request.runs]
    records = [load_run(folder) for folder in folders]
    names = _names_for(records)
    members = []
    for name, record, folder in zip(names, records, folders):
        target = record.config.target
        spec = ModelSpec(name=name, backend=record.backend, endpoint=record.endpoint if target.endpoint else None,
                         model=target.model, concurrency=target.concurrency, replay=target.replay, options=dict(target.settings))
        members.append(Member(spec, record.run_id, str(folder.resolve())))
    saved = SavedComparison(new_compare_id(), now(), None, members)
    save(out, saved)
    return _report(saved, dict(zip(names, records)), out, fmt, [], plugins)


def _names_for(records: list[Any]) -> list[str]:
    """Each run's model name fit for a table and --only; the run id where two runs share a model."""
    names = [re.sub(r"[^A-Za-z0-9._-]+", "-", r.model or "").strip("-.") or r.run_id for r in records]
    names = [n if NAME_PATTERN.match(n) else r.run_id for n, r in zip(names, records)]
    return [r.run_id if names.count(n) > 1 else n for n, r in zip(names, records)]
