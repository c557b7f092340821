"""``benchlab ladder``: the cheapest model that gets each scenario right, learning from each failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from benchlab.cli.options import BUDGETS, OUTPUT, PLUGIN, SANDBOX, selection_options, with_options


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    @app.command(context_settings={"max_content_width": 110})
    @with_options(selection_options(plugins), BUDGETS, SANDBOX, OUTPUT, PLUGIN)
    def ladder(
        selection: Any,
        budgets: Any,
        sandbox: Any,
        output: Any,
        plugin: Any,
        models: Optional[Path] = typer.Option(None, "--models", help="The models file (TOML [[model]] tables); its order is the ladder, cheapest first."),
        max_attempts: int = typer.Option(6, "--max-attempts", min=1, help="Attempts per scenario at most; attempt k goes to model k, the last model repeating."),
        per_model: int = typer.Option(1, "--per-model", min=1, help="Attempts each model gets before the next one takes over."),
        no_learning: bool = typer.Option(False, "--no-learning", help="Leave the earlier attempts' failed checks out of the prompt."),
        resume: Optional[str] = typer.Option(None, "--resume", help="Continue ladder run RUN_ID found under --out."),
    ) -> None:
        """Climb a ladder of models, cheapest first, until every check of a scenario is accepted."""
        from benchlab.ladder_command import LadderRequest, ladder_command

        request = LadderRequest(models=models, selection=selection, budgets=budgets, sandbox=sandbox, output=output,
                                max_attempts=max_attempts, per_model=per_model, learning=not no_learning,
                                plugin_files=plugin_files)
        raise typer.Exit(ladder_command(request, resume=resume, plugins=plugins))
