"""``benchlab run``: turn flags into a RunConfig, execute it, print the report."""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs

from benchlab.backend_checks import check_settings
from benchlab.backends import BackendOptions
from benchlab.config import RunConfig
from benchlab.errors import BenchlabError
from benchlab.plugin_manager import Plugins, load_plugins
from benchlab.redact import redact_url

DEFAULT_MODE = "medium"


@attrs.frozen
class RunFlags:
    """The run-shaping flags of ``benchlab run`` (presentation flags excluded)."""

    endpoint: str | None
    backend: str | None
    model: str | None
    modes: list[str]
    packs: list[str]
    scenarios: list[str]
    sandboxed: str  # "all", "none" (--no-sandboxed) or "only" (--sandboxed-only)
    concurrency: int | None
    out: Path
    max_tokens: int | None
    extra_body: dict[str, Any]
    stream: bool
    repeat: int
    replay: str | None
    plugin_files: list[str]
    thinking: bool | None
    thinking_max_tokens: int
    reasoning_effort: str | None
    strict_thinking: bool
    sampling: dict[str, Any]
    sampling_from_server: bool
    timeout_per_case_s: float | None
    measured_tps: float | None
    reference_tps: float
    timeout_ceiling_s: float
    retries: int
    retry_on_timeout: bool
    request_delay_s: float
    max_total_tokens: int | None
    sandbox: str | None = None
    unsafe_local: bool = False
    backend_settings: dict[str, Any] = attrs.field(factory=dict)
    full_dataset: bool = False
    # Exit 3 when packs are skipped for want of a sandbox or dataset (an exit-code choice, not recorded).
    require_all: bool = False


def _selection(flags: RunFlags, plugins: Plugins) -> tuple[list[str], str]:
    """Pack references and the mode label shown in the Quality: line."""
    from benchlab.selection import canonical_ref, mode_packs, packs_for_scenarios

    refs: list[str] = []
    labels: list[str] = []
    for mode in flags.modes:
        refs += mode_packs(plugins, mode)
        labels.append(f"--{mode}")
    if flags.packs:
        refs += [canonical_ref(p, plugins) for p in flags.packs]
        labels.append("--pack " + ",".join(flags.packs))
    if flags.scenarios and not refs:
        refs += packs_for_scenarios(flags.scenarios, plugins)
        labels.append("--scenario " + ",".join(flags.scenarios))
    if not refs:
        refs = mode_packs(plugins, DEFAULT_MODE)
        labels.append(f"--{DEFAULT_MODE}")
    if flags.sandboxed != "all":
        labels.append("--no-sandboxed" if flags.sandboxed == "none" else "--sandboxed-only")
    return list(dict.fromkeys(refs)), " ".join(labels)


def selected_packs(flags: RunFlags, plugins: Plugins) -> tuple[list[str], str, list[Any]]:
    """References, mode label and the loaded (validated) packs, sandbox filter applied."""
    from benchlab.model import LoadOptions
    from benchlab.selection import load_packs

    refs, mode = _selection(flags, plugins)
    packs = load_packs(refs, plugins, LoadOptions(full_dataset=flags.full_dataset))
    if flags.sandboxed != "all":
        keep = flags.sandboxed == "only"
        pairs = [(r, p) for r, p in zip(refs, packs) if p.needs_sandbox == keep]
        refs, packs = [r for r, _ in pairs], [p for _, p in pairs]
        if not packs:
            raise BenchlabError(f"no selected pack is left after {mode.split()[-1]}")
    return refs, mode, packs


def choose_backend(flags: RunFlags, plugins: Plugins, api_key: str | None) -> tuple[str, dict[str, Any] | None]:
    """The named backend; else replay, detection from the endpoint, or the embedded default."""
    if flags.sandbox:
        from benchlab.sandbox_selection import confirm_unconfined

        if flags.sandbox not in plugins.sandboxes:
            raise BenchlabError("--sandbox: " + plugins.sandboxes.unknown_message(flags.sandbox))
        confirm_unconfined(plugins.sandboxes, flags.sandbox, flags.unsafe_local)  # before any backend starts
    if flags.backend:
        if flags.backend not in plugins.backends:
            raise BenchlabError(plugins.backends.unknown_message(flags.backend))
        return flags.backend, None
    if flags.replay:
        return "replay", None
    if flags.endpoint:
        from benchlab.detect import detect_backend

        return asyncio.run(detect_backend(flags.endpoint, plugins, api_key))
    return "local", None


