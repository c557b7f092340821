"""``benchlab plugins``: what is installed and what each plugin registered."""

from __future__ import annotations

from typing import Any

import typer

from benchlab.cli.options import PLUGIN, with_options


def register(app: typer.Typer, plugins: Any, plugin_files: list[str]) -> None:
    @app.command("plugins")
    @with_options(PLUGIN)
    def show_plugins(plugin: Any) -> None:
        """List plugins, their versions and what each registered (commands included)."""
        from benchlab.errors import warn

        for info in sorted(plugins.info.values(), key=lambda i: (i.distribution != "benchlab", i.name)):
            print(f"{info.name}  ({info.distribution} {info.version})")
            by_kind: dict[str, list[str]] = {}
            for item in info.registered:
                kind, _, name = item.partition(":")
                by_kind.setdefault(kind, []).append(name)
            for kind, names in by_kind.items():
                plural = "sandboxes" if kind == "sandbox" else f"{kind}s"
                print(f"  {plural}: {', '.join(names)}")
            if not by_kind:
                print("  (hooks only)")
        for problem in plugins.warnings:
            warn(problem)
