"""benchmarks/history works end to end on a few runs (its timings are the committed RESULTS.md:
a smoke test asserts none, timings belong to a machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "history" / "run.py"


def test_run_py_builds_the_runs_and_reports_every_command(tmp_path: Path) -> None:
    results_md, results_json = tmp_path / "RESULTS.md", tmp_path / "rows.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--runs", "12", "-r", "1", "--results", str(results_md), "--json", str(results_json)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads(results_json.read_text())
    rows = {row["name"]: row for row in facts["rows"]}
    assert set(rows) == {"help", "history", "history-json", "history-csv", "history-filtered", "trend"}
    # The listing shows every run built (a table of 12 rows, its header and its count line).
    assert rows["history"]["lines"] == 12 + 4
    assert rows["history-csv"]["lines"] > 12  # a row per run and pack, and the header
    assert all(row["peak_rss_mb"] > 0 and row["median_s"] > 0 for row in rows.values())
    text = results_md.read_text()
    assert "| `benchlab history --out OUT` | 16 |" in text and "Load average" in text
