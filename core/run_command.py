"""``benchlab run``: turn flags into a RunConfig, execute it, print the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchlab.backends import BackendOptions
from benchlab.config import RunConfig
from benchlab.errors import BenchlabError
from benchlab.plugin_manager import Plugins, load_plugins
from benchlab.redact import redact_url


def _default_backend(endpoint: str | None, replay: str | None) -> str:
    if replay:
        return "replay"
    if endpoint:
        return "openai"
    return "local"


def _selection(quick: bool, packs: list[str], scenarios: list[str], plugins: Plugins) -> tuple[list[str], str]:
    """Pack references and the mode label shown in the Quality: line."""
    from benchlab.selection import canonical_ref, mode_packs, packs_for_scenarios

    refs: list[str] = []
    labels: list[str] = []
    if quick:
        refs += mode_packs(plugins, "quick")
        labels.append("--quick")
    if packs:
        refs += [canonical_ref(p, plugins) for p in packs]
        labels.append("--pack " + ",".join(packs))
    if scenarios and not refs:
        refs += packs_for_scenarios(scenarios, plugins)
        labels.append("--scenario " + ",".join(scenarios))
    if not refs:
        refs = mode_packs(plugins, "quick")
        labels.append("--quick")
    return list(dict.fromkeys(refs)), " ".join(labels)


def run_command(
    *,
    endpoint: str | None,
    backend: str | None,
    model: str | None,
    api_key: str | None,
    quick: bool,
    packs: list[str],
    scenarios: list[str],
    concurrency: int | None,
    out: Path,
    fmt: str,
    progress: bool,
    max_tokens: int | None,
    extra_body: dict[str, Any],
    stream: bool,
    timeout: float | None,
    retries: int,
    repeat: int,
    replay: str | None,
    plugin_files: list[str],
    resume: str | None,
    plugins: Plugins,
) -> int:
    from benchlab.run import execute, load_resume

    contents = None
    run_dir = None
    if resume:
        contents, run_dir = load_resume(out, resume)
        config = contents.config
        if config.plugins and config.plugins != list(plugin_files):
            plugins = load_plugins(config.plugins)
        endpoint = endpoint or config.endpoint
    else:
        backend_name = backend or _default_backend(endpoint, replay)
        if backend_name not in plugins.backends:
            raise BenchlabError(plugins.backends.unknown_message(backend_name))
        refs, mode = _selection(quick, packs, scenarios, plugins)
        config = RunConfig(
            backend=backend_name,
            endpoint=redact_url(endpoint) if endpoint else None,
            model=model,
            packs=refs,
            mode=mode,
            scenarios=list(scenarios),
            concurrency=concurrency,
            out=str(out),
            stream=stream,
            max_tokens=max_tokens,
            extra_body=extra_body,
            timeout_s=timeout,
            retries=retries,
            replay=str(Path(replay).resolve()) if replay else None,
            plugins=[str(Path(p).resolve()) for p in plugin_files],
            repeat=repeat,
        )
    options = BackendOptions(
        endpoint=endpoint,
        model=config.model,
        api_key=api_key,
        stream=config.stream,
        extra_body=config.extra_body,
        replay_file=config.replay,
        concurrency=config.concurrency,
    )
    for problem in plugins.warnings:
        print(f"benchlab: warning: {problem}", file=sys.stderr)
    outcome = execute(config, options, plugins, show_progress=progress, resume=contents, run_dir=run_dir)
    reporter = plugins.reporters.get(fmt)
    sys.stdout.write(reporter.render(outcome.record))
    sys.stdout.flush()
    print(f"benchlab: run saved to {outcome.run_dir}/", file=sys.stderr)
    if outcome.interrupted:
        print(f"benchlab: interrupted; finish it with: benchlab run --resume {outcome.record.run_id}", file=sys.stderr)
        return 130
    return 0
