"""``benchlab packs list|show|validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from benchlab.cli.options import PLUGIN, with_options


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    packs_app = typer.Typer(help="List, inspect and validate packs.", no_args_is_help=True)
    app.add_typer(packs_app, name="packs")

    @packs_app.command("list")
    @with_options(PLUGIN)
    def packs_list(plugin: Any) -> None:
        """Registered packs: id, version, scenarios, dimension, modes, needs sandbox."""
        from benchlab.pack_commands import list_packs

        list_packs(plugins)

    @packs_app.command("show")
    @with_options(PLUGIN)
    def packs_show(plugin: Any, ref: str = typer.Argument(..., help="A pack id or folder.")) -> None:
        """A pack's manifest and scenarios."""
        from benchlab.pack_commands import show_pack

        show_pack(ref, plugins)

    @packs_app.command("validate")
    @with_options(PLUGIN)
    def packs_validate(plugin: Any, path: Path = typer.Argument(..., help="A pack folder.")) -> None:
        """Check a pack: schema, unique ids, and its proofs (gold, alternative, near-miss)."""
        from benchlab.pack_commands import validate_pack

        raise typer.Exit(validate_pack(path, plugins))
