"""``benchlab run``: play packs against an endpoint, print a scored table, save the full record."""

from __future__ import annotations

from typing import Any, Optional

import click
import typer

from benchlab.cli.baseline import GATE
from benchlab.cli.options import BUDGETS, OUTPUT, PLUGIN, SAMPLING, SANDBOX, TARGET, THINKING, selection_options, with_options


def given_flags(ctx: click.Context) -> dict[str, str]:
    """The parameters set on the command line (not left at their default), each with its flag."""
    from click.core import ParameterSource

    return {
        param.name: "/".join([*param.opts[:1], *param.secondary_opts[:1]])  # --x, or --x/--no-x for a switch
        for param in ctx.command.params
        if param.name and ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE
    }


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    @app.command(context_settings={"max_content_width": 110})
    @with_options(TARGET, selection_options(plugins), SAMPLING, THINKING, BUDGETS, SANDBOX, OUTPUT, GATE, PLUGIN)
    def run(
        ctx: typer.Context,
        target: Any,
        selection: Any,
        sampling: Any,
        thinking: Any,
        budgets: Any,
        sandbox: Any,
        output: Any,
        gate: Any,
        plugin: Any,
        resume: Optional[str] = typer.Option(None, "--resume", help="Finish run RUN_ID found under --out: play what has no verdict yet."),
        negative_control: bool = typer.Option(False, "--negative-control", help="Feed junk answers to every verifier (no model, no request); exit 1 if any junk passes."),
        require_all: bool = typer.Option(False, "--require-all", help="Exit 3 when packs are skipped for want of a sandbox or dataset (default: reported, exit unchanged)."),
    ) -> None:
        """Run packs against an endpoint, print a scored table, save the full record."""
        from benchlab.run_command import RunRequest, run_command

        request = RunRequest(
            target=target, selection=selection, sampling=sampling, thinking=thinking, budgets=budgets, sandbox=sandbox,
            output=output, plugin_files=plugin_files, require_all=require_all, gate=gate,
        )
        given = given_flags(ctx)
        if negative_control:
            from benchlab.negative_control_command import negative_control_command, refuse_model_flags

            refuse_model_flags(given)
            raise typer.Exit(negative_control_command(request, plugins=plugins))
        raise typer.Exit(run_command(request, resume=resume, plugins=plugins, given=given))
