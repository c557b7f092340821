"""benchmarks/bfcl's own parts work: candidates for every category and mode, benchlab's
verdicts on them, and the results table. The official checker needs a venv of its own
(its dependency tree), which the test suite does not build: its script is only compiled
here, and its verdicts are stood in by fixed values to exercise the report."""

from __future__ import annotations

import importlib.util
import py_compile
import sys
from pathlib import Path
from types import ModuleType

from test_bfcl_pack import require_package

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bfcl"


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bfcl_bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_candidates_verdicts_and_report(tmp_path: Path) -> None:
    require_package()
    run = _module("run")
    entries, lines = run.build(2)
    assert {e["category"] for e in entries} == set(run.bfcl_data.CATEGORIES) and len(entries) == 22
    assert {(line["category"], line["mode"]) for line in lines} == {(c, m) for c in run.bfcl_data.CATEGORIES for m in ("fc", "prompt")}
    for line in lines:
        assert set(line["answer"]) <= {"content", "tool_calls"} and line["spelling"] in ("sent", "docs")
    verdicts = run.benchlab_verdicts(entries, lines)
    gold = [v for v, line in zip(verdicts, lines) if line["variant"] == "gold"]
    assert gold and all(gold)
    for line, verdict in zip(lines, verdicts):
        line["official"] = {"valid": verdict, "error_type": ""}
    lines[0]["official"] = {"valid": not verdicts[0], "error_type": "stand-in disagreement"}
    text = run.report(lines, verdicts, 1.0, False)
    assert f"**Agreement: {len(lines) - 1}/{len(lines)}" in text and "stand-in disagreement" in text
    py_compile.compile(str(BENCH / "official_judge.py"), cfile=str(tmp_path / "judge.pyc"), doraise=True)
