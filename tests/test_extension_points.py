"""The public extension points: ``benchlab.api`` holds what a plugin needs, costs nothing to
import, and the examples a plugin author copies (CONTRIBUTING.md's, the example plugin) use it
alone and work end to end through the real CLI."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import benchlab.api as api

from helpers import REPO, benchlab, full_results, one_error_line, write_pack

PRIVATE = ("benchlab.plugins", "benchlab.packs", "benchlab.sandboxes")


def test_every_public_name_resolves() -> None:
    missing = [name for name in api.__all__ if getattr(api, name, None) is None]
    assert not missing
    assert {"Verifier", "Driver", "Reporter", "Session", "ScenarioAborted", "HttpBackend", "probe", "Sandbox"} <= set(api.__all__)


def test_importing_the_api_imports_no_http_library_nor_plugin() -> None:
    code = "import sys, benchlab.api; print(sorted(m for m in sys.modules if m == 'httpx' or m.startswith(('benchlab.plugins', 'benchlab.sandboxes'))))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        found += [f"{path.name}: {n}" for n in names if n.startswith(PRIVATE)]
    return found


def test_the_example_plugin_imports_only_public_modules() -> None:
    sources = sorted((REPO / "examples" / "benchlab-example-plugin" / "src").rglob("*.py"))
    assert sources
    assert [hit for path in sources for hit in _private_imports(path)] == []


def test_contributing_never_tells_a_plugin_author_to_import_a_private_module() -> None:
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert not re.findall(r"(?:from|import) benchlab\.(?:plugins|packs|sandboxes)\b", text)
    assert not re.findall(r"`benchlab\.(?:plugins|sandboxes)\.[a-z_.]+\.[a-z_]+`", text)  # no helper named by a private path


def _section_code(text: str, heading: str) -> str:
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, re.DOTALL))


def test_the_contributing_verifier_and_driver_examples_run(tmp_path: Path) -> None:
    """The verifier and driver of CONTRIBUTING.md, pasted into a --plugin file, judge a replayed run."""
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    plugin = tmp_path / "from_the_guide.py"
    plugin.write_text("from benchlab import hookimpl\n" + _section_code(text, "Writing a verifier") + "\n" + _section_code(text, "Writing a driver"))
    assert not _private_imports(plugin)
    scenario = {"id": "E1", "messages": [{"role": "user", "content": "Say hello, end with 'over'."}],
                "driver": "two_shot", "verifier": {"kind": "ends_with", "suffix": "Over", "case_sensitive": False}}
    folder = write_pack(tmp_path / "guide", [scenario])
    replay = tmp_path / "answers.jsonl"
    replay.write_text("".join(json.dumps({"scenario": "guide/E1", "content": c}) + "\n" for c in ("hello", "hello, over")))
    out = tmp_path / "out"
    proc = benchlab("--plugin", str(plugin), "run", "--pack", str(folder), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    [result] = full_results(out)
    assert result["passed"] is True and len(result["turns"]) == 2, result
    bad = {**scenario, "verifier": {"kind": "ends_with", "suffix": " ", "min_words": -1}}
    write_pack(tmp_path / "guide", [bad])
    line = one_error_line(benchlab("--plugin", str(plugin), "packs", "validate", str(folder)))
    assert line == f"benchlab: error: {folder / 'scenarios.jsonl'}:1: verifier.suffix: must not be blank"  # validators stop at the first
