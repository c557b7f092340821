"""The third-party example distribution in examples/, installed for real with pip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, benchlab, run_record

EXAMPLE = REPO / "examples" / "benchlab-example-plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    """pip-installs the example into a private target dir and returns the env that sees it."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(EXAMPLE)],
        check=True,
        capture_output=True,
    )
    return {"PYTHONPATH": str(target)}


def gold_replay(path: Path, pack_dir: Path) -> Path:
    import json

    lines = [json.loads(l) for l in (pack_dir / "proofs.jsonl").read_text().splitlines() if l.strip()]
    path.write_text("".join(json.dumps({"scenario": f"acrostic-3/{l['scenario']}", "content": l["content"]}) + "\n" for l in lines if l["kind"] == "gold"))
    return path


def test_installed_plugin_is_listed(installed):
    proc = benchlab("plugins", env=installed)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = next(n for n, l in enumerate(lines) if "(benchlab-example-plugin 0.2.0)" in l)
    assert lines[start + 1:start + 3] == ["  verifiers: acrostic", "  packs: acrostic-3"] or \
        sorted(lines[start + 1:start + 3]) == ["  packs: acrostic-3", "  verifiers: acrostic"]


def test_its_pack_runs_through_benchlab_run(installed, tmp_path):
    pack_dir = Path(installed["PYTHONPATH"]) / "benchlab_example_plugin" / "packs" / "acrostic-3"
    replay = gold_replay(tmp_path / "gold.jsonl", pack_dir)
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", "acrostic-3", "--replay", str(replay), "--out", str(out), "--no-progress", env=installed)
    assert proc.returncode == 0, proc.stderr
    record = run_record(out)
    assert [r["scenario_id"] for r in record["results"]] == ["AC-1", "AC-2", "AC-3"]
    assert all(r["passed"] for r in record["results"])
    assert "Acrostic-3 3/3 (100%)" in proc.stdout


def test_its_pack_proofs_hold(installed):
    pack_dir = Path(installed["PYTHONPATH"]) / "benchlab_example_plugin" / "packs" / "acrostic-3"
    proc = benchlab("packs", "validate", str(pack_dir), env=installed)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "9 proof cases, 0 problem(s)" in proc.stdout


def test_allow_list_excludes_it(installed):
    proc = benchlab("packs", "show", "acrostic-3", env={**installed, "BENCHLAB_LOAD_PLUGINS": "someone-else"})
    assert proc.returncode == 1 and "unknown pack 'acrostic-3'" in proc.stderr
    proc = benchlab("packs", "show", "acrostic-3", env={**installed, "BENCHLAB_LOAD_PLUGINS": "benchlab-example-plugin"})
    assert proc.returncode == 0 and "Acrostic-3" in proc.stdout
