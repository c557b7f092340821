"""``benchlab history``: the runs indexed under ``--out``, one pack's trend, ``--reindex``, ``--add``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from benchlab.cli.options import PLUGIN, RUNS_OUT, with_options


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    @app.command(context_settings={"max_content_width": 110})
    @with_options(RUNS_OUT, PLUGIN)
    def history(
        out: Path,
        plugin: Any,
        model: Optional[str] = typer.Option(None, "--model", "-m", help="Only runs of this model (the exact name the run recorded)."),
        pack: Optional[str] = typer.Option(None, "--pack", "-p", help="Only runs that played this pack (its id)."),
        since: Optional[str] = typer.Option(None, "--since", help="Only runs finished on or after this date or ISO time (UTC unless it names a zone)."),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many runs, newest first."),
        fmt: str = typer.Option("md", "--format", help="md (a table, the default), json ({\"schema_version\", \"runs\"}) or csv (a row per run and pack)."),
        trend: bool = typer.Option(False, "--trend", help="One pack's score over time for one model (needs --pack and --model)."),
        reindex: bool = typer.Option(False, "--reindex", help="Rebuild index.sqlite from the run folders under --out."),
        add: Optional[Path] = typer.Option(None, "--add", help="Copy this run folder into --out (named by its run id) and index it."),
    ) -> None:
        """List the runs saved under --out, newest first; --trend, --reindex, --add."""
        from benchlab.history_command import HistoryRequest, history_command

        request = HistoryRequest(out=out, model=model, pack=pack, since=since, limit=limit, format=fmt, trend=trend,
                                 reindex=reindex, add=add)
        raise typer.Exit(history_command(request))
