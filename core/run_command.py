"""``benchlab run``: build the RunConfig once from the command line, execute it, print the report."""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs

from benchlab.backend_checks import check_endpoint, check_settings
from benchlab.backends import BackendOptions, offline_explainer
from benchlab.config import Budgets, RunConfig, SandboxRequest, Sampling, Target, Thinking
from benchlab.errors import BenchlabError
from benchlab.plugin_manager import Plugins, load_plugins
from benchlab.redact import has_userinfo, redact_url, was_redacted


@attrs.frozen
class RunRequest:
    """Everything ``benchlab run`` was given, grouped as the command line's option groups."""

    target: Any  # benchlab.cli.options.TargetFlags
    selection: Any  # benchlab.cli.options.SelectionFlags
    sampling: Sampling
    thinking: Thinking
    budgets: Budgets
    sandbox: SandboxRequest
    output: Any  # benchlab.cli.options.OutputFlags
    plugin_files: list[str] = attrs.field(factory=list)
    # Exit 3 when packs are skipped for want of a sandbox or dataset (an exit-code choice, not recorded).
    require_all: bool = False
    # The regression gate's options (benchlab.cli.baseline.GATE): baseline, baselines, fail_on_regression, allow_mismatch.
    gate: dict[str, Any] = attrs.field(factory=dict)


def choose_backend(request: RunRequest, plugins: Plugins) -> tuple[str, dict[str, Any] | None]:
    """The named backend; else the one for --replay, detection from the endpoint, or the no-endpoint default."""
    sandbox = request.sandbox
    if sandbox.name:
        from benchlab.sandbox_selection import confirm_unconfined

        if sandbox.name not in plugins.sandboxes:
            raise BenchlabError("--sandbox: " + plugins.sandboxes.unknown_message(sandbox.name))
        confirm_unconfined(plugins.sandboxes, sandbox.name, sandbox.unsafe_local)  # before any backend starts
    target = request.target
    if target.backend:
        if target.backend not in plugins.backends:
            raise BenchlabError(plugins.backends.unknown_message(target.backend))
        return target.backend, None
    if target.replay:
        return plugins.backends.require_role("recorded_answers", "answers from a --replay file"), None
    if target.endpoint:
        from benchlab.detect import detect_backend

        return asyncio.run(detect_backend(target.endpoint, plugins, target.api_key))
    return plugins.backends.require_role("no_endpoint", "serves a run given no --endpoint"), None


def build_config(request: RunRequest, selection: Any, backend: str) -> RunConfig:
    """The one RunConfig of a new run: the request's groups, the resolved selection and backend."""
    t = request.target
    return RunConfig(
        target=Target(
            backend=backend, endpoint=redact_url(t.endpoint) if t.endpoint else None, model=t.model, settings=t.settings,
            replay=str(Path(t.replay).resolve()) if t.replay else None, concurrency=t.concurrency, stream=t.stream,
            max_tokens=t.max_tokens, extra_body=t.extra_body,
        ),
        selection=selection,
        sampling=request.sampling,
        thinking=request.thinking,
        budgets=request.budgets,
        sandbox=request.sandbox,
        out=str(request.output.out),
        plugins=[str(Path(p).resolve()) for p in request.plugin_files],
    )


def backend_options(config: RunConfig, endpoint: str | None, api_key: str | None, plugins: Plugins) -> BackendOptions:
    """What the backend is told: the config's target, the endpoint as given (it may hold credentials), the key,
    and what the installed backends can say about an offline page."""
    if api_key and has_userinfo(endpoint):
        # One Authorization header: the URL's Basic credentials would silently replace the key's Bearer.
        raise BenchlabError(f"--endpoint {redact_url(endpoint or '')} holds user:password (sent as HTTP Basic auth) and a key is "
                            "given too (--api-key, BENCHLAB_API_KEY or a models file's api_key_env): both would go in the one "
                            "Authorization header; give one of them")
    t = config.target
    return BackendOptions(
        endpoint=endpoint, model=t.model, api_key=api_key, stream=t.stream, extra_body=t.extra_body, replay_file=t.replay,
        # thinking_flag: thinking turned off by the user (the off arm of --thinking both is too).
        concurrency=t.concurrency, settings={"thinking_flag": False if config.thinking.both else config.thinking.forced, **t.settings},
        explain_offline=offline_explainer(plugins),
    )


def stdout_reporter(plugins: Plugins, name: str | None) -> Any:
    """The reporter ``--format NAME`` prints with (default: the one registered for stdout)."""
    name = name or plugins.reporters.require_role("stdout", "prints a run on stdout")
    if name not in plugins.reporters:
        raise BenchlabError("--format: " + plugins.reporters.unknown_message(name))
    reporter = plugins.reporters.get(name)
    if getattr(reporter, "render", None) is None:
        raise BenchlabError(f"--format {name}: that reporter writes files only; it renders nothing to print")
    return reporter


def print_rendered(reporter: Any, record: Any) -> None:
    """``--format``'s text on stdout: a piece at a time from a reporter with ``render_chunks``
    (a 10,000-result JUnit document is 10 MB, held twice when printed whole), else ``render``'s."""
    chunks = getattr(reporter, "render_chunks", None)
    for piece in chunks(record) if chunks is not None else [reporter.render(record)]:
        sys.stdout.write(piece)
    sys.stdout.flush()


