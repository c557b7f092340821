"""``benchlab run --negative-control`` itself: a weak verifier is caught (exit 1, the junk
listed), a crashing verifier is a defect and not "junk rejected", run.json holds one
verdict per scenario and junk kind, declared-equivalent pairs are skipped, the scenario
selection follows the rules of a normal run, nothing is sent to any server, and where no
sandbox can run the code packs are listed as not checked while the others are checked.

The fixture packs are real packs in tests/data (nc-weak, nc-crash) played through the
real CLI in a subprocess."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from benchlab.model import Scenario, VerifierSpec
from benchlab.negative_control import PLAUSIBLE_JSON, plausible_json
from helpers import benchlab
from sandbox_helpers import no_sandbox_env

DATA = Path(__file__).resolve().parent / "data"
WEAK = DATA / "nc-weak"
CRASH = DATA / "nc-crash"
BASE_JUNK = {"empty", "echo", "refusal", "plausible_json"}


def _record(out: Path) -> dict[str, Any]:
    [run_json] = out.glob("*/run.json")
    return json.loads(run_json.read_text())


def test_weak_verifier_exits_1_and_lists_the_junk_that_passed(tmp_path: Path) -> None:
    done = benchlab("run", "--negative-control", "--pack", str(WEAK), "--out", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "| NC-Weak | 16 | 2 | 0 | ❌ verifier defect |" in done.stdout
    listed = done.stdout.split("Junk that was not rejected", 1)[1]
    assert "- nc-weak A: echo: passed" in listed and "- nc-weak B: echo: passed" in listed
    assert "nc-weak C" not in listed
    assert "Traceback" not in done.stderr
    record = _record(tmp_path)
    assert record["warnings"] == ["junk passed: nc-weak A (echo)", "junk passed: nc-weak B (echo)"]


def test_run_json_holds_one_verdict_per_scenario_and_junk_kind(tmp_path: Path) -> None:
    """``passed`` appears only on verdicts; a pack line counts junk, it is no model score."""
    benchlab("run", "--negative-control", "--pack", str(WEAK), "--out", str(tmp_path))
    record = _record(tmp_path)
    assert record["schema_version"] and record["backend"] == "none" and record["endpoint"] is None
    kinds: dict[str, list[str]] = {}
    for result in record["results"]:
        kinds.setdefault(result["scenario_id"], []).append(result["junk_kind"])
        assert isinstance(result["passed"], bool)
        assert all(set(check) >= {"name", "ok"} and "passed" not in check for check in result["checks"])
        if not result["passed"]:
            assert result["failure_mode"] in ("wrong_answer", "invalid_json", "missing_field", "schema_violation")
            assert any(not check["ok"] for check in result["checks"])
    # A and B are declared equivalent: neither gets the other's gold answer.
    assert sorted(kinds["A"]) == sorted(BASE_JUNK | {"other_gold:C"})
    assert sorted(kinds["B"]) == sorted(BASE_JUNK | {"other_gold:C"})
    assert sorted(kinds["C"]) == sorted(BASE_JUNK | {"other_gold:A", "other_gold:B"})
    [pack] = record["packs"]
    assert "passed" not in pack
    assert (pack["total"], pack["pass_count"], pack["infrastructure_failures"], pack["scenarios"]) == (16, 2, 0, 3)
    assert pack["score"] is None and pack["floor"] is None and pack["status"] == "❌ verifier defect"


def test_a_clean_control_reads_clean_in_run_json(tmp_path: Path) -> None:
    done = benchlab("run", "--negative-control", "--scenario", "nc-weak/C", "--pack", str(WEAK), "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    [pack] = _record(tmp_path)["packs"]
    assert (pack["total"], pack["pass_count"], pack["score"], pack["status"]) == (6, 0, None, "✅ no junk passed")


def test_a_crashing_verifier_is_a_defect_not_junk_rejected(tmp_path: Path) -> None:
    done = benchlab("run", "--negative-control", "--plugin", str(CRASH / "crash_plugin.py"), "--pack", str(CRASH),
                    "--out", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "| NC-Crash | 4 | 0 | 4 | ❌ verifier defect |" in done.stdout
    assert "- nc-crash X: empty: not judged (verifier_fail: verifier 'always_crashes' crashed" in done.stdout
    assert len(_record(tmp_path)["warnings"]) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nc-weak/NOPE", "--pack", str(WEAK)], "--scenario 'nc-weak/NOPE': pack 'nc-weak' has no scenario 'NOPE'"),
        (["--quick", "--scenario", "reasonmath-15/RM-02"], "--scenario 'reasonmath-15/RM-02': pack 'reasonmath-15' is not selected"),
        (["--scenario", "toolcall-15"], "--scenario 'toolcall-15': expected PACK/ID"),
    ],
)
def test_scenario_selection_errors_match_a_normal_run(tmp_path: Path, args: list[str], message: str) -> None:
    control = benchlab("run", "--negative-control", *args, "--out", str(tmp_path / "nc"))
    normal = benchlab("run", "--replay", str(tmp_path / "none.jsonl"), *args, "--out", str(tmp_path / "run"))
    assert control.returncode == 1 and normal.returncode == 1, control.stdout + control.stderr
    [line] = control.stderr.strip().splitlines()
    assert line.startswith(f"benchlab: error: {message}") and control.stderr == normal.stderr
    assert control.stdout == "" and not (tmp_path / "nc").exists()


def test_scenarios_file_selects_only_its_scenarios(tmp_path: Path) -> None:
    lines = tmp_path / "pick.txt"
    lines.write_text("# only C\n\nnc-weak/C\n")
    done = benchlab("run", "--negative-control", "--pack", str(WEAK), "--scenarios-file", str(lines), "--out", str(tmp_path / "nc"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert {r["scenario_id"] for r in _record(tmp_path / "nc")["results"]} == {"C"}


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A real TCP socket that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    seen.append(conn.recv(4096) or b"<connected>")
                except OSError:
                    seen.append(b"<connected>")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()


def test_no_request_no_server(tmp_path: Path, listener: tuple[int, list[bytes]]) -> None:
    """--endpoint points at a socket that must see no connection; an empty cache and a dead
    proxy mean that starting the embedded llama-server or going online would fail."""
    port, seen = listener
    dead = "http://127.0.0.1:9"
    env = {"BENCHLAB_CACHE_DIR": str(tmp_path / "empty-cache"), "HTTP_PROXY": dead, "HTTPS_PROXY": dead,
           "http_proxy": dead, "https_proxy": dead, "NO_PROXY": "", "no_proxy": ""}
    refused = benchlab("run", "--negative-control", "--endpoint", f"http://127.0.0.1:{port}", "--pack", str(WEAK),
                       "--scenario", "nc-weak/C", "--out", str(tmp_path / "nc"), env=env)
    assert refused.returncode == 1 and "--negative-control plays no model" in refused.stderr  # a flag it would ignore
    done = benchlab("run", "--negative-control", "--pack", str(WEAK), "--scenario", "nc-weak/C", "--out", str(tmp_path / "nc"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(_record(tmp_path / "nc")["results"]) == 6
    assert seen == []
    assert not (tmp_path / "empty-cache").exists() or not any((tmp_path / "empty-cache").rglob("llama-server*"))


def _scenario(verifier: dict[str, Any], response_format: dict[str, Any] | None = None) -> Scenario:
    kind = verifier.pop("kind")
    return Scenario(id="S", messages=[{"role": "user", "content": "x"}], verifier=VerifierSpec(kind, verifier),
                    response_format=response_format)


def test_plausible_json_has_the_expected_keys_and_wrong_values() -> None:
    expected = {"total": 299.52, "currency": "GBP", "paid": True, "lines": [{"qty": 4}], "note": None}
    junk = json.loads(plausible_json(_scenario({"kind": "extraction", "expected": expected})))
    assert set(junk) == set(expected)
    assert junk == {"total": 300.52, "currency": "unknown", "paid": False, "lines": [{"qty": 5}], "note": "unknown"}
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "tags": {"type": "array"}}}
    junk = json.loads(plausible_json(_scenario({"kind": "json", "paths": {"/n": 3, "a.b": 1, "tags": {"items": []}}},
                                               {"type": "json_schema", "json_schema": {"schema": schema}})))
    assert junk == {"n": 4, "tags": []}
    assert json.loads(plausible_json(_scenario({"kind": "json", "exact": [1, "x"]}))) == [2, "unknown"]
    assert plausible_json(_scenario({"kind": "regex", "pattern": "x"})) == PLAUSIBLE_JSON


# -- no sandbox can run -----------------------------------------------------------------------

NO_SANDBOX_SELECTION = ("--pack", str(WEAK), "--pack", "bugfind-15", "--scenario", "bugfind-15/BF-01")


def test_without_a_sandbox_the_code_packs_are_listed_not_checked_and_the_others_are_checked(tmp_path: Path) -> None:
    """No provider can run (sandbox_helpers.no_sandbox_env: no engine at DOCKER_HOST, no bubblewrap
    on PATH): nc-weak/C's verifier is checked, bugfind-15 is reported as not checked with the
    reasons; exit 0, and 3 with --require-all."""
    args = ("run", "--negative-control", *NO_SANDBOX_SELECTION, "--scenario", "nc-weak/C")
    done = benchlab(*args, "--out", str(tmp_path / "nc"), env=no_sandbox_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| NC-Weak | 6 | 0 | 0 | ✅ no junk passed |" in done.stdout
    [row] = [line for line in done.stdout.splitlines() if line.startswith("| BugFind-15 |")]
    assert row.startswith("| BugFind-15 | 0 | 0 | 0 | ⚠️ not checked (no sandbox: docker: no Docker engine answers")
    assert row.endswith("; bwrap: bubblewrap is not installed) |")
    assert "Not checked, for want of a sandbox: BugFind-15" in done.stdout
    assert "- Sandbox not used: bwrap: bubblewrap is not installed (fix: apt-get install -y bubblewrap)" in done.stdout
    assert "benchlab: warning: not checked: bugfind-15: no sandbox can run here; docker: " in done.stderr
    record = _record(tmp_path / "nc")
    assert {r["pack"] for r in record["results"]} == {"nc-weak"}
    weak, bugfind = record["packs"]
    assert weak["status"] == "✅ no junk passed" and bugfind["status"] == row.split(" | ")[-1].rstrip(" |")
    assert (bugfind["total"], bugfind["pass_count"], bugfind["not_scored"], bugfind["scenarios"]) == (0, 0, 1, 1)
    assert record["probe"]["sandbox"]["provider"] is None
    assert "(fix: apt-get install -y bubblewrap)" in record["warnings"][-1]

    strict = benchlab(*args, "--require-all", "--out", str(tmp_path / "strict"), env=no_sandbox_env(tmp_path))
    assert strict.returncode == 3, strict.stdout + strict.stderr
    assert "Traceback" not in strict.stderr and "benchlab: error" not in strict.stderr


def test_without_a_sandbox_a_defect_in_a_checked_pack_is_still_exit_1(tmp_path: Path) -> None:
    done = benchlab("run", "--negative-control", *NO_SANDBOX_SELECTION, "--scenario", "nc-weak/A", "--require-all",
                    "--out", str(tmp_path / "nc"), env=no_sandbox_env(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "- nc-weak A: echo: passed" in done.stdout and "⚠️ not checked (no sandbox: " in done.stdout
