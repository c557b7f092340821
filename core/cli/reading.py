"""``benchlab inspect`` and ``benchlab diff``: read saved runs back, never contacting an endpoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from benchlab.cli.options import PLUGIN, with_options

OUT_HELP = "Folder holding the run folders (RUN may also be a run folder's path)."
FORMAT_HELP = "md (the default) or json."


def _format(value: str) -> str:
    from benchlab.errors import BenchlabError

    if value not in ("md", "json"):
        raise BenchlabError(f"--format {value!r}: use md or json")
    return value


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    register_rescore(app, plugins)

    @app.command()
    @with_options(PLUGIN)
    def inspect(
        plugin: Any,
        run: str = typer.Argument(..., help="A run id under --out, or a run folder's path."),
        out: Path = typer.Option(Path("results"), "--out", help=OUT_HELP),
        failed: bool = typer.Option(False, "--failed", help="Only the results that did not pass."),
        mode: Optional[str] = typer.Option(None, "--mode", help="Only the results that ended in this failure mode (e.g. wrong_answer, timeout)."),
        pack: Optional[str] = typer.Option(None, "--pack", help="Only this pack's results."),
        scenario: Optional[str] = typer.Option(None, "--scenario", help="One scenario, PACK/ID: with --full, everything behind its verdict."),
        full: bool = typer.Option(False, "--full", help="With --scenario: messages, raw responses, reasoning, tool calls turn by turn, checks, sandbox output."),
        fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    ) -> None:
        """Read a run back: a summary, filtered results, or everything behind one verdict."""
        from benchlab.errors import BenchlabError
        from benchlab.inspect_run import find_results, full_markdown, select, summary_markdown, to_json
        from benchlab.records import load_run
        from benchlab.run_ref import resolve_run

        fmt = _format(fmt)
        if full and not scenario:
            raise BenchlabError("--full shows one scenario: add --scenario PACK/ID")
        record = load_run(resolve_run(run, out))
        if scenario:
            shown = find_results(record, scenario)
            shown = [r for r in shown if r in select(record, failed=failed, mode=mode, pack=pack)] if (failed or mode or pack) else shown
        else:
            shown = select(record, failed=failed, mode=mode, pack=pack)
        if fmt == "json":
            sys.stdout.write(json.dumps(to_json(record, shown, full=full), ensure_ascii=False, indent=1, default=str) + "\n")
        elif full and shown:
            sys.stdout.write(full_markdown(record, shown))
        else:
            what = "failed" if failed else f"mode {mode}" if mode else "results"
            sys.stdout.write(summary_markdown(record, shown, heading=f"Results shown ({what})"))

    @app.command()
    @with_options(PLUGIN)
    def diff(
        plugin: Any,
        run_a: str = typer.Argument(..., help="The earlier run: an id under --out, or a run folder's path."),
        run_b: str = typer.Argument(..., help="The later run."),
        out: Path = typer.Option(Path("results"), "--out", help=OUT_HELP),
        fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    ) -> None:
        """What changed between two runs: per result, per pack (paired tests, the scenario as the unit), and in how they were made."""
        from benchlab import diff as diffing
        from benchlab.records import load_run
        from benchlab.run_ref import resolve_run

        fmt = _format(fmt)
        result = diffing.diff_runs(load_run(resolve_run(run_a, out)), load_run(resolve_run(run_b, out)))
        if fmt == "json":
            sys.stdout.write(json.dumps(diffing.to_json(result), ensure_ascii=False, indent=1, default=str) + "\n")
        else:
            sys.stdout.write(diffing.render_markdown(result))


def register_rescore(app: typer.Typer, plugins: Any) -> None:
    @app.command()
    @with_options(PLUGIN)
    def rescore(
        plugin: Any,
        run: str = typer.Argument(..., help="A finished run: an id under --out, or a run folder's path."),
        out: Path = typer.Option(Path("results"), "--out", help=OUT_HELP),
        output: Optional[Path] = typer.Option(None, "--output", help="Write the re-scored run as a new run folder under DIR."),
        in_place: bool = typer.Option(False, "--in-place", help="Rewrite this run's record and reports (the old record is kept as run.pre-rescore-<UTC time>.json)."),
        fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    ) -> None:
        """Judge a run's saved answers again with today's verifiers; no endpoint is contacted."""
        from benchlab.rescore_command import rescore_command

        raise typer.Exit(rescore_command(run, out, output=output, in_place=in_place, fmt=_format(fmt), plugins=plugins))
