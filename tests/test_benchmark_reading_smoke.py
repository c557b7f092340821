"""benchmarks/reading works end to end on a small pair of runs (its timings are the committed
RESULTS.md: a smoke test asserts none, timings belong to a machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "reading" / "run.py"


def test_run_py_makes_two_real_runs_and_times_every_command(tmp_path: Path) -> None:
    results_md, results_json, work = tmp_path / "RESULTS.md", tmp_path / "rows.json", tmp_path / "work"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--scenarios", "30", "-r", "1", "--results", str(results_md), "--json", str(results_json),
         "--keep", str(work)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads(results_json.read_text())
    assert set(facts["rows"]) == {"inspect --failed", "diff", "rescore"}
    assert all(row["peak_rss_mb"] > 0 and row["median_s"] > 0 for row in facts["rows"].values())
    assert {t["target"] for t in facts["targets"]} >= {"`diff` wall time", "`rescore` results/s (wall)", "`rescore` peak RSS"}
    # The runs are benchlab's own: 30 results each, answers of realistic size, run B differing from run A.
    runs = [p for p in (work / "out").iterdir() if (p / "run.json").is_file()]
    assert len(runs) == 2
    # A before B by the answers each played (folder names of two runs started in one second sort by a random suffix).
    records = sorted((json.loads((run / "run.json").read_text()) for run in runs), key=lambda r: r["config"]["target"]["replay"])
    runs = [work / "out" / r["run_id"] for r in records]
    assert [Path(r["config"]["target"]["replay"]).name for r in records] == ["answers-a.jsonl", "answers-b.jsonl"]
    assert [len(r["results"]) for r in records] == [30, 30]
    verdicts = [[x["passed"] for x in r["results"]] for r in records]
    assert verdicts[0] != verdicts[1] and 0 < sum(verdicts[0]) < 30
    first = json.loads((runs[0] / "journal.jsonl").read_text().splitlines()[-1])
    assert len(first["response"]["content"]) > 1500 and len(first["response"]["reasoning"]) > 3500
    # rescore --output wrote a new run whose verdicts are the original ones (same verifiers, same answers).
    [rescored] = [p for p in (work / "rescored").iterdir() if (p / "run.json").is_file()]
    again = json.loads((rescored / "run.json").read_text())
    assert [x["passed"] for x in again["results"]] == verdicts[0]
    text = results_md.read_text()
    assert "## Targets" in text and "| `benchlab diff` |" in text and "load average" in text
