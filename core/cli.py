"""The ``benchlab`` command line. Thin: parse flags, call core, print.

Heavy modules (httpx, docker, rich, the runner) are imported inside commands so
that ``benchlab --help`` stays fast.
"""

from __future__ import annotations

import gc
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
from benchlab.exit_codes import HELP_TABLE

# The generic key variable; backends read their own (OPENAI_API_KEY, OLLAMA_API_KEY, RUNPOD_API_KEY).
API_KEY_ENV = "BENCHLAB_API_KEY"


class OutputFormat(str, Enum):
    md = "md"
    json = "json"


PLUGIN_HELP = "Load a one-off plugin file (repeatable)."


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
        epilog=HELP_TABLE,
    )
    packs_app = typer.Typer(help="List, inspect and validate packs.", no_args_is_help=True)
    app.add_typer(packs_app, name="packs")

    @app.callback(invoke_without_command=True)
    def root(
        ctx: typer.Context,
        version: bool = typer.Option(False, "--version", help="Print the version and exit."),
        # Read from argv before the app is built (_plugin_files); declared so that it parses.
        plugin: list[str] = typer.Option([], "--plugin", help=PLUGIN_HELP + " Works before any command."),
    ) -> None:
        if version:
            print(f"benchlab {__version__}")
            raise typer.Exit(0)
        if ctx.invoked_subcommand is None:
            print(ctx.get_help())
            raise typer.Exit(0)

    @app.command(context_settings={"max_content_width": 110})
    def run(
        ctx: typer.Context,
        endpoint: Optional[str] = typer.Option(None, "--endpoint", "-e", help="Server base URL, with or without /v1. Omit for the embedded default (local llama.cpp + SmolLM2-135M)."),
        backend: Optional[str] = typer.Option(None, "--backend", "-b", help="Backend name (see `benchlab plugins`). Default: detected from --endpoint; replay with --replay; local otherwise."),
        model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name to request (default: the first the server lists)."),
        api_key: Optional[str] = typer.Option(None, "--api-key", help="API key; or BENCHLAB_API_KEY, else the backend's own variable (OPENAI_API_KEY, OLLAMA_API_KEY, RUNPOD_API_KEY). Never written to disk."),
        backend_option: list[str] = typer.Option([], "--backend-option", "-o", help="A backend setting KEY=VALUE (repeatable), e.g. keep_alive=10m, route=openai; every setting is listed in docs/backends.md."),
        quick: bool = typer.Option(False, "--quick", help="The quick packs: tool calls and instruction following."),
        medium: bool = typer.Option(False, "--medium", help="Quick + structured output, data extraction, numeric reasoning (the default)."),
        full: bool = typer.Option(False, "--full", help="Medium + the sandboxed packs (bug fixing, shell tasks, agent tasks)."),
        no_sandboxed: bool = typer.Option(False, "--no-sandboxed", help="Leave out packs that run model-written code in a sandbox."),
        sandboxed_only: bool = typer.Option(False, "--sandboxed-only", help="Only packs that run model-written code in a sandbox."),
        scenarios_file: Optional[Path] = typer.Option(None, "--scenarios-file", help="A file of PACK/ID lines (# comments allowed): only these scenarios."),
        sandbox: Optional[str] = typer.Option(None, "--sandbox", help="docker or bwrap for packs that run model-written code (default: the best that can run now); an error if it cannot run."),
        unsafe_local: bool = typer.Option(False, "--unsafe-local", help="Dangerous: when no sandbox can run, run model-written code UNCONFINED on this host (never instead of a working or named sandbox); also required by --sandbox unsafe-local."),
        full_dataset: bool = typer.Option(False, "--full-dataset", help="Dataset packs (e.g. humaneval): every item, not the default subset."),
        negative_control: bool = typer.Option(False, "--negative-control", help="Feed junk answers to every verifier (no model, no request); exit 1 if any junk passes."),
        pack: list[str] = typer.Option([], "--pack", "-p", help="A pack id or a path to a pack folder (repeatable)."),
        scenario: list[str] = typer.Option([], "--scenario", "-s", help="Only this scenario, as PACK/ID (repeatable)."),
        concurrency: Optional[int] = typer.Option(None, "--concurrency", "-c", min=1, help="Requests in flight at once (default: from the backend, e.g. llama.cpp's slot count)."),
        out: Path = typer.Option(Path("results"), "--out", help="Folder holding run folders named by run id."),
        fmt: OutputFormat = typer.Option(OutputFormat.md, "--format", help="What to print on stdout: md or json."),
        no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar or progress lines."),
        max_tokens: Optional[int] = typer.Option(None, "--max-tokens", min=1, help="max_tokens for the answer (thinking adds --thinking-max-tokens)."),
        extra_body: Optional[str] = typer.Option(None, "--extra-body", help="A JSON object merged into every request body."),
        stream: bool = typer.Option(False, "--stream", help="Stream responses (measures time to first token)."),
        repeat: int = typer.Option(1, "--repeat", min=1, help="Play every scenario N times."),
        replay: Optional[Path] = typer.Option(None, "--replay", help="Answer from a JSONL file of recorded responses (backend replay)."),
        plugin: list[str] = typer.Option([], "--plugin", help=PLUGIN_HELP),
        resume: Optional[str] = typer.Option(None, "--resume", help="Finish run RUN_ID found under --out: play only what is missing."),
        thinking: Optional[bool] = typer.Option(None, "--enable-thinking/--no-thinking", help="Force thinking on or off for every pack (default: each pack's own default)."),
        thinking_max_tokens: int = typer.Option(16384, "--thinking-max-tokens", min=1, help="Extra tokens allowed for reasoning when thinking is on (capped by the server's context)."),
        reasoning_effort: Optional[str] = typer.Option(None, "--reasoning-effort", help="low, medium or high, for servers that take it."),
        strict_thinking: bool = typer.Option(False, "--strict-thinking", help="Fail the run when thinking was silent or contaminated."),
        temperature: Optional[float] = typer.Option(None, "--temperature", min=0, help="Override greedy sampling (makes the run non-canonical)."),
        top_p: Optional[float] = typer.Option(None, "--top-p", min=0, max=1),
        top_k: Optional[int] = typer.Option(None, "--top-k", min=0),
        min_p: Optional[float] = typer.Option(None, "--min-p", min=0, max=1),
        repeat_penalty: Optional[float] = typer.Option(None, "--repeat-penalty", min=0),
        seed: Optional[int] = typer.Option(None, "--seed"),
        sampling_from_server: bool = typer.Option(False, "--sampling-from-server", help="Send no sampling parameters; record the server's defaults (non-canonical)."),
        timeout_per_case: Optional[float] = typer.Option(None, "--timeout-per-case", min=0.1, help="Seconds per attempt, for every scenario (skips the speed probe)."),
        measured_tps: Optional[float] = typer.Option(None, "--measured-tps", min=0.01, help="Decode tokens/s to scale time budgets by (skips the speed probe)."),
        reference_tps: float = typer.Option(30.0, "--reference-tps", min=0.01, help="The speed packs' default time budgets assume."),
        timeout_ceiling_s: float = typer.Option(1800.0, "--timeout-ceiling-s", min=1, help="No scenario budget exceeds this."),
        retries: int = typer.Option(2, "--retries", min=0, help="Transport retries per request."),
        retry_on_timeout: bool = typer.Option(False, "--retry-on-timeout", help="Also retry attempts that timed out."),
        request_delay: float = typer.Option(0.0, "--request-delay", min=0, help="Minimum seconds between request starts (hosted APIs)."),
        max_total_tokens: Optional[int] = typer.Option(None, "--max-total-tokens", min=1, help="Spend guard: stop cleanly once this many tokens were used."),
        require_all: bool = typer.Option(False, "--require-all", help="Exit 3 when packs are skipped for want of a sandbox or dataset (default: reported, exit unchanged)."),
    ) -> None:
        """Run packs against an endpoint, print a scored table, save the full record."""
        from benchlab.run_command import RunFlags, run_command

        sampling = {k: v for k, v in {"temperature": temperature, "top_p": top_p, "top_k": top_k, "min_p": min_p,
                                       "repeat_penalty": repeat_penalty, "seed": seed}.items() if v is not None}
        if sampling and sampling_from_server:
            raise BenchlabError("--sampling-from-server cannot be combined with --temperature/--top-p/--top-k/--min-p/--repeat-penalty/--seed")
        from benchlab.cli_checks import one_of
        from benchlab.thinking import checked_effort

        reasoning_effort = checked_effort(reasoning_effort)
        one_of({"no-sandboxed": no_sandboxed, "sandboxed-only": sandboxed_only})
        modes = one_of({"quick": quick, "medium": medium, "full": full}, default="medium")
        scenarios = list(scenario) + (_scenario_lines(scenarios_file) if scenarios_file else [])
        flags = RunFlags(
            endpoint=endpoint, backend=backend, model=model, modes=modes, packs=pack, scenarios=scenarios,
            sandboxed="none" if no_sandboxed else "only" if sandboxed_only else "all",
            concurrency=concurrency, out=out, max_tokens=max_tokens,
            extra_body=_json_object(extra_body, "--extra-body"), stream=stream, repeat=repeat,
            replay=str(replay) if replay else None, plugin_files=plugin, thinking=thinking,
            thinking_max_tokens=thinking_max_tokens, reasoning_effort=reasoning_effort,
            strict_thinking=strict_thinking, sampling=sampling, sampling_from_server=sampling_from_server,
            timeout_per_case_s=timeout_per_case, measured_tps=measured_tps, reference_tps=reference_tps,
            timeout_ceiling_s=timeout_ceiling_s, retries=retries, retry_on_timeout=retry_on_timeout,
            request_delay_s=request_delay, max_total_tokens=max_total_tokens, sandbox=sandbox, unsafe_local=unsafe_local,
            backend_settings=_backend_options(backend_option), full_dataset=full_dataset, require_all=require_all,
        )
        if negative_control:
            from benchlab.negative_control_command import negative_control_command

            raise typer.Exit(negative_control_command(flags, fmt=fmt.value, plugins=get_plugins(tuple(plugin_files))))
        code = run_command(flags, api_key=_api_key(api_key), resume=resume, fmt=fmt.value,
                           progress=not no_progress, plugins=get_plugins(tuple(plugin_files)),
                           given=given_flags(ctx))
        raise typer.Exit(code)

    @app.command()
    def probe(
        endpoint: str = typer.Argument(..., help="Server base URL."),
        backend: Optional[str] = typer.Option(None, "--backend", "-b", help="Skip detection and use this backend."),
        model: Optional[str] = typer.Option(None, "--model", "-m"),
        api_key: Optional[str] = typer.Option(None, "--api-key"),
        backend_option: list[str] = typer.Option([], "--backend-option", "-o", help="A backend setting KEY=VALUE (repeatable); see docs/backends.md."),
        speed: bool = typer.Option(True, "--speed/--no-speed", help="Also measure decode tokens/s with one short request."),
        as_json: bool = typer.Option(False, "--json", help="Print the facts as JSON."),
    ) -> None:
        """What is behind a URL: server kind, version, models, context, slots, thinking, sampling defaults."""
        from benchlab.probe_command import probe_command

        raise typer.Exit(probe_command(endpoint, backend, model, _api_key(api_key), speed, as_json,
                                       get_plugins(tuple(plugin_files)), _backend_options(backend_option)))

    @app.command()
    def plugins(
        plugin: list[str] = typer.Option([], "--plugin", help=PLUGIN_HELP),
    ) -> None:
        """List plugins, their versions and what each registered (commands included)."""
        loaded = get_plugins(tuple(plugin_files))
        for info in sorted(loaded.info.values(), key=lambda i: (i.distribution != "benchlab", i.name)):
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
        for problem in loaded.warnings:
            warn(problem)

    @packs_app.command("list")
    def packs_list(
        plugin: list[str] = typer.Option([], "--plugin", help=PLUGIN_HELP),
    ) -> None:
        """Registered packs: id, version, scenarios, dimension, modes, needs sandbox."""
        from benchlab.pack_commands import list_packs

        list_packs(get_plugins(tuple(plugin_files)))

    @packs_app.command("show")
    def packs_show(
        ref: str = typer.Argument(..., help="A pack id or folder."),
        plugin: list[str] = typer.Option([], "--plugin", help=PLUGIN_HELP),
    ) -> None:
        """A pack's manifest and scenarios."""
        from benchlab.pack_commands import show_pack

        show_pack(ref, get_plugins(tuple(plugin_files)))

    @packs_app.command("validate")
    def packs_validate(
        path: Path = typer.Argument(..., help="A pack folder."),
        plugin: list[str] = typer.Option([], "--plugin", help=PLUGIN_HELP),
    ) -> None:
        """Check a pack: schema, unique ids, and its proofs (gold, alternative, near-miss)."""
        from benchlab.pack_commands import validate_pack

        raise typer.Exit(validate_pack(path, get_plugins(tuple(plugin_files))))

    get_plugins(tuple(plugin_files)).add_commands(app)
    return app


