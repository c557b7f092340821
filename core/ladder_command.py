"""``benchlab ladder``: set up (or reload, for ``--resume``) a ladder run, play it, print the table.

Exit codes: 0 when every scenario was played up to acceptance or the cap, whatever the
verdicts; 3 when an attempt could not be made (an unreachable model or a timeout used
it up); 1 on an error (bad input, a models file with defects, an unknown run).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import attrs

from benchlab import exit_codes
from benchlab.codec import structure
from benchlab.errors import BenchlabError
from benchlab.ladder import Ladder, LadderConfig, ladder_folder, ladder_json, read_ladder, table_markdown
from benchlab.model import Pack, Scenario



@attrs.frozen
class LadderRequest:
    """What ``benchlab ladder`` was given (the shared option groups of ``run`` among them)."""

    models: Path | None
    selection: Any  # benchlab.cli.options.SelectionFlags
    budgets: Any
    sandbox: Any
    output: Any  # benchlab.cli.options.OutputFlags
    max_attempts: int
    per_model: int
    learning: bool
    plugin_files: list[str] = attrs.field(factory=list)


def ladder_command(request: LadderRequest, *, resume: str | None, plugins: Any) -> int:
    from benchlab.models_file import ModelSpec, load_models
    from benchlab.run import new_run_id
    from benchlab.run_command import check_out_dir
    from benchlab.runner import now_iso
    from benchlab.selection import plan_run, replan

    from benchlab.cli.options import JSON_VIEW, MARKDOWN_VIEW

    fmt = request.output.format or MARKDOWN_VIEW
    if fmt not in (MARKDOWN_VIEW, JSON_VIEW):
        raise BenchlabError(f"--format {fmt!r}: the ladder prints {MARKDOWN_VIEW} (the default) or {JSON_VIEW}")
    out = Path(request.output.out)
    if request.budgets.max_total_tokens is not None:
        raise BenchlabError("--max-total-tokens: the ladder has no spend guard; --max-attempts bounds what it spends")
    if resume:
        run_dir = ladder_folder(resume, out)
        if run_dir is None:
            raise BenchlabError(f"--resume {resume}: no ladder run of that id under {out} (no {out / resume / 'ladder.json'})")
        saved = read_ladder(run_dir)
        config = structure(saved["config"], LadderConfig)
        if config.plugins:  # the plugin files the ladder began with (their packs and verifiers)
            from benchlab.plugin_manager import load_plugins

            plugins = load_plugins(config.plugins)
        specs = load_models(request.models, plugins.backends) if request.models else [ModelSpec.from_public(m) for m in config.models]
        if [s.name for s in specs] != [m["name"] for m in config.models]:
            raise BenchlabError("--models on --resume must list the models the run began with, in the same order: "
                                + ", ".join(m["name"] for m in config.models))
        plan = replan(config.selection, plugins)
        run_id, started_at = str(saved.get("run_id") or run_dir.name), str(saved.get("started_at") or now_iso())
    else:
        if request.models is None:
            raise BenchlabError("--models FILE is required: the models to climb, cheapest first")
        specs = load_models(request.models, plugins.backends)
        if not specs:
            raise BenchlabError(f"--models {request.models}: no [[model]] tables; the ladder needs at least one model")
        plan = plan_run(request.selection, plugins)
        check_out_dir(out)
        run_id, started_at = new_run_id(), now_iso()
        run_dir = out / run_id
        config = LadderConfig(
            models=[s.public() for s in specs], selection=plan.selection, max_attempts=request.max_attempts,
            per_model=request.per_model, learning=request.learning, budgets=request.budgets, sandbox=request.sandbox,
            out=str(out), plugins=[str(Path(p).resolve()) for p in request.plugin_files],
        )
    items = _scenarios(plan.items)
    say = (lambda line: print(f"benchlab: {line}", file=sys.stderr, flush=True)) if request.output.progress else (lambda _: None)
    ladder = Ladder(config, specs, plugins, run_dir, run_id, started_at, say)
    try:
        rows = asyncio.run(ladder.run(items))
    except KeyboardInterrupt:
        print(f"benchlab: interrupted; continue it with: benchlab ladder --resume {run_id} --out {out}", file=sys.stderr)
        return exit_codes.INTERRUPTED
    _reporters_write(plugins, run_dir)
    sys.stdout.write(ladder_json(run_dir) if fmt == JSON_VIEW else table_markdown(rows))
    sys.stdout.flush()
    print(f"benchlab: ladder saved to {run_dir}/", file=sys.stderr)
    if ladder.unmade:
        print(f"benchlab: {ladder.unmade} attempt(s) could not be made (no answer: an unreachable model, a timeout or "
              "a server error) or judged (no sandbox); see attempt_N.json (exit 3)", file=sys.stderr)
        return exit_codes.NOT_SCORED
    return exit_codes.OK


def _reporters_write(plugins: Any, run_dir: Path) -> None:
    """Every reporter with a ``write_ladder(run_dir)`` adds its files (the HTML page), as runs and
    comparisons get theirs; a reporter that fails is a warning, never a lost ladder."""
    for problem in plugins.write_reports("write_ladder", run_dir):
        print(f"benchlab: warning: {problem}", file=sys.stderr)


def _scenarios(items: list[Any]) -> list[tuple[Pack, Scenario]]:
    """Each selected scenario once (the ladder has no repeats or thinking arms of its own)."""
    seen: dict[tuple[str, str], tuple[Pack, Scenario]] = {}
    for item in items:
        seen.setdefault((item.pack.id, item.scenario.id), (item.pack, item.scenario))
    return list(seen.values())
