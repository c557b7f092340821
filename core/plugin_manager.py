"""The plugin manager: entry points, the allow-list, one-off plugin files, registries."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Callable

import attrs
import pluggy

from benchlab import hookspecs
from benchlab.errors import BenchlabError
from benchlab.registry import Registry

ENTRY_POINT_GROUP = "benchlab"
OWN_DISTRIBUTION = "benchlab"
# registry kind -> the hook that fills it
REGISTRY_HOOKS = {
    "backend": "register_backends",
    "pack": "register_packs",
    "verifier": "register_verifiers",
    "driver": "register_drivers",
    "reporter": "register_reporters",
    "sandbox": "register_sandboxes",
    "run_option": "register_run_options",
}


@attrs.define
class PluginInfo:
    """What ``benchlab plugins`` shows for one plugin."""

    name: str
    distribution: str
    version: str
    registered: list[str] = attrs.field(factory=list)


@attrs.define
class Plugins:
    """A loaded plugin manager with one registry per kind."""

    manager: pluggy.PluginManager
    registries: dict[str, Registry]
    info: dict[str, PluginInfo]
    warnings: list[str] = attrs.field(factory=list)

    @property
    def backends(self) -> Registry:
        return self.registries["backend"]

    @property
    def packs(self) -> Registry:
        return self.registries["pack"]

    @property
    def verifiers(self) -> Registry:
        return self.registries["verifier"]

    @property
    def drivers(self) -> Registry:
        return self.registries["driver"]

    @property
    def reporters(self) -> Registry:
        return self.registries["reporter"]

    @property
    def sandboxes(self) -> Registry:
        return self.registries["sandbox"]

    @property
    def run_options(self) -> Registry:
        return self.registries["run_option"]

    def driver_for(self, scenario: Any) -> Any:
        """The driver that plays ``scenario``: the one it names, else the one registered as ``default``."""
        return self.drivers.get(scenario.driver or self.drivers.require_role("default", "plays scenarios that name no driver"))

    def broadcast(self, hook_name: str, **kwargs: Any) -> list[str]:
        """Call a lifecycle hook on every plugin; failures become warnings, never crashes."""
        problems: list[str] = []
        for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
            try:
                impl.function(**{k: kwargs[k] for k in impl.argnames})
            except Exception as exc:  # a plugin's bug must not kill the run
                problems.append(f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc!r}")
        return problems

    def write_reports(self, method: str, *args: Any) -> list[str]:
        """Call ``method`` (``write``, ``write_comparison``, ``write_ladder``) on every registered
        reporter that has it; a reporter that fails is a warning (returned), never a lost result."""
        problems: list[str] = []
        for entry in self.reporters:
            writer = getattr(entry.load(), method, None)
            if writer is not None:
                try:
                    writer(*args)
                except Exception as exc:
                    problems.append(f"reporter {entry.name!r} failed: {exc!r}")
        return problems

    def collect(self, hook_name: str, **kwargs: Any) -> tuple[list[tuple[str, Any]], list[str]]:
        """Call a hook on every plugin and keep what each returned (``(plugin, value)``, None left out),
        in registration order; failures become warnings, as in ``broadcast``."""
        values: list[tuple[str, Any]] = []
        problems: list[str] = []
        for impl in reversed(getattr(self.manager.hook, hook_name).get_hookimpls()):
            try:
                value = impl.function(**{k: kwargs[k] for k in impl.argnames})
            except Exception as exc:  # a plugin's bug must not kill the run
                problems.append(f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc!r}")
                continue
            if value is not None:
                values.append((impl.plugin_name, value))
        return values, problems

    def add_commands(self, app: Any) -> None:
        """Let each plugin add sub-commands to the typer ``app``; note which ones, for ``benchlab plugins``."""
        # Reversed: pluggy calls the last registered plugin first; keep that order.
        for impl in reversed(self.manager.hook.register_commands.get_hookimpls()):
            before = set(_command_names(app))
            offered = {"app": app, "plugins": self}
            impl.function(**{name: offered[name] for name in impl.argnames})
            plugin = self.info.get(impl.plugin_name)
            for name in _command_names(app):
                if name not in before and plugin is not None and f"command:{name}" not in plugin.registered:
                    plugin.registered.append(f"command:{name}")


def _command_names(app: Any) -> list[str]:
    """The sub-commands and command groups a typer app has so far."""
    names = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    return names + [g.name or g.typer_instance.info.name for g in app.registered_groups]


def _allow_list() -> set[str] | None:
    """Third-party distributions allowed by BENCHLAB_LOAD_PLUGINS (None: all)."""
    raw = os.environ.get("BENCHLAB_LOAD_PLUGINS")
    if raw is None:
        return set() if os.environ.get("BENCHLAB_DISABLE_PLUGIN_AUTOLOAD") else None
    return {_normalise(name) for name in raw.split(",") if name.strip()}


def _normalise(distribution: str) -> str:
    return distribution.strip().lower().replace("_", "-").replace(".", "-")


def _load_entry_points(pm: pluggy.PluginManager, info: dict[str, PluginInfo], warnings: list[str]) -> None:
    from importlib.metadata import entry_points

    allowed = _allow_list()
    seen_distributions: set[str] = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist_name = ep.dist.name if ep.dist is not None else "unknown"
        normalised = _normalise(dist_name)
        seen_distributions.add(normalised)
        if normalised != OWN_DISTRIBUTION and allowed is not None and normalised not in allowed:
            continue
        name = ep.name if normalised == OWN_DISTRIBUTION else f"{dist_name}:{ep.name}"
        if pm.has_plugin(name):
            continue
        try:
            module = ep.load()
        except Exception as exc:  # one broken plugin must not take the others down
            warnings.append(f"plugin {name!r} from {dist_name} failed to import and was skipped: {exc!r}")
            continue
        pm.register(module, name=name)
        version = ep.dist.version if ep.dist is not None else "?"
        info[name] = PluginInfo(name, dist_name, version)
    if allowed:
        for missing in sorted(allowed - seen_distributions):
            warnings.append(f"BENCHLAB_LOAD_PLUGINS names {missing!r}, which is not installed")


def _load_file(pm: pluggy.PluginManager, path: str, info: dict[str, PluginInfo]) -> None:
    file = Path(path)
    if not file.is_file():
        raise BenchlabError(f"--plugin {path}: no such file")
    module_name = f"benchlab_plugin_file_{file.stem}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise BenchlabError(f"--plugin {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise BenchlabError(f"--plugin {path}: failed to import: {exc!r}") from exc
    name = f"file:{file}"
    if not pm.has_plugin(name):
        pm.register(module, name=name)
        info[name] = PluginInfo(name, str(file), "-")


def _fill_registries(pm: pluggy.PluginManager, info: dict[str, PluginInfo]) -> dict[str, Registry]:
    registries = {kind: Registry(kind) for kind in REGISTRY_HOOKS}
    for kind, hook_name in REGISTRY_HOOKS.items():
        hook = getattr(pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            register = _registrar(registries[kind], impl.plugin_name, info)
            try:
                impl.function(register=register)
            except BenchlabError:
                raise
            except Exception as exc:
                raise BenchlabError(
                    f"plugin {impl.plugin_name!r} failed while registering {kind}s: {exc!r}"
                ) from exc
    return registries


def _registrar(registry: Registry, plugin: str, info: dict[str, PluginInfo]) -> Callable[..., None]:
    def register(name: Any, target: Any = None, summary: str = "", roles: tuple[str, ...] | list[str] = ()) -> None:
        # Packs register a PackSource, which carries its own id.
        if target is None and hasattr(name, "id"):
            name, target = name.id, name
            summary = summary or getattr(target, "summary", "")
        registry.add(name, target, plugin=plugin, summary=summary, roles=tuple(roles))
        if plugin in info:
            info[plugin].registered.append(f"{registry.kind}:{name}")

    return register


def load_plugins(plugin_files: list[str] | tuple[str, ...] = ()) -> Plugins:
    """Build a plugin manager from entry points, the allow-list and ``--plugin`` files."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    info: dict[str, PluginInfo] = {}
    warnings: list[str] = []
    _load_entry_points(pm, info, warnings)
    for path in plugin_files:
        _load_file(pm, path, info)
    registries = _fill_registries(pm, info)
    return Plugins(pm, registries, info, warnings)
