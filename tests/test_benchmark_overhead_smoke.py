"""benchmarks/overhead works end to end on a tiny workload.

Real processes throughout: run.py starts the benchmark server, the installed
``benchlab`` and the ideal loop. No timing is asserted (it depends on the machine);
what is checked is that every run was measured and every answer checked correct.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks" / "overhead"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"overhead_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_py_measures_both_harnesses_on_a_small_pack(tmp_path: Path) -> None:
    results_md, results_json = tmp_path / "RESULTS.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "-n", "10", "-r", "1", "--warmup", "0", "--help-repeats", "1",
         "--results", str(results_md), "--json", str(results_json)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(results_json.read_text())
    assert [c["latency_ms"] for c in data["configs"]] == [50.0, 0.0]
    for config in data["configs"]:
        for name in ("benchlab", "ideal"):
            [run] = config["runs"][name]
            assert (run["total"], run["correct"]) == (10, 10), (name, run)
            assert run["server"]["question_requests"] == 10, (name, run["server"])
            assert run["server"]["max_in_flight"] <= 8
            assert run["wall_s"] > 0 and run["maxrss_mb"] > 0
        # benchlab probes /v1/models before its first scenario; the ideal loop sends questions only.
        assert config["runs"]["benchlab"][0]["server"]["model_requests"] >= 1
        assert config["runs"]["ideal"][0]["server"]["chat_requests"] == 10
        assert config["benchlab_first_request_s"] <= config["benchlab_first_question_s"]
    assert len(data["help"]["runs"]) == 1
    assert {t["name"] for t in data["targets"]} >= {"L=0: benchlab peak RSS", "`benchlab --help` wall time"}
    text = results_md.read_text()
    assert "## Targets" in text and "| 10 | 8 | 0 |" in text
    assert "| 10 | 8 | 50 |" in proc.stdout


def test_committed_pack_is_what_make_pack_generates(tmp_path: Path) -> None:
    make_pack = _load("make_pack")
    make_pack.write_pack(tmp_path, 200)
    for name in ("pack.toml", "scenarios.jsonl"):
        assert (tmp_path / name).read_bytes() == (BENCH / "pack" / name).read_bytes(), name


def test_server_answers_every_question_from_its_text() -> None:
    make_pack, server = _load("make_pack"), _load("server")
    for index in range(200):
        prompt, expected = make_pack.question(index)
        assert server.answer_for(prompt) == expected, prompt
    assert server.answer_for("What is the capital of France?") == server.UNKNOWN


def test_scale_py_measures_both_sizes_on_small_packs(tmp_path: Path) -> None:
    """scale.py's two kinds of row (both harnesses; benchlab alone for memory), end to end on tiny sizes."""
    results_md, results_json = tmp_path / "RESULTS-scale.md", tmp_path / "scale.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "scale.py"), "-n", "10", "--rss-only", "20", "--results", str(results_md),
         "--json", str(results_json)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    both, alone = json.loads(results_json.read_text())
    assert both["n"] == 10 and both["ideal_wall_s"] > 0 and both["benchlab_peak_rss_mb"] > 0
    assert alone["n"] == 20 and "ideal_wall_s" not in alone and alone["benchlab_peak_rss_mb"] > 0
    text = results_md.read_text()
    assert "| 20 | " in text and "not run" in text and "## Targets" in text
