"""benchmarks/compare works end to end on a few scenarios (its timings are the committed RESULTS.md:
a smoke test asserts none, timings belong to a machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "compare" / "run.py"


def test_run_py_times_both_solo_runs_and_the_comparison(tmp_path: Path) -> None:
    results_md, results_json = tmp_path / "RESULTS.md", tmp_path / "facts.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "-n", "3", "-r", "1", "--results", str(results_md), "--json", str(results_json)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    measured = json.loads(results_json.read_text())["measured"]
    assert measured["n"] == 3 and all(len(measured["walls"][k]) == 1 for k in ("a", "b", "compare"))
    assert measured["ratio"] == measured["compare_s"] / measured["slower_solo_s"] > 0
    text = results_md.read_text()
    assert "| `benchlab compare` of a and b | 3 | 2 |" in text and "compare / slower solo run:" in text
