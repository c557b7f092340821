"""The ``benchlab`` command line. Thin: parse flags, call core, print.

Heavy modules (httpx, docker, rich, the runner) are imported inside commands so
that ``benchlab --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import click
import typer

from benchlab import __version__
from benchlab.errors import BenchlabError

API_KEY_ENV = ("BENCHLAB_API_KEY", "OPENAI_API_KEY")


class OutputFormat(str, Enum):
    md = "md"
    json = "json"


def _plugin_files(argv: list[str]) -> list[str]:
    """``--plugin PATH`` must be loaded before the app is built (it may add commands)."""
    files: list[str] = []
    for index, arg in enumerate(argv):
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


def warn(text: str) -> None:
    print(f"benchlab: warning: {text}", file=sys.stderr)


def build_app(plugin_files: list[str]) -> typer.Typer:
    app = typer.Typer(
        name="benchlab",
        help="Does this LLM endpoint actually behave well? Deterministic, verifier-backed quality packs.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    packs_app = typer.Typer(help="List, inspect and validate packs.", no_args_is_help=True)
    app.add_typer(packs_app, name="packs")

    @app.callback()
    def root(
        version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    ) -> None:
        if version:
            print(f"benchlab {__version__}")
            raise typer.Exit(0)

    @app.command()
    def run(
        endpoint: Optional[str] = typer.Option(None, "--endpoint", "-e", help="Server base URL, with or without /v1. Omit for the embedded default (local llama.cpp + SmolLM2-135M)."),
        backend: Optional[str] = typer.Option(None, "--backend", "-b", help="Backend name (see `benchlab plugins`). Default: openai with --endpoint, replay with --replay, local otherwise."),
        model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name to request (default: the first the server lists)."),
        api_key: Optional[str] = typer.Option(None, "--api-key", help="API key; or set BENCHLAB_API_KEY / OPENAI_API_KEY. Never written to disk."),
        quick: bool = typer.Option(False, "--quick", help="The quick packs: tool calls and instruction following (the default)."),
        pack: list[str] = typer.Option([], "--pack", "-p", help="A pack id or a path to a pack folder (repeatable)."),
        scenario: list[str] = typer.Option([], "--scenario", "-s", help="Only this scenario, as PACK/ID (repeatable)."),
        concurrency: Optional[int] = typer.Option(None, "--concurrency", "-c", min=1, help="Requests in flight at once (default: from the backend)."),
        out: Path = typer.Option(Path("results"), "--out", help="Folder holding run folders named by run id."),
        fmt: OutputFormat = typer.Option(OutputFormat.md, "--format", help="What to print on stdout: md or json."),
        no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar or progress lines."),
        max_tokens: Optional[int] = typer.Option(None, "--max-tokens", min=1, help="max_tokens for every request."),
        extra_body: Optional[str] = typer.Option(None, "--extra-body", help="A JSON object merged into every request body."),
        stream: bool = typer.Option(False, "--stream", help="Stream responses (measures time to first token)."),
        timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1, help="Seconds per attempt (default: the pack's)."),
        retries: int = typer.Option(2, "--retries", min=0, help="Transport retries per request."),
        repeat: int = typer.Option(1, "--repeat", min=1, help="Play every scenario N times."),
        replay: Optional[Path] = typer.Option(None, "--replay", help="Answer from a JSONL file of recorded responses (backend replay)."),
        plugin: list[str] = typer.Option([], "--plugin", help="Load a one-off plugin file (repeatable)."),
        resume: Optional[str] = typer.Option(None, "--resume", help="Finish run RUN_ID found under --out: play only what is missing."),
    ) -> None:
        """Run packs against an endpoint, print a scored table, save the full record."""
        from benchlab.run_command import run_command

        code = run_command(
            endpoint=endpoint, backend=backend, model=model, api_key=_api_key(api_key), quick=quick,
            packs=pack, scenarios=scenario, concurrency=concurrency, out=out, fmt=fmt.value,
            progress=not no_progress, max_tokens=max_tokens, extra_body=_json_object(extra_body, "--extra-body"),
            stream=stream, timeout=timeout, retries=retries, repeat=repeat,
            replay=str(replay) if replay else None, plugin_files=plugin, resume=resume,
            plugins=get_plugins(tuple(plugin_files)),
        )
        raise typer.Exit(code)

    @app.command()
    def plugins() -> None:
        """List plugins, their versions and what each registered."""
        loaded = get_plugins(tuple(plugin_files))
        for info in sorted(loaded.info.values(), key=lambda i: (i.distribution != "benchlab", i.name)):
            what = ", ".join(info.registered) or "(commands or hooks only)"
            print(f"{info.name:<28} {info.distribution} {info.version:<10} {what}")
        for problem in loaded.warnings:
            warn(problem)

    @packs_app.command("list")
    def packs_list() -> None:
        """Registered packs: id, version, scenarios, dimension, modes, needs sandbox."""
        from benchlab.pack_commands import list_packs

        list_packs(get_plugins(tuple(plugin_files)))

    @packs_app.command("show")
    def packs_show(ref: str = typer.Argument(..., help="A pack id or folder.")) -> None:
        """A pack's manifest and scenarios."""
        from benchlab.pack_commands import show_pack

        show_pack(ref, get_plugins(tuple(plugin_files)))

    @packs_app.command("validate")
    def packs_validate(path: Path = typer.Argument(..., help="A pack folder.")) -> None:
        """Check a pack: schema, unique ids, and its proofs (gold, alternative, near-miss)."""
        from benchlab.pack_commands import validate_pack

        raise typer.Exit(validate_pack(path, get_plugins(tuple(plugin_files))))

    get_plugins(tuple(plugin_files)).add_commands(app)
    return app


def _api_key(flag: str | None) -> str | None:
    if flag:
        return flag
    return next((os.environ[name] for name in API_KEY_ENV if os.environ.get(name)), None)


def _json_object(text: str | None, flag: str) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchlabError(f"{flag}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise BenchlabError(f"{flag}: expected a JSON object, got {type(value).__name__}")
    return value


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app = build_app(_plugin_files(args))
        result = typer.main.get_command(app).main(args=args, prog_name="benchlab", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except BenchlabError as exc:
        print(f"benchlab: error: {exc}", file=sys.stderr)
        code = 1
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        print("benchlab: aborted", file=sys.stderr)
        code = 130
    except click.exceptions.ClickException as exc:
        print(f"benchlab: error: {exc.format_message()}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("benchlab: interrupted", file=sys.stderr)
        code = 130
    sys.stdout.flush()
    sys.exit(code)