def config_from_flags(flags: RunFlags, refs: list[str], mode: str, backend: str) -> RunConfig:
    return RunConfig(
        backend=backend,
        endpoint=redact_url(flags.endpoint) if flags.endpoint else None,
        model=flags.model,
        packs=refs,
        mode=mode,
        scenarios=list(flags.scenarios),
        concurrency=flags.concurrency,
        out=str(flags.out),
        stream=flags.stream,
        max_tokens=flags.max_tokens,
        extra_body=flags.extra_body,
        retries=flags.retries,
        replay=str(Path(flags.replay).resolve()) if flags.replay else None,
        plugins=[str(Path(p).resolve()) for p in flags.plugin_files],
        repeat=flags.repeat,
        thinking=flags.thinking,
        thinking_max_tokens=flags.thinking_max_tokens,
        reasoning_effort=flags.reasoning_effort,
        strict_thinking=flags.strict_thinking,
        sampling=flags.sampling,
        sampling_from_server=flags.sampling_from_server,
        timeout_per_case_s=flags.timeout_per_case_s,
        measured_tps=flags.measured_tps,
        reference_tps=flags.reference_tps,
        timeout_ceiling_s=flags.timeout_ceiling_s,
        retry_on_timeout=flags.retry_on_timeout,
        request_delay_s=flags.request_delay_s,
        max_total_tokens=flags.max_total_tokens,
        sandbox=flags.sandbox,
        unsafe_local=flags.unsafe_local,
        settings=flags.backend_settings,
        full_dataset=flags.full_dataset,
    )


def check_out_dir(out: Path) -> None:
    """Create ``--out`` and prove a file can be written there, or fail with one line."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        # A real write: permission bits alone say nothing for root or read-only mounts.
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise BenchlabError(f"--out {out}: cannot write run folders there ({exc.strerror or exc})") from None


def run_command(
    flags: RunFlags, *, api_key: str | None, resume: str | None, fmt: str, progress: bool, plugins: Plugins,
    given: dict[str, str] | None = None,
) -> int:
    """Run (or resume) and print the report; the exit code follows benchlab.exit_codes.

    ``given`` maps the parameters set on the command line to their flags (resume checks them).
    """
    from benchlab.resume import check_resume_flags, config_changes
    from benchlab.run import execute, load_resume
    from benchlab.selection import work_items

    contents = None
    run_dir = None
    detected = None
    packs = None
    changes: dict[str, Any] = {}
    endpoint = flags.endpoint
    if resume:
        given = given or {}
        check_resume_flags(given)
        contents, run_dir = load_resume(flags.out, resume)
        plugin_files = [str(Path(p).resolve()) for p in flags.plugin_files]
        if "plugin" in given and plugin_files != contents.config.plugins:
            raise BenchlabError("--plugin cannot change on --resume: the run reloads the plugins it recorded; leave --plugin out")
        values = {**attrs.asdict(flags), "timeout_per_case": flags.timeout_per_case_s, "request_delay": flags.request_delay_s,
                  "out": str(flags.out), "endpoint": redact_url(flags.endpoint) if flags.endpoint else None}
        changes = {k: v for k, v in config_changes(given, values).items() if getattr(contents.config, k) != v}
        config = attrs.evolve(contents.config, **changes)
        if config.plugins:
            plugins = load_plugins(config.plugins)
        endpoint = endpoint or config.endpoint
    else:
        # Validate the packs, the scenario selection and --out before anything touches
        # the network (detection included) or starts a local server.
        refs, mode, packs = selected_packs(flags, plugins)
        work_items(packs, flags.scenarios, flags.repeat)
        check_out_dir(flags.out)
        backend, detected = choose_backend(flags, plugins, api_key)
        check_settings(plugins, backend, flags.backend_settings)  # before the backend starts
        config = config_from_flags(flags, refs, mode, backend)
    options = BackendOptions(
        endpoint=endpoint,
        model=config.model,
        api_key=api_key,
        stream=config.stream,
        extra_body=config.extra_body,
        replay_file=config.replay,
        concurrency=config.concurrency,
        settings={"thinking_flag": config.thinking, **config.settings},
    )
    for problem in plugins.warnings:
        print(f"benchlab: warning: {problem}", file=sys.stderr)
    # Start-up objects (modules, typer, pydantic, httpx) live as long as the process:
    # keep the collector from walking them again on every full collection during the run.
    gc.freeze()
    outcome = execute(
        config, options, plugins, show_progress=progress, resume=contents, run_dir=run_dir, detected=detected, packs=packs,
        resume_changes=changes, check_server=bool(contents and "endpoint" in changes),
    )
    sys.stdout.write(plugins.reporters.get(fmt).render(outcome.record))
    sys.stdout.flush()
    print(f"benchlab: run saved to {outcome.run_dir}/", file=sys.stderr)
    return run_exit_code(outcome, require_all=flags.require_all)


def run_exit_code(outcome: Any, *, require_all: bool) -> int:
    """130 interrupted, 1 a fatal stop, 3 scenarios not scored, else 0 (benchlab.exit_codes)."""
    from benchlab import exit_codes
    from benchlab.resume import resume_command

    record = outcome.record
    codes = []
    if outcome.interrupted:
        print(f"benchlab: interrupted; finish it with: {resume_command(record.run_id, record.config['out'])}", file=sys.stderr)
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
        print(f"benchlab: not every scenario was scored: {', '.join(reasons)} (exit 3)", file=sys.stderr)
        codes.append(exit_codes.NOT_SCORED)
    return exit_codes.combine(*codes)
