"""The ``benchlab`` command line: one module per command, sharing option groups (``options``).

Thin: parse flags, call core, print. Heavy modules (httpx, docker, rich, the runner)
are imported inside commands so that ``benchlab --help`` stays fast.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import click
import typer

from benchlab import __version__
from benchlab.cli.options import PLUGIN_HELP
from benchlab.errors import BenchlabError
from benchlab.exit_codes import HELP_TABLE


def plugin_files(argv: list[str]) -> list[str]:
    """Every ``--plugin PATH`` on the command line, wherever it stands.

    Plugin files are loaded before the app is built (they may add commands), and this
    one list is what a run records, whether ``--plugin`` came before the command or after.
    """
    files: list[str] = []
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--plugin" and index + 1 < len(argv):
            files.append(argv[index + 1])
        elif arg.startswith("--plugin="):
            files.append(arg.split("=", 1)[1])
    return files


_PLUGINS: dict[str, Any] = {}


def get_plugins(extra_files: list[str] | tuple[str, ...] = ()) -> Any:
    from benchlab.plugin_manager import load_plugins

    key = "\0".join(extra_files)
    if key not in _PLUGINS:
        _PLUGINS[key] = load_plugins(extra_files)
    return _PLUGINS[key]


# Commands that read saved runs back: building them needs no plugin (rescore uses plugins only
# once it runs), so a command line that runs one of them builds its module alone.
READING_COMMANDS = ("inspect", "diff", "rescore")
HISTORY_COMMANDS = ("history",)


def invoked_command(argv: list[str]) -> str | None:
    """The sub-command a command line runs: its first argument that is neither an option nor ``--plugin``'s value."""
    value_of_plugin = False
    for arg in argv:
        if value_of_plugin:
            value_of_plugin = False
        elif arg == "--plugin":
            value_of_plugin = True
        elif arg == "--":
            return None
        elif not arg.startswith("-"):
            return arg
    return None


class PluginsOnFirstUse:
    """The plugins, loaded when a command first asks for one of their registries (``inspect``
    and ``diff`` never do: they skip the plugins' imports and registration)."""

    def __init__(self, files: tuple[str, ...]) -> None:
        self._files = files

    def __getattr__(self, name: str) -> Any:
        return getattr(get_plugins(self._files), name)


def build_app(files: list[str], command: str | None = None) -> typer.Typer:
    """The command line app; given the ``command`` to run, one that reads saved runs (or the history
    index), and no ``--plugin`` file (whose errors every command reports), only that command's module."""
    from benchlab.cli import reading

    app = typer.Typer(
        name="benchlab",
        help="Does this LLM endpoint actually behave well? Deterministic, verifier-backed quality packs.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        epilog=HELP_TABLE,
    )

    @app.callback(invoke_without_command=True)
    def root(
        ctx: typer.Context,
        version: bool = typer.Option(False, "--version", help="Print the version and exit."),
        # Read from argv before the app is built (plugin_files); declared so that it parses.
        plugin: list[str] = typer.Option([], "--plugin", help=PLUGIN_HELP),
    ) -> None:
        if version:
            print(f"benchlab {__version__}")
            raise typer.Exit(0)
        if ctx.invoked_subcommand is None:
            print(ctx.get_help())
            raise typer.Exit(0)

    if command in READING_COMMANDS and not files:
        reading.register(app, PluginsOnFirstUse(tuple(files)), files)
        return app
    if command in HISTORY_COMMANDS and not files:
        from benchlab.cli import history

        history.register(app, PluginsOnFirstUse(tuple(files)), files)
        return app
    from benchlab.cli import baseline, compare, history, ladder, packs, probe, run, show_plugins

    loaded = get_plugins(tuple(files))
    for module in (run, compare, ladder, probe, reading, baseline, history, show_plugins, packs):
        module.register(app, loaded, files)
    loaded.add_commands(app)
    return app


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from benchlab.cli.checks import refuse_repeated_options

        command = typer.main.get_command(build_app(plugin_files(args), invoked_command(args)))
        refuse_repeated_options(command)
        result = command.main(args=args, prog_name="benchlab", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except BenchlabError as exc:
        print(f"benchlab: error: {exc}", file=sys.stderr)
        code = 1
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        print("benchlab: aborted", file=sys.stderr)
        code = 130
    except click.exceptions.NoArgsIsHelpError as exc:
        # A bare `benchlab` or `benchlab packs` asks for nothing but the help: not an error.
        print(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        code = 0
    except click.exceptions.ClickException as exc:
        print(f"benchlab: error: {exc.format_message()}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("benchlab: interrupted", file=sys.stderr)
        code = 130
    sys.stdout.flush()
    # Everything is written and closed: spare the interpreter's shut-down GC passes over the
    # whole heap (typer, pydantic, httpx), which free nothing the OS would not.
    gc.freeze()
    sys.exit(code)
