"""``benchlab packs list|show|validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from benchlab.cli.options import PLUGIN, pack_settings_options, with_options


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    packs_app = typer.Typer(help="List, inspect and validate packs.", no_args_is_help=True)
    app.add_typer(packs_app, name="packs")
    # Plugins' run options (a dataset's path, an instance seed) load packs here as they would in a run.
    settings_group = pack_settings_options(plugins)

    @packs_app.command("list")
    @with_options(PLUGIN, settings_group)
    def packs_list(plugin: Any, pack_settings: Any) -> None:
        """Registered packs: id, version, scenarios, dimension, modes, needs sandbox, dataset state."""
        from benchlab.pack_commands import list_packs

        list_packs(plugins, pack_settings)

    @packs_app.command("show")
    @with_options(PLUGIN, settings_group)
    def packs_show(plugin: Any, pack_settings: Any, ref: str = typer.Argument(..., help="A pack id or folder.")) -> None:
        """A pack's manifest and scenarios."""
        from benchlab.pack_commands import show_pack

        show_pack(ref, plugins, pack_settings)

    @packs_app.command("validate")
    @with_options(PLUGIN, settings_group)
    def packs_validate(plugin: Any, pack_settings: Any, path: Path = typer.Argument(..., help="A pack folder or id.")) -> None:
        """Check a pack: schema, unique ids, and its proofs (gold, alternative, near-miss)."""
        from benchlab.pack_commands import validate_pack

        raise typer.Exit(validate_pack(path, plugins, pack_settings))
