"""``benchlab inspect`` and ``benchlab diff``: read saved runs back, never contacting an endpoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from benchlab.cli.options import JSON_VIEW, PLUGIN, RUNS_OUT, VIEW_FORMAT, with_options


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    register_rescore(app, plugins)

    @app.command()
    @with_options(RUNS_OUT, VIEW_FORMAT, PLUGIN)
    def inspect(
        out: Any,
        fmt: Any,
        plugin: Any,
        run: str = typer.Argument(..., help="A run id under --out, or a run folder's path."),
        failed: bool = typer.Option(False, "--failed", help="Only the results that did not pass."),
        mode: Optional[str] = typer.Option(None, "--mode", help="Only the results that ended in this failure mode (e.g. wrong_answer, timeout)."),
        pack: Optional[str] = typer.Option(None, "--pack", help="Only this pack's results."),
        scenario: Optional[str] = typer.Option(None, "--scenario", help="One scenario, PACK/ID: with --full, everything behind its verdict."),
        full: bool = typer.Option(False, "--full", help="With --scenario: messages, raw responses, reasoning, tool calls turn by turn, checks, sandbox output."),
    ) -> None:
        """Read a run back: a summary, filtered results, or everything behind one verdict."""
        from benchlab.errors import BenchlabError
        from benchlab.gc_pause import collector_paused, settle_long_lived
        from benchlab.inspect_run import find_results, full_markdown, full_results, select, summary_markdown, to_json
        from benchlab.records import load_run
        from benchlab.run_ref import resolve_run

        if full and not scenario:
            raise BenchlabError("--full shows one scenario: add --scenario PACK/ID")
        from benchlab.ladder import ladder_folder

        ladder_dir = ladder_folder(run, out)
        if ladder_dir is not None:  # a ladder run: its own view
            from benchlab.ladder_view import ladder_inspect

            sys.stdout.write(ladder_inspect(ladder_dir, fmt=fmt, scenario=scenario))
            return
        run_dir = resolve_run(run, out)
        with collector_paused():
            record = load_run(run_dir)
            settle_long_lived()  # read once, kept to the end: no collection needs to walk it
        if scenario:
            shown = find_results(record, scenario)
            shown = [r for r in shown if r in select(record, failed=failed, mode=mode, pack=pack)] if (failed or mode or pack) else shown
        else:
            shown = select(record, failed=failed, mode=mode, pack=pack)
        if full:
            shown = full_results(run_dir, shown)  # the raw exchanges, from the journal
        if fmt == JSON_VIEW:
            sys.stdout.write(json.dumps(to_json(record, shown, full=full, pack=pack), ensure_ascii=False, indent=1, default=str) + "\n")
        elif full and shown:
            sys.stdout.write(full_markdown(record, shown))
        else:
            what = "failed" if failed else f"mode {mode}" if mode else "results"
            sys.stdout.write(summary_markdown(record, shown, heading=f"Results shown ({what})", pack=pack))

    @app.command()
    @with_options(RUNS_OUT, VIEW_FORMAT, PLUGIN)
    def diff(
        out: Any,
        fmt: Any,
        plugin: Any,
        run_a: str = typer.Argument(..., help="The earlier run: an id under --out, or a run folder's path."),
        run_b: str = typer.Argument(..., help="The later run."),
    ) -> None:
        """What changed between two runs: per result, per pack (paired tests, the scenario as the unit), and in how they were made."""
        from benchlab import diff as diffing
        from benchlab.gc_pause import collector_paused, settle_long_lived
        from benchlab.records import load_run
        from benchlab.run_ref import resolve_run

        with collector_paused():
            records = load_run(resolve_run(run_a, out)), load_run(resolve_run(run_b, out))
            settle_long_lived()  # read once, kept to the end: no collection needs to walk them
        result = diffing.diff_runs(*records)
        if fmt == JSON_VIEW:
            sys.stdout.write(json.dumps(diffing.to_json(result), ensure_ascii=False, indent=1, default=str) + "\n")
        else:
            sys.stdout.write(diffing.render_markdown(result))


def register_rescore(app: typer.Typer, plugins: Any) -> None:
    @app.command()
    @with_options(RUNS_OUT, VIEW_FORMAT, PLUGIN)
    def rescore(
        out: Any,
        fmt: Any,
        plugin: Any,
        run: str = typer.Argument(..., help="A finished run: an id under --out, or a run folder's path."),
        output: Optional[Path] = typer.Option(None, "--output", help="Write the re-scored run as a new run folder under DIR."),
        in_place: bool = typer.Option(False, "--in-place", help="Rewrite this run's record and reports (the old record is kept as run.pre-rescore-<UTC time>.json)."),
    ) -> None:
        """Judge a run's saved answers again with today's verifiers; no endpoint is contacted."""
        from benchlab.rescore_command import rescore_command

        raise typer.Exit(rescore_command(run, out, output=output, in_place=in_place, fmt=fmt, plugins=plugins))
