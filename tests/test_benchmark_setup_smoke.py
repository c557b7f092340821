"""benchmarks/setup works end to end on a small workload (no timing is asserted: timings belong
to a machine). The real llama-server and model, the real CLI; the fresh-machine part is not run
here (it builds llama-server from nothing: tests/test_fresh_machine.py covers that path)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, TEST_DATA

BENCH = REPO / "benchmarks" / "setup"


@pytest.mark.llama
def test_run_py_times_a_warm_run_from_the_servers_log(llama_paths: tuple[Path, Path], tmp_path: Path) -> None:
    results_md, results_json = tmp_path / "RESULTS.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "-r", "1", "--select", f"--pack {TEST_DATA / 'packs' / 'smoke-5'}",
         "--results", str(results_md), "--json", str(results_json)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(results_json.read_text())
    assert data["fresh"] is None and data["sweep"] == []
    (run,) = data["warm"]
    assert run["returncode"] == 0 and run["scenarios"] == 5
    # The probe, then the five scenarios, as llama-server saw them, in the order they happened.
    assert run["requests"] == 6
    assert 0 < run["server_launched_s"] <= run["server_ready_s"] <= run["first_request_s"] < run["first_scenario_request_s"] < run["wall_s"]
    assert run["tokens_per_s"] and run["slots"] and run["load"]["max"] >= run["load"]["min"]
    text = results_md.read_text()
    assert "| warm: start to first scenario request (median) |" in text and "## Warm" in text