def check_out_dir(out: Path, flag: str = "--out") -> None:
    """Create ``out`` and prove a file can be written there, or fail with one line naming ``flag``."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        # A real write: permission bits alone say nothing for root or read-only mounts.
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise BenchlabError(f"{flag} {out}: cannot write run folders there ({exc.strerror or exc})") from None


def run_command(request: RunRequest, *, resume: str | None, plugins: Plugins, given: dict[str, str] | None = None) -> int:
    """Run (or resume) and print the report; the exit code follows benchlab.exit_codes.

    ``given`` maps the parameters set on the command line to their flags (resume checks them).
    """
    from benchlab.run import execute
    from benchlab.selection import plan_run

    reporter = stdout_reporter(plugins, request.output.format)
    if request.gate.get("baseline"):
        from benchlab import baselines

        # A baseline that does not exist is found out before the run, not after it.
        baselines.load(baselines.baselines_dir(request.gate.get("baselines")), request.gate["baseline"])
    contents = None
    run_dir = None
    detected = None
    plan = None
    changes: dict[str, Any] = {}
    out = Path(request.output.out)
    if resume:
        from benchlab.resume import prepare_resume

        contents, run_dir, changes = prepare_resume(request, resume, given or {})
        config = contents.config
        if request.target.endpoint is None and was_redacted(config.target.endpoint):
            raise BenchlabError(f"run {contents.run_id} talked to {config.target.endpoint}, whose credentials benchlab never "
                                "saves: resume with --endpoint URL, credentials included")
        check_endpoint(plugins, config.target.backend, request.target.endpoint)
        if config.plugins:
            try:
                plugins = load_plugins(config.plugins)
            except BenchlabError as exc:  # the user did not type this --plugin: say where it came from
                raise BenchlabError(f"run {contents.run_id} was made with a plugin file it reloads on resume, "
                                    f"which now fails: {exc}") from None
    else:
        # Validate the packs, the scenario selection and --out before anything touches
        # the network (detection included) or starts a local server.
        plan = plan_run(request.selection, plugins, request.thinking)
        check_out_dir(out)
        backend, detected = choose_backend(request, plugins)
        check_endpoint(plugins, backend, request.target.endpoint)
        check_settings(plugins, backend, request.target.settings)  # before the backend starts
        config = build_config(request, plan.selection, backend)
    options = backend_options(config, request.target.endpoint or config.target.endpoint, request.target.api_key, plugins)
    for problem in plugins.warnings:
        print(f"benchlab: warning: {problem}", file=sys.stderr)
    # Start-up objects (modules, typer, pydantic, httpx) live as long as the process:
    # keep the collector from walking them again on every full collection during the run.
    gc.freeze()
    outcome = execute(
        config, options, plugins, show_progress=request.output.progress, resume=contents, run_dir=run_dir,
        detected=detected, plan=plan, resume_changes=changes, endpoint_changed="target.endpoint" in changes,
    )
    print_rendered(reporter, outcome.record)
    print(f"benchlab: run saved to {outcome.run_dir}/", file=sys.stderr)
    code = run_exit_code(outcome, require_all=request.require_all)
    if request.gate.get("baseline") and not outcome.interrupted:
        from benchlab import exit_codes
        from benchlab.cli.baseline import gate_run

        # The gate's text follows the report on stdout (on stderr when stdout carries JSON).
        shown_as_markdown = request.output.format in (None, plugins.reporters.with_role("stdout"))
        code = exit_codes.combine(code, gate_run(request.gate, outcome.record, to_stderr=not shown_as_markdown))
    return code


def run_exit_code(outcome: Any, *, require_all: bool) -> int:
    """130 interrupted, 1 a fatal stop, 3 scenarios not scored, else 0 (benchlab.exit_codes)."""
    from benchlab import exit_codes
    from benchlab.resume import resume_command

    record = outcome.record
    codes = []
    if outcome.interrupted:
        print(f"benchlab: interrupted; finish it with: {record.resume_hint or resume_command(record.run_id, record.config.out)}",
              file=sys.stderr)
        codes.append(exit_codes.INTERRUPTED)
    if outcome.fatal:
        print(f"benchlab: error: {outcome.fatal}", file=sys.stderr)
        codes.append(exit_codes.ERROR)
    infra = sum(p.infrastructure_failures for p in record.packs)
    unplayed = sum(p.unplayed for p in record.packs)
    skipped = sum(p.not_scored for p in record.packs) if require_all else 0
    if infra or unplayed or skipped:
        reasons = [f"{n} {what}" for n, what in ((infra, "infrastructure failure(s)"), (unplayed, "unplayed"),
                                                 (skipped, "skipped for want of a sandbox or dataset (--require-all)")) if n]
        hint = f"; play them with: {record.resume_hint}" if record.resume_hint and (infra or unplayed) else ""
        print(f"benchlab: not every scenario was scored: {', '.join(reasons)} (exit 3){hint}", file=sys.stderr)
        codes.append(exit_codes.NOT_SCORED)
    return exit_codes.combine(*codes)
