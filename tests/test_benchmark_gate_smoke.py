"""benchmarks/gate works end to end on a few trials (the rates themselves are the benchmark's
committed RESULTS.md: a handful of trials proves nothing about them), and it measures the
gate that ships, not a copy."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path

from benchlab import baselines, records, regression_gate

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "gate" / "run.py"


def test_run_py_prints_and_writes_every_rate(tmp_path: Path) -> None:
    results_md, results_json = tmp_path / "RESULTS.md", tmp_path / "rows.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--trials", "20", "--results", str(results_md), "--json", str(results_json)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(results_json.read_text())
    assert {(row["case"].split(" (")[0], row["repeats"]) for row in rows} >= {
        ("unchanged", 1), ("unchanged", 3), ("second configuration, unchanged", 1),
        ("second configuration, unchanged", 3),
    }
    assert {row["repeats"] for row in rows} == {1, 3} and all(row["trials"] == 20 for row in rows)
    assert sum(row["target"] is not None for row in rows) == 6  # 2 + 1 + 1 + 2 targets
    text = results_md.read_text()
    for row in rows:  # every rate is printed and written, n = 1 included
        line = f"| {row['case']} | {row['repeats']} | 20 | {row['fired']} | {row['rate']:.1%} "
        assert line in proc.stdout and line in text


def test_the_benchmark_calls_the_gate_that_baseline_check_calls(tmp_path: Path, monkeypatch) -> None:
    """The script gates through benchlab.baselines.gate on records read back from disk; a spy on
    regression_gate.check proves the rule that ran is the shipped one."""
    spec = importlib.util.spec_from_file_location("gate_bench", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert module.baselines is baselines and module.read_record is records.read_record
    calls = []
    real = regression_gate.check
    monkeypatch.setattr(baselines, "check", lambda *a, **k: calls.append(a) or real(*a, **k))
    base = [module.draw([[1.0] * 3], 1, random.Random(i), f"b{i}") for i in range(3)]
    broken = module.draw([[0.0] * 3], 3, random.Random(0), "broken")
    same = module.draw([[1.0] * 3], 3, random.Random(0), "same")
    assert module.gate_fires(base, broken, tmp_path) is True  # 3 stable scenarios 3/3 -> 0/3: p = (1/20)^3
    assert module.gate_fires(base, same, tmp_path) is False
    assert len(calls) == 2
    assert (tmp_path / "sim.json").is_file() and (tmp_path / "broken.json").is_file()  # saved, then read back
