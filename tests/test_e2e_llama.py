"""End to end: the ``benchlab`` command against a real llama-server with SmolLM2-135M.

Every test runs benchlab as a subprocess, the way a user does, and reads what it
leaves on disk. The server is the session's ``llama_server`` fixture (built on
first use), except for ``--quick`` without an endpoint, where benchlab starts its own.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchlab.model import FailureMode
from benchlab.plugins.backends.llama.local_backend import LOCAL_MAX_TOKENS, LOCAL_SLOTS, SMOKE_TEST_NOTICE
from helpers import joined_record
from conftest import TEST_DATA, child_pids, pid_alive, require_or_skip

SMOKE_PACK = TEST_DATA / "packs" / "smoke-5"
SMOKE_IDS = {"capital", "sum", "ok", "count", "sky"}
RUN_TIMEOUT_S = 600


def benchlab(*args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchlab", *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def only_run_dir(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, f"expected one run folder under {out}, found {runs}"
    return runs[0]


def journal_results(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "journal.jsonl").read_text().splitlines()
    return [json.loads(l) for l in lines if l.strip() and json.loads(l).get("type") == "result"]


def key(result: dict[str, Any]) -> tuple[str, str, int]:
    return (result["pack"], result["scenario_id"], result.get("repeat", 0))


def assert_complete_result(result: dict[str, Any]) -> None:
    """A result carries what is needed to re-check it later: request, raw response, checks, latency."""
    assert result["request"]["messages"], result
    assert result["request"]["model"] == "smollm2-135m-instruct"
    response = result["response"]
    assert response is not None, result
    assert response["raw"], "the raw response body must be kept"
    assert response["status_code"] == 200
    assert result["checks"], "every verdict lists its checks"
    assert result["latency_s"] is not None and result["latency_s"] > 0
    mode = result["failure_mode"]
    assert mode is None or not FailureMode(mode).is_infrastructure, f"an infrastructure failure against a healthy server: {result}"


@pytest.mark.llama
def test_run_on_a_pack_completes_with_a_full_record(llama_server: str, tmp_path: Path) -> None:
    done = benchlab("run", "--endpoint", llama_server, "--pack", str(SMOKE_PACK), "--out", str(tmp_path), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "| Pack | Pass/Total |" in done.stdout and "| Smoke 5 (v1.0) |" in done.stdout
    quality = [l for l in done.stdout.splitlines() if l.startswith("Quality: ")]
    assert len(quality) == 1 and "Smoke 5 " in quality[0] and "/5 (" in quality[0]

    run_dir = only_run_dir(tmp_path)
    record = joined_record(run_dir)
    assert record["complete"] is True
    # detection must recognise llama-server by its /props, not fall back to plain openai
    assert record["backend"] == "llamacpp" and record["endpoint"] == llama_server
    assert record["model"] == "smollm2-135m-instruct"
    assert {r["scenario_id"] for r in record["results"]} == SMOKE_IDS and len(record["results"]) == 5
    for result in record["results"]:
        assert_complete_result(result)
    summary = record["packs"][0]
    assert summary["total"] == 5 and summary["pass_count"] == sum(r["passed"] for r in record["results"])
    assert f"{summary['pass_count']}/5" in quality[0]
    assert Counter(map(key, journal_results(run_dir))) == Counter({("smoke-5", s, 0): 1 for s in SMOKE_IDS})


@pytest.mark.llama
def test_stream_measures_time_to_first_token(llama_server: str, tmp_path: Path) -> None:
    done = benchlab(
        "run", "--endpoint", llama_server, "--pack", str(SMOKE_PACK), "--out", str(tmp_path), "--no-progress", "--stream",
        "--scenario", "smoke-5/count", "--scenario", "smoke-5/capital",
    )
    assert done.returncode == 0, done.stderr
    record = joined_record(only_run_dir(tmp_path))
    assert len(record["results"]) == 2
    for result in record["results"]:
        assert_complete_result(result)
        ttft = result["ttft_s"]
        assert ttft is not None and 0 < ttft <= result["latency_s"], result
        assert result["response"]["ttft_s"] == ttft


@pytest.mark.llama
def test_resume_after_sigkill_plays_every_scenario_exactly_once(llama_server: str, tmp_path: Path) -> None:
    # 15 items one at a time: long enough to kill mid-run, short enough to finish soon after.
    cmd = [sys.executable, "-m", "benchlab", "run", "--endpoint", llama_server, "--pack", str(SMOKE_PACK),
           "--out", str(tmp_path), "--no-progress", "--concurrency", "1", "--repeat", "3"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            runs = [p for p in tmp_path.iterdir() if (p / "journal.jsonl").is_file()]
            if runs and journal_results(runs[0]):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed mid-run"
    run_dir = only_run_dir(tmp_path)
    killed_with = len(journal_results(run_dir))
    assert 1 <= killed_with < 15, killed_with
    assert not (run_dir / "run.json").exists()

    done = benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert f"resuming {run_dir.name}: {killed_with} done" in done.stderr
    record = joined_record(run_dir)
    assert record["complete"] is True
    expected = Counter({("smoke-5", s, r): 1 for s in SMOKE_IDS for r in range(3)})
    assert Counter(map(key, record["results"])) == expected
    assert Counter(map(key, journal_results(run_dir))) == expected
    for result in record["results"]:
        assert_complete_result(result)


def test_unreachable_endpoint_fails_fast_with_one_line(tmp_path: Path) -> None:
    from benchlab.plugins.backends.llama.llama_server import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = benchlab("run", "--endpoint", closed, "--pack", str(SMOKE_PACK), "--out", str(tmp_path), "--no-progress", timeout=30)
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert elapsed < 5, f"took {elapsed:.1f}s to notice a closed port"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("benchlab: error: cannot reach http://127.0.0.1:") and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == [], "a run that never started leaves no run folder"


def quick_packs_installed() -> bool:
    from benchlab.plugin_manager import load_plugins

    packs = load_plugins().packs
    return all(p in packs and (packs.get(p).path / "scenarios.jsonl").is_file() for p in ("toolcall-15", "instructfollow-15"))


@pytest.mark.llama
@pytest.mark.slow
def test_quick_without_endpoint_runs_the_local_backend(llama_paths: tuple[Path, Path], tmp_path: Path) -> None:
    if not quick_packs_installed():
        require_or_skip("the quick packs (toolcall-15, instructfollow-15) are not installed")
    done = benchlab("run", "--quick", "--out", str(tmp_path), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # The report opens with what a newcomer is looking at, before any number.
    assert done.stdout.splitlines()[2] == SMOKE_TEST_NOTICE
    assert "smoke test" in SMOKE_TEST_NOTICE and "--endpoint" in SMOKE_TEST_NOTICE
    assert sum(l.startswith("Quality: ") for l in done.stdout.splitlines()) == 1

    record = joined_record(only_run_dir(tmp_path))
    assert record["backend"] == "local" and record["complete"] is True
    assert record["model"] == "smollm2-135m-instruct"
    assert record["notice"] == SMOKE_TEST_NOTICE
    assert {p["pack"] for p in record["packs"]} == {"toolcall-15", "instructfollow-15"}
    assert record["probe"]["concurrency"] == LOCAL_SLOTS
    # The packs ask for 1,024 tokens; the small model gets the local backend's limit.
    assert {r["request"]["max_tokens"] for r in record["results"] if r["request"]} == {LOCAL_MAX_TOKENS}
    # Timeouts and token-limit cuts are the model rambling; an infrastructure failure would be ours.
    infra = [r for r in record["results"] if r["failure_mode"] and FailureMode(r["failure_mode"]).is_infrastructure]
    assert infra == [], "the local server failed requests"
    assert any(r["response"] is not None for r in record["results"])
    # The server is gone: nothing listens on its port any more. (A bind test would be fooled by
    # the TIME_WAIT of connections the server closed; a refused connection is the proof.)
    import socket

    port = int(record["endpoint"].rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.mark.llama
def test_ctrl_c_during_a_local_run_stops_the_server(llama_paths: tuple[Path, Path], tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "benchlab", "run", "--pack", str(SMOKE_PACK), "--out", str(tmp_path),
           "--no-progress", "--concurrency", "1", "--repeat", "4"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            servers = servers or child_pids(proc.pid)
            runs = [p for p in tmp_path.iterdir() if (p / "journal.jsonl").is_file()]
            if servers and runs and journal_results(runs[0]):
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.02)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted; finish it with: benchlab run --resume" in err
    assert len(servers) == 1
    assert not pid_alive(servers[0]), "llama-server outlived an interrupted run"
    run_dir = only_run_dir(tmp_path)
    record = joined_record(run_dir)
    assert record["complete"] is False and record["backend"] == "local"

    # A local run resumes on a fresh private server.
    done = benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path), "--no-progress")
    assert done.returncode == 0, done.stderr
    record = joined_record(run_dir)
    assert record["complete"] is True and record["backend"] == "local"
    expected = Counter({("smoke-5", s, r): 1 for s in SMOKE_IDS for r in range(4)})
    assert Counter(map(key, record["results"])) == expected
