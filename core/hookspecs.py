"""Every hook a benchlab plugin can implement.

Registration hooks are called once, when the registry is built. They must be
cheap: no network and no heavy imports. Pass a ``"module:attr"`` string instead
of an object to defer an import until the object is first used.

Lifecycle hooks are broadcast while a run goes on. An exception in one plugin is
reported as a run warning naming that plugin; it never stops the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:  # annotations only: importing this module stays cheap
    import typer

    from benchlab.model import RunRecord, ScenarioResult
    from benchlab.plugin_manager import Plugins
    from benchlab.run import RunContext

hookspec = pluggy.HookspecMarker("benchlab")

Register = Callable[..., None]
"""The ``register`` callable a registration hook receives: ``register(name, target, summary=..., roles=...)``
(``register(PackSource)`` for packs); ``target`` may be a ``"module:attr"`` string."""


@hookspec
def register_backends(register: Register) -> None:
    """Register backends: ``register(name, factory, summary="...")``.

    ``factory(options: BackendOptions) -> Backend`` builds a client for one
    endpoint (``benchlab.api.Backend``, ``HttpBackend`` for HTTP servers).
    """


@hookspec
def register_packs(register: Register) -> None:
    """Register packs: ``register(PackSource(id=..., path=...))``.

    ``path`` is a folder holding ``pack.toml`` and ``scenarios.jsonl``; a
    ``loader`` (``"module:function"``) instead builds a pack from a dataset
    shipped elsewhere.
    """


@hookspec
def register_verifiers(register: Register) -> None:
    """Register verifiers: ``register(kind, verifier, summary="...")``.

    ``verifier`` is a ``benchlab.api.Verifier`` subclass (or a ``"module:Class"``
    string) declaring its ``params``; scenarios select it with ``{"kind": kind}``.
    """


@hookspec
def register_drivers(register: Register) -> None:
    """Register drivers, the ways a scenario is played: ``register(name, driver)``.

    A driver follows ``benchlab.api.Driver``: ``async play(scenario, session) -> ChatResponse``
    and an optional ``multi_turn``.
    """


@hookspec
def register_reporters(register: Register) -> None:
    """Register reporters: ``register(name, reporter)``.

    A reporter follows ``benchlab.api.Reporter``: an optional ``write(record, run_dir)``,
    ``render(record) -> str`` (and ``render_chunks(record)``, the same text in pieces),
    ``write_comparison(comparison, heading, folder)`` and
    ``write_ladder(run_dir)``.
    """


@hookspec
def register_sandboxes(register: Register) -> None:
    """Register sandbox providers: ``register(name, factory)``.

    ``factory(max_concurrency=N) -> Sandbox``: usually a ``benchlab.api.Sandbox`` subclass itself.
    """


@hookspec
def register_run_options(register: Register) -> None:
    """Register options for pack loaders: ``register(name, RunOption(flag="--x", help=..., default=..., choices=...))``.

    ``run`` (and every command that plays packs) gains ``--x``; its value reaches
    pack loaders as ``LoadOptions.settings[name]`` and is recorded with the run.
    """


@hookspec
def register_commands(app: typer.Typer, plugins: Plugins) -> None:
    """Add sub-commands to the ``benchlab`` typer application ``app``.

    ``plugins`` is the loaded plugin set the application was built with (``--plugin``
    files included): command bodies take their registries from it. An implementation
    may leave it out of its signature.
    """


@hookspec
def on_run_start(run: RunContext) -> None:
    """Called once a run's packs are validated and its endpoint probed, before
    the first scenario is sent. ``run`` is the ``RunContext``."""


@hookspec
def on_scenario_result(run: RunContext, result: ScenarioResult) -> None:
    """Called after each scenario's result is journaled (``result`` is a
    ``ScenarioResult``). Keep it fast: it runs on the event loop."""


@hookspec
def report_sections(record: RunRecord) -> list[str] | None:
    """Markdown lines a plugin adds to a run's report (``report.md`` and stdout), after the
    table; None or an empty list for none. ``record`` is the ``RunRecord``; model output in it
    is untrusted text."""


@hookspec
def on_run_end(run: RunContext, record: RunRecord) -> None:
    """Called with the finished ``RunRecord`` after run.json is written."""
