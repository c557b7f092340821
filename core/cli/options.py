"""Option groups the commands share: each declares its options once and builds one value.

``@with_options(TARGET, SELECTION, ...)`` adds a group's options to a typer command
and hands the command one keyword argument per group (``target=``, ``selection=``,
...) holding what the group built from them: a typed part of ``RunConfig`` or the
flags it is built from. ``run`` uses them all; later commands (compare, ladder) take
the same groups, so a flag means the same everywhere.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import typing
from pathlib import Path
from typing import Any, Callable, Optional

import attrs
import typer

from benchlab.config import Budgets, SandboxRequest, Sampling, Thinking
from benchlab.errors import BenchlabError

# The generic key variable; backends read their own (OPENAI_API_KEY, OLLAMA_API_KEY, RUNPOD_API_KEY).
API_KEY_ENV = "BENCHLAB_API_KEY"
PLUGIN_HELP = "Load a one-off plugin file (repeatable; also accepted before the command)."


@attrs.frozen
class Opt:
    """One option of a group: its parameter name, type and typer declaration."""

    name: str
    annotation: Any
    declaration: Any


@attrs.frozen
class OptionGroup:
    """Options several commands share, and the value they build (``build(values)``)."""

    key: str
    options: tuple[Opt, ...]
    build: Callable[[dict[str, Any]], Any]


def with_options(*groups: OptionGroup) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the options of ``groups``; it receives each group's built value by ``key``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = inspect.signature(command)
        keys = {g.key for g in groups}
        # Evaluated in the command's own module (annotations are strings under `from __future__`).
        hints = {name: hint for name, hint in typing.get_type_hints(command).items() if name not in keys}
        mine = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in own.parameters.values() if p.name not in keys]
        added = [
            inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.declaration, annotation=o.annotation)
            for g in groups for o in g.options
        ]

        @functools.wraps(command)
        def wrapper(**values: Any) -> Any:
            built = {g.key: g.build({o.name: values.pop(o.name) for o in g.options}) for g in groups}
            return command(**values, **built)

        # typer reads the signature and the type hints; the group keys are replaced by their options.
        wrapper.__signature__ = own.replace(parameters=[*mine, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**hints, **{o.name: o.annotation for g in groups for o in g.options}}
        del wrapper.__wrapped__  # typer must see the new signature, not the command's
        return wrapper

    return decorate


# -- the target: which server, and how to talk to it ---------------------------------------


@attrs.frozen
class TargetFlags:
    """What the user said about the endpoint; the backend is resolved later (detection, replay)."""

    endpoint: str | None
    backend: str | None
    model: str | None
    api_key: str | None = attrs.field(repr=False)  # a secret: never in a config or a file
    settings: dict[str, Any]
    replay: str | None
    concurrency: int | None
    stream: bool
    max_tokens: int | None
    extra_body: dict[str, Any]


def backend_settings(pairs: list[str]) -> dict[str, Any]:
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


def api_key(flag: str | None) -> str | None:
    return flag or os.environ.get(API_KEY_ENV) or None


def json_object(text: str | None, flag: str) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchlabError(f"{flag}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise BenchlabError(f"{flag}: expected a JSON object, got {type(value).__name__}")
    return value


def _target(v: dict[str, Any]) -> TargetFlags:
    return TargetFlags(
        endpoint=v["endpoint"], backend=v["backend"], model=v["model"], api_key=api_key(v["api_key"]),
        settings=backend_settings(v["backend_option"]), replay=str(v["replay"]) if v["replay"] else None,
        concurrency=v["concurrency"], stream=v["stream"], max_tokens=v["max_tokens"],
        extra_body=json_object(v["extra_body"], "--extra-body"),
    )


TARGET = OptionGroup("target", (
    Opt("endpoint", Optional[str], typer.Option(None, "--endpoint", "-e", help="Server base URL, with or without /v1. Omit for the embedded default (local llama.cpp + SmolLM2-135M).")),
    Opt("backend", Optional[str], typer.Option(None, "--backend", "-b", help="Backend name (see `benchlab plugins`). Default: detected from --endpoint; replay with --replay; the embedded default otherwise.")),
    Opt("model", Optional[str], typer.Option(None, "--model", "-m", help="Model name to request (default: the first the server lists).")),
    Opt("api_key", Optional[str], typer.Option(None, "--api-key", help="API key; or BENCHLAB_API_KEY, else the backend's own variable (OPENAI_API_KEY, OLLAMA_API_KEY, RUNPOD_API_KEY). Never written to disk.")),
    Opt("backend_option", list[str], typer.Option([], "--backend-option", "-o", help="A backend setting KEY=VALUE (repeatable), e.g. keep_alive=10m, route=openai; every setting is listed in docs/backends.md.")),
    Opt("replay", Optional[Path], typer.Option(None, "--replay", help="Answer from a JSONL file of recorded responses (the replay backend).")),
    Opt("concurrency", Optional[int], typer.Option(None, "--concurrency", "-c", min=1, help="Requests in flight at once (default: from the backend, e.g. llama.cpp's slot count).")),
    Opt("stream", bool, typer.Option(False, "--stream", help="Stream responses (measures time to first token).")),
    Opt("max_tokens", Optional[int], typer.Option(None, "--max-tokens", min=1, help="max_tokens for the answer (thinking adds --thinking-max-tokens).")),
    Opt("extra_body", Optional[str], typer.Option(None, "--extra-body", help="A JSON object merged into every request body.")),
), _target)


# -- the selection: which scenarios ------------------------------------------------------


@attrs.frozen
class SelectionFlags:
    """Which packs and scenarios the user asked for, before the packs are resolved."""

    modes: list[str]
    packs: list[str]
    scenarios: list[str]
    sandboxed: str  # "all", "none" (--no-sandboxed) or "only" (--sandboxed-only)
    full_dataset: bool
    repeat: int
    pack_settings: dict[str, Any] = attrs.field(factory=dict)  # plugins' run options, by registered name
    variants: bool = False  # --variants: each scenario's prompt variants too


def scenario_lines(path: Path) -> list[str]:
    """The PACK/ID lines of a ``--scenarios-file`` (``#`` starts a comment)."""
    from benchlab.text_files import read_text

    if not path.is_file():
        raise BenchlabError(f"--scenarios-file {path}: no such file")
    refs = []
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


RUN_OPTION_PREFIX = "run_option__"


def _selection(v: dict[str, Any], declared: dict[str, Any] | None = None) -> SelectionFlags:
    from benchlab.cli.checks import one_of

    one_of({"no-sandboxed": v["no_sandboxed"], "sandboxed-only": v["sandboxed_only"]})
    modes = one_of({"quick": v["quick"], "medium": v["medium"], "full": v["full"]}, default="medium")
    modes += ["reasoning"] if v["reasoning"] else []  # adds its packs to any other mode's
    scenarios = list(v["scenario"]) + (scenario_lines(v["scenarios_file"]) if v["scenarios_file"] else [])
    sandboxed = "none" if v["no_sandboxed"] else "only" if v["sandboxed_only"] else "all"
    settings = run_option_values(v, declared or {})
    return SelectionFlags(modes=modes, packs=list(v["pack"]), scenarios=scenarios, sandboxed=sandboxed,
                          full_dataset=v["full_dataset"], repeat=v["repeat"], pack_settings=settings, variants=v["variants"])


def run_option_values(v: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    """The plugins' run options among a command's values, by registered name, each converted as
    its ``RunOption`` (in ``declared``, by name) says."""
    settings: dict[str, Any] = {}
    for key, value in v.items():
        if not key.startswith(RUN_OPTION_PREFIX):
            continue
        name = key[len(RUN_OPTION_PREFIX):]
        option = declared.get(name)
        if option is not None and option.convert is not None and value is not None:
            value = [option.convert(item) for item in value] if option.multiple else option.convert(value)
        settings[name] = list(value) if isinstance(value, (list, tuple)) else value
    return settings


def run_options(plugins: Any) -> tuple[tuple[Opt, ...], dict[str, Any]]:
    """One option per run option plugins registered for their pack loaders, and those ``RunOption``s by name."""
    import click

    added = []
    declared: dict[str, Any] = {}
    for entry in plugins.run_options:
        option = entry.load()
        declared[entry.name] = option
        choice = {"click_type": click.Choice(list(option.choices))} if option.choices else {}
        help_text = f"{option.help} (plugin {entry.plugin})"
        if option.multiple:
            added.append(Opt(RUN_OPTION_PREFIX + entry.name, list[str], typer.Option([], option.flag, help=help_text, **choice)))
        else:
            added.append(Opt(RUN_OPTION_PREFIX + entry.name, Optional[str],
                             typer.Option(option.default, option.flag, help=help_text, **choice)))
    return tuple(added), declared


def selection_options(plugins: Any) -> OptionGroup:
    """The selection options, with every run option plugins registered for their pack loaders."""
    added, declared = run_options(plugins)
    return OptionGroup(SELECTION.key, SELECTION.options + added, lambda v: _selection(v, declared))


def pack_settings_options(plugins: Any) -> OptionGroup:
    """The plugins' run options alone, for commands that load packs without playing them (packs show, validate)."""
    added, declared = run_options(plugins)
    return OptionGroup("pack_settings", added, lambda v: run_option_values(v, declared))


SELECTION = OptionGroup("selection", (
    Opt("quick", bool, typer.Option(False, "--quick", help="The quick packs: tool calls and instruction following.")),
    Opt("medium", bool, typer.Option(False, "--medium", help="Quick + structured output, data extraction, numeric reasoning (the default).")),
    Opt("full", bool, typer.Option(False, "--full", help="Medium + the sandboxed packs (bug fixing, shell tasks, agent tasks).")),
    Opt("reasoning", bool, typer.Option(False, "--reasoning", help="Add the reasoning packs (code, math and science reasoning), played with thinking on unless --no-thinking; combines with the other modes.")),
    Opt("pack", list[str], typer.Option([], "--pack", "-p", help="A pack id or a path to a pack folder (repeatable).")),
    Opt("scenario", list[str], typer.Option([], "--scenario", "-s", help="Only this scenario, as PACK/ID (repeatable).")),
    Opt("scenarios_file", Optional[Path], typer.Option(None, "--scenarios-file", help="A file of PACK/ID lines (# comments allowed): only these scenarios.")),
    Opt("no_sandboxed", bool, typer.Option(False, "--no-sandboxed", help="Leave out packs that run model-written code in a sandbox.")),
    Opt("sandboxed_only", bool, typer.Option(False, "--sandboxed-only", help="Only packs that run model-written code in a sandbox.")),
    Opt("full_dataset", bool, typer.Option(False, "--full-dataset", help="Dataset packs (e.g. humaneval): every item, not the default subset.")),
    Opt("repeat", int, typer.Option(1, "--repeat", min=1, help="Play every scenario N times.")),
    Opt("variants", bool, typer.Option(False, "--variants", help="Also play every prompt variant of the selected scenarios, paired against the default prompt (also on --resume: adds them to the run).")),
), _selection)


# -- sampling and thinking ------------------------------------------------------------------

SAMPLING_FLAGS = {"temperature": "--temperature", "top_p": "--top-p", "top_k": "--top-k", "min_p": "--min-p",
                  "repeat_penalty": "--repeat-penalty", "seed": "--seed"}


def _sampling(v: dict[str, Any]) -> Sampling:
    overrides = {k: v[k] for k in SAMPLING_FLAGS if v[k] is not None}
    if overrides and v["sampling_from_server"]:
        raise BenchlabError(f"--sampling-from-server cannot be combined with {'/'.join(SAMPLING_FLAGS.values())}")
    return Sampling(overrides=overrides, from_server=v["sampling_from_server"])


SAMPLING = OptionGroup("sampling", (
    Opt("temperature", Optional[float], typer.Option(None, "--temperature", min=0, help="Override greedy sampling (makes the run non-canonical).")),
    Opt("top_p", Optional[float], typer.Option(None, "--top-p", min=0, max=1)),
    Opt("top_k", Optional[int], typer.Option(None, "--top-k", min=0)),
    Opt("min_p", Optional[float], typer.Option(None, "--min-p", min=0, max=1)),
    Opt("repeat_penalty", Optional[float], typer.Option(None, "--repeat-penalty", min=0)),
    Opt("seed", Optional[int], typer.Option(None, "--seed")),
    Opt("sampling_from_server", bool, typer.Option(False, "--sampling-from-server", help="Send no sampling parameters; record the server's defaults (non-canonical).")),
), _sampling)


THINKING_ARMS = {"on": True, "off": False}


def _thinking(v: dict[str, Any]) -> Thinking:
    from benchlab.thinking import checked_effort

    arm, forced = v["thinking_arms"], v["thinking"]
    if arm is not None and arm not in (*THINKING_ARMS, "both"):
        raise BenchlabError(f"--thinking {arm!r}: use on, off or both")
    if arm is not None and forced is not None and (arm == "both" or THINKING_ARMS[arm] != forced):
        alias = "--enable-thinking" if forced else "--no-thinking"
        raise BenchlabError(f"--thinking {arm} and {alias} disagree: give one of them")
    if arm is not None:
        forced = None if arm == "both" else THINKING_ARMS[arm]
    return Thinking(forced=forced, both=arm == "both", max_tokens=v["thinking_max_tokens"],
                    reasoning_effort=checked_effort(v["reasoning_effort"]), strict=v["strict_thinking"])


THINKING = OptionGroup("thinking", (
    Opt("thinking_arms", Optional[str], typer.Option(None, "--thinking", help="on, off, or both (every scenario played in each arm, side by side); default: each pack's own.")),
    Opt("thinking", Optional[bool], typer.Option(None, "--enable-thinking/--no-thinking", help="Aliases of --thinking on and --thinking off.")),
    Opt("thinking_max_tokens", int, typer.Option(16384, "--thinking-max-tokens", min=1, help="Extra tokens allowed for reasoning when thinking is on (capped by the server's context).")),
    Opt("reasoning_effort", Optional[str], typer.Option(None, "--reasoning-effort", help="low, medium or high, for servers that take it.")),
    Opt("strict_thinking", bool, typer.Option(False, "--strict-thinking", help="Fail the run when thinking was silent or contaminated.")),
), _thinking)


# -- time budgets, retries, pacing ----------------------------------------------------------


def _budgets(v: dict[str, Any]) -> Budgets:
    return Budgets(
        timeout_per_case_s=v["timeout_per_case"], measured_tps=v["measured_tps"], reference_tps=v["reference_tps"],
        timeout_ceiling_s=v["timeout_ceiling_s"], retries=v["retries"], retry_on_timeout=v["retry_on_timeout"],
        request_delay_s=v["request_delay"], max_total_tokens=v["max_total_tokens"],
    )


BUDGETS = OptionGroup("budgets", (
    Opt("timeout_per_case", Optional[float], typer.Option(None, "--timeout-per-case", min=0.1, help="Seconds per attempt, for every scenario (skips the speed probe).")),
    Opt("measured_tps", Optional[float], typer.Option(None, "--measured-tps", min=0.01, help="Decode tokens/s to scale time budgets by (skips the speed probe).")),
    Opt("reference_tps", float, typer.Option(30.0, "--reference-tps", min=0.01, help="The speed packs' default time budgets assume.")),
    Opt("timeout_ceiling_s", float, typer.Option(1800.0, "--timeout-ceiling-s", min=1, help="No scenario budget exceeds this.")),
    Opt("retries", int, typer.Option(2, "--retries", min=0, help="Transport retries per request.")),
    Opt("retry_on_timeout", bool, typer.Option(False, "--retry-on-timeout", help="Also retry attempts that timed out.")),
    Opt("request_delay", float, typer.Option(0.0, "--request-delay", min=0, help="Minimum seconds between request starts (hosted APIs).")),
    Opt("max_total_tokens", Optional[int], typer.Option(None, "--max-total-tokens", min=1, help="Spend guard: stop cleanly once this many tokens were used.")),
), _budgets)


SANDBOX = OptionGroup("sandbox", (
    Opt("sandbox", Optional[str], typer.Option(None, "--sandbox", help="The provider for packs that run model-written code (docker, bwrap; default: the best that can run now); an error if it cannot run.")),
    Opt("unsafe_local", bool, typer.Option(False, "--unsafe-local", help="Dangerous: when no sandbox can run, run model-written code UNCONFINED on this host (never instead of a working or named sandbox); also required by --sandbox unsafe-local.")),
), lambda v: SandboxRequest(name=v["sandbox"], unsafe_local=v["unsafe_local"]))


# -- output -----------------------------------------------------------------------------


@attrs.frozen
class OutputFlags:
    out: Path
    format: str | None  # a reporter's name; None: the reporter that renders by default
    progress: bool


OUTPUT = OptionGroup("output", (
    Opt("out", Path, typer.Option(Path("results"), "--out", help="Folder holding run folders named by run id.")),
    Opt("fmt", Optional[str], typer.Option(None, "--format", help="What to print on stdout: md (the default) or json; any reporter that renders.")),
    Opt("no_progress", bool, typer.Option(False, "--no-progress", help="No progress bar or progress lines.")),
), lambda v: OutputFlags(out=v["out"], format=v["fmt"], progress=not v["no_progress"]))


# The --out of commands that read saved runs (history, and those that inspect, diff or re-score).
# The output formats of the commands that read saved runs (inspect, diff, rescore, baseline check):
# their own views, not reporters (`run --format` names a reporter).
MARKDOWN_VIEW, JSON_VIEW = "md", "json"


def _view(v: dict[str, Any]) -> str:
    if v["fmt"] not in (MARKDOWN_VIEW, JSON_VIEW):
        raise BenchlabError(f"--format {v['fmt']!r}: use {MARKDOWN_VIEW} or {JSON_VIEW}")
    return str(v["fmt"])


VIEW_FORMAT = OptionGroup("fmt", (
    Opt("fmt", str, typer.Option(MARKDOWN_VIEW, "--format", help=f"{MARKDOWN_VIEW} (the default) or {JSON_VIEW}.")),
), _view)

RUNS_OUT = OptionGroup("out", (
    Opt("out", Path, typer.Option(Path("results"), "--out", help="The folder holding run folders and index.sqlite (default results/).")),
), lambda v: v["out"])


# Declared on every command so that it parses; the files are read from argv before the app is built.
PLUGIN = OptionGroup("plugin", (
    Opt("plugin", list[str], typer.Option([], "--plugin", help=PLUGIN_HELP)),
), lambda v: list(v["plugin"]))
