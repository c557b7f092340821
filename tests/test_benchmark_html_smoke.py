"""benchmarks/html works end to end on a small run (its timings are the committed RESULTS.md:
a smoke test asserts none, timings belong to a machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chromium import find_chromium
from conftest import require_or_skip

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "html" / "run.py"


def test_run_py_measures_the_writer_the_file_and_the_page(tmp_path: Path) -> None:
    if find_chromium() is None:
        require_or_skip("no chromium on PATH (scripts/test.sh installs Debian's chromium)")
    results_md, results_json = tmp_path / "RESULTS.md", tmp_path / "numbers.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "-n", "150", "-r", "1", "--results", str(results_md), "--json", str(results_json)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    numbers = json.loads(results_json.read_text())
    assert numbers["n"] == 150 and numbers["rows_drawn"] == 100  # lazily: a page of rows, not all 150
    assert 0 < numbers["size_ratio"] < 2 and numbers["write_s"] > 0 and numbers["browser_peak_rss_mb"] > 0
    assert numbers["navigation_to_overview_ms"] > 0 and numbers["filter_ms"] > 0
    text = results_md.read_text()
    assert "| report.html / journal.jsonl (the run's raw data) |" in text and "Load average" in text
