"""``benchlab compare``: models side by side, played from a models file or read from existing runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from benchlab.cli.options import OUTPUT, PLUGIN, SAMPLING, THINKING, selection_options, with_options

# run's target flags: the models file names each model's endpoint, backend, model and options.
REFUSED = {"endpoint": "-e/--endpoint", "model": "-m/--model", "backend": "-b/--backend", "backend_option": "-o/--backend-option"}


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    @app.command(context_settings={"max_content_width": 110})
    @with_options(selection_options(plugins), SAMPLING, THINKING, OUTPUT, PLUGIN)
    def compare(
        ctx: typer.Context,
        selection: Any,
        sampling: Any,
        thinking: Any,
        output: Any,
        plugin: Any,
        runs: Optional[list[str]] = typer.Argument(None, help="Existing runs to compare (ids under --out or run folders), instead of --models."),
        models: Optional[Path] = typer.Option(None, "--models", help="A models file (TOML [[model]] tables): the models to play side by side."),
        only: list[str] = typer.Option([], "--only", help="Only this model of the file or comparison (repeatable)."),
        resume: Optional[str] = typer.Option(None, "--resume", help="Comparison CMP_ID under --out: play what is missing (with --only, those models; with --models, add new ones)."),
        endpoint: Optional[str] = typer.Option(None, "--endpoint", "-e", hidden=True),
        model: Optional[str] = typer.Option(None, "--model", "-m", hidden=True),
        backend: Optional[str] = typer.Option(None, "--backend", "-b", hidden=True),
        backend_option: list[str] = typer.Option([], "--backend-option", "-o", hidden=True),
    ) -> None:
        """Compare models on the same scenarios: each played as a normal run, all at once; or compare existing runs."""
        from benchlab.cli.run import given_flags
        from benchlab.compare_command import CompareRequest, compare_command
        from benchlab.errors import BenchlabError

        given = given_flags(ctx)
        refused = [flag for name, flag in REFUSED.items() if name in given]
        if refused:
            raise BenchlabError(f"compare takes no {', '.join(refused)}: the models file names each model "
                                "(--models FILE, [[model]] tables with backend, endpoint, model and [model.options])")
        request = CompareRequest(selection=selection, sampling=sampling, thinking=thinking, output=output, models_file=models,
                                 only=list(only), runs=list(runs or []), resume=resume, plugin_files=plugin_files, given=given)
        raise typer.Exit(compare_command(request, plugins))
