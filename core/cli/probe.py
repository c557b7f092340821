"""``benchlab probe URL``: what is behind an endpoint."""

from __future__ import annotations

from typing import Any, Optional

import typer

from benchlab.cli.options import PLUGIN, api_key, backend_settings, with_options


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    @app.command()
    @with_options(PLUGIN)
    def probe(
        plugin: Any,
        endpoint: str = typer.Argument(..., help="Server base URL."),
        backend: Optional[str] = typer.Option(None, "--backend", "-b", help="Skip detection and use this backend."),
        model: Optional[str] = typer.Option(None, "--model", "-m"),
        key: Optional[str] = typer.Option(None, "--api-key"),
        backend_option: list[str] = typer.Option([], "--backend-option", "-o", help="A backend setting KEY=VALUE (repeatable); see docs/backends.md."),
        speed: bool = typer.Option(True, "--speed/--no-speed", help="Also measure decode tokens/s with one short request."),
        as_json: bool = typer.Option(False, "--json", help="Print the facts as JSON."),
    ) -> None:
        """What is behind a URL: server kind, version, models, context, slots, thinking, sampling defaults."""
        from benchlab.probe_command import probe_command

        raise typer.Exit(probe_command(endpoint, backend, model, api_key(key), speed, as_json, plugins, backend_settings(backend_option)))
