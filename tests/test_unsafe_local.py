"""--unsafe-local: the one way model-written code runs unconfined, and never by default."""

from __future__ import annotations

import json
import shutil

import pytest

from benchlab.plugin_manager import load_plugins
from benchlab.registry import Registry
from benchlab.sandbox import ExecRequest, Limits
from benchlab.sandbox_selection import choose_sandbox
from conftest import require_or_skip
from helpers import REPO, benchlab, run_record


@pytest.fixture(autouse=True)
def bwrap() -> None:
    """unsafe-local mounts /box with bubblewrap: without it these tests skip, or fail under CI."""
    if shutil.which("bwrap") is None:
        require_or_skip("unsafe-local mounts /box with bubblewrap, and bwrap is not installed")


def test_automatic_selection_never_picks_it():
    plugins = load_plugins()
    only_unsafe = Registry("sandbox")
    only_unsafe.add("unsafe-local", plugins.sandboxes.entry("unsafe-local").target, plugin="test")
    choice = choose_sandbox(only_unsafe)
    assert choice.provider is None
    assert "unsafe-local" not in [c.name for c in choose_sandbox(plugins.sandboxes).candidates]


def test_it_runs_with_a_clock_an_output_cap_and_a_private_box():
    provider = load_plugins().sandboxes.get("unsafe-local")()
    try:
        ok = provider.run_sync(ExecRequest(["sh", "-c", "pwd; cat in.txt; echo made > out.txt"], files={"in.txt": "given"}))
        assert (ok.exit_code, ok.stdout, ok.files["out.txt"]) == (0, "/box\ngiven", b"made\n")
        slow = provider.run_sync(ExecRequest(["sh", "-c", "sleep 30 & sleep 30"], limits=Limits(wall_seconds=1)))
        assert slow.timed_out and slow.duration_s < 5
        loud = provider.run_sync(ExecRequest(["yes"], limits=Limits(output_bytes=4096)))
        assert loud.stdout_truncated and len(loud.stdout) == 4096
    finally:
        provider.close()


def test_a_code_pack_runs_through_the_cli_with_it_and_the_record_says_so(tmp_path):
    cases = [json.loads(l) for l in (REPO / "packs" / "bugfind-15" / "proofs.jsonl").read_text().splitlines() if l.strip()]
    gold = next(c for c in cases if c["kind"] == "gold" and c["scenario"] == "BF-01")
    replay = tmp_path / "r.jsonl"
    replay.write_text(json.dumps({"scenario": "bugfind-15/BF-01", "content": gold["content"]}) + "\n")
    out = tmp_path / "out"
    # Named, since --unsafe-local alone never replaces a sandbox that works here.
    proc = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay), "--sandbox", "unsafe-local", "--unsafe-local",
                    "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(out)
    assert record["results"][0]["passed"] is True
    assert record["probe"]["sandbox"]["provider"] == "unsafe-local"
    assert "UNCONFINED" in record["probe"]["sandbox"]["reason"] and "UNCONFINED" in proc.stderr
