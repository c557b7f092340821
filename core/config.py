"""RunConfig: everything that decides what a run does, built once from the command line.

It is saved with the run (the journal's header, ``run.json``) and read back by
``--resume``, so it holds no secret: the API key travels in ``BackendOptions`` only.
Its parts are the option groups the commands share (``benchlab.cli.options``):
the target (which server, and how to talk to it), the selection (which scenarios),
sampling, thinking, time budgets and pacing, and the sandbox request.
"""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.timeouts import DEFAULT_CEILING_S, DEFAULT_REFERENCE_TPS


@attrs.frozen
class Target:
    """The endpoint and how requests reach it."""

    backend: str
    endpoint: str | None = None  # credentials removed
    model: str | None = None
    settings: dict[str, Any] = attrs.field(factory=dict)  # --backend-option KEY=VALUE
    replay: str | None = None  # an absolute path
    concurrency: int | None = None  # None: the backend's default
    stream: bool = False
    max_tokens: int | None = None
    extra_body: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Selection:
    """Which scenarios are played, and how often."""

    packs: list[str]  # ids, or absolute paths of pack folders
    mode: str = ""  # how the packs were chosen, as the Quality: line shows it
    scenarios: list[str] = attrs.field(factory=list)  # PACK/ID; empty: every scenario of the packs
    repeat: int = 1
    full_dataset: bool = False  # dataset packs: every item, not the default subset
    sandboxed: str = "all"  # "all", "none" (--no-sandboxed) or "only" (--sandboxed-only)
    variants: bool = False  # --variants: every prompt variant of each scenario, besides its default prompt
    # Plugins' run options for pack loaders (register_run_options): name -> value.
    pack_settings: dict[str, Any] = attrs.field(factory=dict)
    # Packs whose default thinking a mode turned on (--reasoning): thinking on unless forced off.
    thinking_on: list[str] = attrs.field(factory=list)

    def load_options(self) -> Any:
        """What pack loaders are told about this selection."""
        from benchlab.model import LoadOptions

        return LoadOptions(full_dataset=self.full_dataset, scenario_ids=tuple(self.scenarios), settings=dict(self.pack_settings))


@attrs.frozen
class Sampling:
    """The user's sampling: overrides (``--temperature`` ...) or the server's own defaults."""

    overrides: dict[str, Any] = attrs.field(factory=dict)
    from_server: bool = False

    @property
    def canonical(self) -> bool:
        """Greedy sampling chosen by benchlab: comparable across rigs and runs."""
        return not self.overrides and not self.from_server


@attrs.frozen
class Thinking:
    """Reasoning: forced on or off (None: each pack's default) or both arms, its budget and checks."""

    forced: bool | None = None
    both: bool = False  # --thinking both: every scenario played in both arms, off and on
    max_tokens: int = 16384
    reasoning_effort: str | None = None
    strict: bool = False


@attrs.frozen
class Budgets:
    """Time budgets, retries, pacing and the spend guard."""

    timeout_per_case_s: float | None = None
    measured_tps: float | None = None
    reference_tps: float = DEFAULT_REFERENCE_TPS
    timeout_ceiling_s: float = DEFAULT_CEILING_S
    retries: int = 2
    retry_on_timeout: bool = False
    request_delay_s: float = 0.0
    max_total_tokens: int | None = None


@attrs.frozen
class SandboxRequest:
    """Which sandbox the user asked for (None: the best that can run now)."""

    name: str | None = None
    unsafe_local: bool = False


@attrs.frozen
class RunConfig:
    target: Target
    selection: Selection
    sampling: Sampling = attrs.field(factory=Sampling)
    thinking: Thinking = attrs.field(factory=Thinking)
    budgets: Budgets = attrs.field(factory=Budgets)
    sandbox: SandboxRequest = attrs.field(factory=SandboxRequest)
    out: str = "results"
    plugins: list[str] = attrs.field(factory=list)  # --plugin files, absolute

    @property
    def canonical(self) -> bool:
        return self.sampling.canonical


# Where each field of the flat configuration of schema 1 went.
_FLAT_FIELDS: dict[str, tuple[str, str]] = {
    **{k: ("target", k) for k in ("backend", "endpoint", "model", "replay", "concurrency", "stream", "max_tokens", "extra_body")},
    "settings": ("target", "settings"),
    **{k: ("selection", k) for k in ("packs", "mode", "scenarios", "repeat", "full_dataset")},
    "sampling": ("sampling", "overrides"),
    "sampling_from_server": ("sampling", "from_server"),
    "thinking": ("thinking", "forced"),
    "thinking_max_tokens": ("thinking", "max_tokens"),
    "reasoning_effort": ("thinking", "reasoning_effort"),
    "strict_thinking": ("thinking", "strict"),
    **{k: ("budgets", k) for k in ("timeout_per_case_s", "measured_tps", "reference_tps", "timeout_ceiling_s", "retries",
                                    "retry_on_timeout", "request_delay_s", "max_total_tokens")},
    "sandbox": ("sandbox", "name"),
    "unsafe_local": ("sandbox", "unsafe_local"),
    "out": ("", "out"),
    "plugins": ("", "plugins"),
}


def upgrade_config(data: dict[str, Any]) -> dict[str, Any]:
    """A saved configuration in today's shape: schema 1 kept every field at the top level."""
    if "target" in data:
        return data
    grouped: dict[str, Any] = {"target": {}, "selection": {}, "sampling": {}, "thinking": {}, "budgets": {}, "sandbox": {}}
    for key, value in data.items():
        group, name = _FLAT_FIELDS.get(key, ("", ""))
        if not name:
            continue  # a field schema 1 had and today's config does not
        if group:
            grouped[group][name] = value
        else:
            grouped[name] = value
    return grouped


def apply_changes(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``data`` (an unstructured RunConfig) with ``changes`` applied; keys are dotted paths (``budgets.retries``)."""
    result = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for path, value in changes.items():
        group, _, name = path.rpartition(".")
        if group:
            result.setdefault(group, {})[name] = value
        else:
            result[name] = value
    return result


def config_value(config: RunConfig, path: str) -> Any:
    """The value at a dotted path (``target.concurrency``)."""
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


def with_changes(config: RunConfig, changes: dict[str, Any]) -> RunConfig:
    """``config`` with the values at dotted paths replaced."""
    groups: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for path, value in changes.items():
        group, _, name = path.rpartition(".")
        if group:
            groups.setdefault(group, {})[name] = value
        else:
            top[name] = value
    for group, values in groups.items():
        top[group] = attrs.evolve(getattr(config, group), **values)
    return attrs.evolve(config, **top)
