"""The plugin system: registries, the allow-list, one-off plugin files, lifecycle hooks."""

from __future__ import annotations

import json
import textwrap

import pytest

from benchlab.errors import BenchlabError, RegistryError
from benchlab.plugin_manager import load_plugins
from benchlab.registry import Registry

from helpers import benchlab, run_record, write_pack, write_replay


def test_registry_unknown_name_lists_and_suggests():
    registry = Registry("backend")
    registry.add("openai", object(), plugin="a")
    registry.add("ollama", object(), plugin="b")
    with pytest.raises(RegistryError) as caught:
        registry.get("olama")
    assert "unknown backend 'olama'" in str(caught.value)
    assert "did you mean 'ollama'" in str(caught.value)
    assert "available: ollama, openai" in str(caught.value)


def test_registry_clash_names_both_plugins():
    registry = Registry("verifier")
    registry.add("exact", object(), plugin="first")
    with pytest.raises(RegistryError) as caught:
        registry.add("exact", object(), plugin="second")
    assert "'first'" in str(caught.value) and "'second'" in str(caught.value)


def test_registry_lazy_string_target_imports_on_first_use():
    registry = Registry("thing")
    registry.add("dumps", "json:dumps", plugin="p")
    assert registry.get("dumps") is json.dumps
    registry.add("broken", "no_such_module_xyz:thing", plugin="p")
    with pytest.raises(RegistryError) as caught:
        registry.get("broken")
    assert "cannot be imported" in str(caught.value)


def test_builtins_register_through_entry_points():
    plugins = load_plugins()
    assert {"openai", "replay"} <= set(plugins.backends.names())
    assert {"exact", "regex", "numeric"} <= set(plugins.verifiers.names())
    assert "chat" in plugins.drivers
    assert {"md", "json"} <= set(plugins.reporters.names())
    assert all(info.distribution == "benchlab" for info in plugins.info.values())


def test_own_plugins_load_even_with_an_empty_allow_list(monkeypatch):
    monkeypatch.setenv("BENCHLAB_LOAD_PLUGINS", "")
    plugins = load_plugins()
    assert "openai" in plugins.backends


def test_allow_list_warns_about_a_missing_distribution(monkeypatch):
    monkeypatch.setenv("BENCHLAB_LOAD_PLUGINS", "benchlab-no-such-plugin")
    plugins = load_plugins()
    assert any("benchlab-no-such-plugin" in w for w in plugins.warnings)


PLUGIN_FILE = '''
from benchlab import hookimpl
from benchlab.model import Check, Verdict
from benchlab.verifiers import Verifier, answer_text


class Shouting(Verifier):
    required = {}

    def verify(self, params, response, ctx):
        text = answer_text(response)
        return Verdict.from_checks([Check("uppercase", bool(text) and text == text.upper(), text)])


@hookimpl
def register_verifiers(register):
    register("shouting", Shouting, summary="all caps")


@hookimpl
def on_scenario_result(run, result):
    raise RuntimeError("this plugin is broken")
'''


def test_plugin_file_adds_a_verifier_and_a_broken_hook_only_warns(tmp_path):
    plugin = tmp_path / "shout.py"
    plugin.write_text(PLUGIN_FILE)
    scenario = {"id": "S", "messages": [{"role": "user", "content": "shout"}], "verifier": {"kind": "shouting"}}
    pack = write_pack(tmp_path / "shout-1", [scenario])
    replay = write_replay(tmp_path / "r.jsonl", {"shout-1/S": "HELLO THERE"})
    out = tmp_path / "out"
    proc = benchlab("run", "--plugin", str(plugin), "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(out)
    assert record["results"][0]["passed"] is True
    assert any("this plugin is broken" in w and "shout.py" in w for w in record["warnings"])
    # Without the plugin file the pack's verifier kind is unknown: a pack error, exit 1.
    proc = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(out))
    assert proc.returncode == 1 and "unknown verifier 'shouting'" in proc.stderr


def test_clashing_plugin_file_is_one_clear_error(tmp_path):
    plugin = tmp_path / "clash.py"
    plugin.write_text(textwrap.dedent('''
        from benchlab import hookimpl

        @hookimpl
        def register_backends(register):
            register("openai", object)
    '''))
    with pytest.raises(BenchlabError) as caught:
        load_plugins([str(plugin)])
    assert "backend 'openai' is registered twice" in str(caught.value)
    proc = benchlab("--plugin", str(plugin), "plugins")
    assert proc.returncode == 1 and "registered twice" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_plugin_file(tmp_path):
    proc = benchlab("run", "--plugin", str(tmp_path / "nope.py"), "--replay", "x")
    assert proc.returncode == 1 and "--plugin" in proc.stderr and "no such file" in proc.stderr


def test_plugins_command_lists_what_each_registered():
    proc = benchlab("plugins")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    start = lines.index("builtin  (benchlab 0.1.0)")
    verifiers = next(l for l in lines[start:] if l.startswith("  verifiers: "))
    assert "exact" in verifiers and "tool_call" in verifiers and "code_exec" in verifiers
    assert any(l.startswith("  sandboxes: docker") for l in lines)


COMMAND_PLUGIN = '''
from benchlab import hookimpl


@hookimpl
def register_verifiers(register):
    register("always", "benchlab.plugins.verifiers.extraction.simple_verifiers:ExactVerifier", summary="stand-in")


@hookimpl
def register_commands(app):
    @app.command("hello")
    def hello():
        print("hello from a plugin file")
'''


def section(stdout: str, header: str) -> list[str]:
    """The indented lines ``benchlab plugins`` prints under one plugin's header line."""
    lines = stdout.splitlines()
    start = lines.index(header) + 1
    end = next((n for n in range(start, len(lines)) if not lines[n].startswith("  ")), len(lines))
    return lines[start:end]


def test_plugins_lists_a_one_off_plugin_file_and_the_commands_each_plugin_adds(tmp_path):
    plugin = tmp_path / "greet.py"
    plugin.write_text(COMMAND_PLUGIN)
    for args in (("--plugin", str(plugin), "plugins"), ("plugins", "--plugin", str(plugin))):
        proc = benchlab(*args)
        assert proc.returncode == 0, proc.stderr
        assert section(proc.stdout, f"file:{plugin}  ({plugin} -)") == ["  verifiers: always", "  commands: hello"]
    assert "  commands: report, local" in section(proc.stdout, "builtin  (benchlab 0.1.0)")  # commands first, then groups
    assert "  commands: sandbox" in section(proc.stdout, "sandboxes  (benchlab 0.1.0)")
    ran = benchlab("--plugin", str(plugin), "hello")
    assert (ran.returncode, ran.stdout) == (0, "hello from a plugin file\n"), ran.stderr
    listed = benchlab("packs", "list", "--plugin", str(plugin))
    assert listed.returncode == 0 and "toolcall-15" in listed.stdout, listed.stderr


def test_registering_the_builtins_imports_no_implementation():
    """Registration is cheap: built-ins are "module:attr" strings until first use."""
    import subprocess
    import sys

    code = (
        "import sys; from benchlab.plugin_manager import load_plugins; load_plugins(); "
        "heavy = [m for m in sys.modules if m.startswith('benchlab.plugins.') and m != 'benchlab.plugins.builtin'] "
        "+ [m for m in ('httpx', 'docker', 'yaml', 'jsonschema', 'rich') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
