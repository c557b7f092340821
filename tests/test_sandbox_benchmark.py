"""The sandbox throughput benchmark still runs end to end (no timing is asserted: timings belong to a machine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sandbox_helpers import prepared_provider

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "sandbox" / "run.py"


def test_the_benchmark_measures_both_providers_and_writes_its_table(tmp_path: Path) -> None:
    prepared_provider("docker")
    prepared_provider("bwrap")
    results = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, str(SCRIPT), "-n", "2", "--concurrency", "2", "--results", str(results)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in results.read_text().splitlines() if line.startswith("| docker") or line.startswith("| bwrap")]
    assert len(rows) == 2 * 2 * 2  # providers x workloads x (one at a time, two at once)
    for row in rows:
        execs_per_s = float(row.split("|")[4])
        assert execs_per_s > 0
