"""Core knows no plugin by name: it imports nothing from benchlab.plugins, benchlab.sandboxes or
benchlab.packs (module level, function bodies, and "module:attr" strings alike), and it still
works when the sandboxes package is not installed at all."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from helpers import REPO, only_run_dir
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat

FORBIDDEN = ("benchlab.plugins", "benchlab.sandboxes", "benchlab.packs")


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def core_violations(path: Path) -> list[str]:
    """Every import of, or "module:attr" string naming, a plugin package in one core module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):  # walks function bodies too: lazy imports count
        if isinstance(node, ast.Import):
            found += [f"{path.name}:{node.lineno}: import {a.name}" for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if _forbidden(node.module) or (node.module == "benchlab" and any(_forbidden(n) for n in names)):
                found.append(f"{path.name}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            target = node.value.split(":", 1)[0].strip()
            if _forbidden(target):
                found.append(f"{path.name}:{node.lineno}: names {node.value!r}")
    return found


def test_no_core_module_imports_a_plugin_package():
    modules = sorted((REPO / "core").rglob("*.py"))
    assert len(modules) > 20
    violations = [v for path in modules for v in core_violations(path)]
    assert violations == []


# Core strings that equal a plugin's name without naming the plugin, each with the reason.
NOT_A_PLUGIN = {
    ("config.py", "replay"): "the schema-1 configuration field of that name (Target.replay)",
    ("jsonl.py", "json"): "the field an error line names for a line that is not JSON",
    ("options.py", "replay"): "the parameter name of the --replay option",
    ("models_file.py", "replay"): "the models file's field of that name (the recorded responses' path)",
    ("options.py", "md"): "the reading commands' own markdown view (MARKDOWN_VIEW)",
    ("options.py", "json"): "the reading commands' own JSON view (JSON_VIEW)",
    ("inspect_run.py", "json"): "a fence's info string for JSON (JSON_FENCE)",
    # `benchlab history --format md|json|csv` names its own output formats, not reporters.
    ("history.py", "md"): "history's default --format",
    ("history_command.py", "md"): "one of history's output formats",
    ("history_command.py", "json"): "one of history's output formats",
}


def plugin_names_in(path: Path, names: set[str]) -> list[str]:
    """String constants in a core module equal to a registered backend, driver, reporter or sandbox
    name (a dict key or subscript is a field name, not a plugin choice)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    keys = {id(node) for parent in ast.walk(tree) for node in (
        [parent.slice] if isinstance(parent, ast.Subscript) else list(parent.keys) if isinstance(parent, ast.Dict) else [])}
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
        and id(node) not in keys and (path.name, node.value) not in NOT_A_PLUGIN
    ]


def test_no_core_module_names_a_backend_driver_reporter_or_sandbox():
    """What core needs of one particular plugin, it asks the registry by role (README/CONTRIBUTING)."""
    from benchlab.plugin_manager import load_plugins

    plugins = load_plugins()
    names = {e.name for registry in (plugins.backends, plugins.drivers, plugins.reporters, plugins.sandboxes) for e in registry}
    assert {"openai", "local", "replay", "chat", "md", "json", "docker"} <= names
    found = [hit for path in sorted((REPO / "core").rglob("*.py")) for hit in plugin_names_in(path, names)]
    assert found == []


def test_the_checker_sees_each_kind_of_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import benchlab.plugins.verifiers.tool_calls.tool_call\n"
        "from benchlab import sandboxes\n"
        "def f():\n    from benchlab.packs import x\n"
        "LOADER = 'benchlab.packs.humaneval.loader:load'\n"
        "fine = 'benchlab.sandbox:Limits'\n"
    )
    named = tmp_path / "named.py"
    named.write_text('def f(b):\n    return b or "local"\nFIELDS = {"local": 1}\nx = FIELDS["local"]\n')
    assert [v.split(": ", 1)[1] for v in plugin_names_in(named, {"local"})] == ["'local'"]
    assert [v.split(": ", 1)[1] for v in core_violations(bad)] == [
        "import benchlab.plugins.verifiers.tool_calls.tool_call", "from benchlab import ...", "from benchlab.packs import ...",
        "names 'benchlab.packs.humaneval.loader:load'",
    ]


@pytest.fixture(scope="module")
def tree_without_sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """benchlab installed (not editable) into a folder, then its sandboxes package deleted."""
    target = tmp_path_factory.mktemp("installed")
    build = tmp_path_factory.mktemp("build")
    shutil.copytree(REPO, build / "src", ignore=shutil.ignore_patterns(".git", "results", "*.egg-info", "build", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(build / "src")], check=True, timeout=600)
    shutil.rmtree(target / "benchlab" / "sandboxes")
    return target


def test_a_code_pack_without_the_sandboxes_package_is_sandbox_unavailable(tree_without_sandboxes, tmp_path):
    server = TestServer()
    OpenAIChat(Script({}, default=Answer("def f(): pass")), model="m").install(server)
    # -S: no site hooks, so the editable install of the checkout cannot shadow the tree under test;
    # the dependencies come from site-packages, placed after it.
    path = [str(tree_without_sandboxes), sysconfig.get_paths()["purelib"]]
    code = "import sys; sys.path[:0] = %r; from benchlab.cli import main; main(sys.argv[1:])" % path
    with running(server):
        proc = subprocess.run(
            [sys.executable, "-S", "-c", code, "run", "--backend", "openai", "--endpoint", server.url, "--model", "m",
             "--scenario", "bugfind-15/BF-01", "--out", str(tmp_path / "out"), "--no-progress", "--measured-tps", "50"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": ""},
        )
        asked = server.bodies("/v1/chat/completions")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    # The tree really lacked the package: its entry point could not be imported, and said so once.
    assert "plugin 'sandboxes' from benchlab failed to import and was skipped: ModuleNotFoundError" in proc.stderr
    assert asked == []
    run = only_run_dir(tmp_path / "out")
    record = json.loads((run / "run.json").read_text())
    [result] = record["results"]
    assert result["failure_mode"] == "sandbox_unavailable" and "no sandbox provider is installed" in result["detail"]
    import benchlab

    assert not Path(benchlab.__file__).is_relative_to(tree_without_sandboxes)  # this process used the checkout


def test_the_issues_own_command_without_the_sandboxes_package(tree_without_sandboxes, tmp_path):
    """`benchlab run --pack bugfind-15 --replay F`, as the issue wrote it, in the tree without
    benchlab/sandboxes: every scenario sandbox_unavailable with the reason, exit 0, no traceback;
    the negative control of that pack checks nothing and says so (exit 3)."""
    replay = tmp_path / "answers.jsonl"
    replay.write_text(json.dumps({"scenario": "bugfind-15/BF-01", "content": "def f(): pass"}) + "\n")
    path = [str(tree_without_sandboxes), sysconfig.get_paths()["purelib"]]
    code = "import sys; sys.path[:0] = %r; from benchlab.cli import main; main(sys.argv[1:])" % path

    def bare(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-S", "-c", code, *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": ""})

    proc = bare("run", "--pack", "bugfind-15", "--replay", str(replay), "--out", str(tmp_path / "out"), "--no-progress")
    assert "Traceback" not in proc.stderr and proc.returncode == 0, proc.stderr
    record = json.loads((only_run_dir(tmp_path / "out") / "run.json").read_text())
    assert {r["failure_mode"] for r in record["results"]} == {"sandbox_unavailable"}
    assert all("no sandbox provider is installed" in r["detail"] for r in record["results"])
    checked = bare("run", "--negative-control", "--pack", "bugfind-15", "--out", str(tmp_path / "nc"), "--no-progress")
    assert "Traceback" not in checked.stderr and checked.returncode == 3, checked.stderr
    assert "not checked: bugfind-15: no sandbox can run here; no sandbox provider is installed" in checked.stderr
