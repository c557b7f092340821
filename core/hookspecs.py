"""Every hook a benchlab plugin can implement.

Registration hooks are called once, when the registry is built. They must be
cheap: no network and no heavy imports. Pass a ``"module:attr"`` string instead
of an object to defer an import until the object is first used.

Lifecycle hooks are broadcast while a run goes on. An exception in one plugin is
reported as a run warning naming that plugin; it never stops the run.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("benchlab")


@hookspec
def register_backends(register: Callable[..., None]) -> None:
    """Register backends: ``register(name, factory, summary="...")``.

    ``factory(options: BackendOptions) -> Backend`` builds a client for one
    endpoint (see ``benchlab.backends.Backend``).
    """


@hookspec
def register_packs(register: Callable[..., None]) -> None:
    """Register packs: ``register(PackSource(id=..., path=...))``.

    ``path`` is a folder holding ``pack.toml`` and ``scenarios.jsonl``; a
    ``loader`` (``"module:function"``) instead builds a pack from a dataset
    shipped elsewhere.
    """


@hookspec
def register_verifiers(register: Callable[..., None]) -> None:
    """Register verifiers: ``register(kind, verifier, summary="...")``.

    ``verifier`` is a ``benchlab.verifiers.Verifier`` subclass (or a
    ``"module:Class"`` string); scenarios select it with ``{"kind": kind}``.
    """


@hookspec
def register_drivers(register: Callable[..., None]) -> None:
    """Register drivers, the ways a scenario is played: ``register(name, driver)``.

    A driver has ``async play(scenario, session) -> Transcript``.
    """


@hookspec
def register_reporters(register: Callable[..., None]) -> None:
    """Register reporters: ``register(name, reporter)``.

    A reporter has ``write(record, run_dir)`` and may have ``render(record) -> str``.
    """


@hookspec
def register_sandboxes(register: Callable[..., None]) -> None:
    """Register sandbox providers: ``register(name, factory)``."""


@hookspec
def register_run_options(register: Callable[..., None]) -> None:
    """Register options for pack loaders: ``register(name, RunOption(flag="--x", help=..., default=..., choices=...))``.

    ``run`` (and every command that plays packs) gains ``--x``; its value reaches
    pack loaders as ``LoadOptions.settings[name]`` and is recorded with the run.
    """


@hookspec
def register_commands(app: Any, plugins: Any) -> None:
    """Add sub-commands to the ``benchlab`` typer application ``app``.

    ``plugins`` is the loaded plugin set the application was built with (``--plugin``
    files included): command bodies take their registries from it. An implementation
    may leave it out of its signature.
    """


@hookspec
def on_run_start(run: Any) -> None:
    """Called once a run's packs are validated and its endpoint probed, before
    the first scenario is sent. ``run`` is the ``RunContext``."""


@hookspec
def on_scenario_result(run: Any, result: Any) -> None:
    """Called after each scenario's result is journaled (``result`` is a
    ``ScenarioResult``). Keep it fast: it runs on the event loop."""


@hookspec
def report_sections(record: Any) -> list[str] | None:
    """Markdown lines a plugin adds to a run's report (``report.md`` and stdout), after the
    table; None or an empty list for none. ``record`` is the ``RunRecord``; model output in it
    is untrusted text."""


@hookspec
def on_run_end(run: Any, record: Any) -> None:
    """Called with the finished ``RunRecord`` after run.json is written."""