def given_flags(ctx: click.Context) -> dict[str, str]:
    """The parameters set on the command line (not left at their default), each with its flag."""
    from click.core import ParameterSource

    return {
        param.name: param.opts[0]
        for param in ctx.command.params
        if param.name and ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE
    }


def _api_key(flag: str | None) -> str | None:
    return flag or os.environ.get(API_KEY_ENV) or None


def _backend_options(pairs: list[str]) -> dict[str, Any]:
    """``--backend-option KEY=VALUE``: values read as JSON when they parse (numbers, booleans), else text."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise BenchlabError(f"--backend-option {pair!r}: expected KEY=VALUE, e.g. keep_alive=10m")
        try:
            settings[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            settings[key.strip()] = raw
    return settings


def _scenario_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise BenchlabError(f"--scenarios-file {path}: no such file")
    refs = []
    from benchlab.text_files import read_text

    for lineno, line in enumerate(read_text(path, "--scenarios-file").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "/" not in line:
            raise BenchlabError(f"{path}:{lineno}: expected PACK/ID, got {line!r}")
        refs.append(line)
    if not refs:
        raise BenchlabError(f"--scenarios-file {path}: no PACK/ID lines")
    return refs


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
        from benchlab.cli_checks import refuse_repeated_options

        command = typer.main.get_command(build_app(_plugin_files(args)))
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
