"""The exit-code contract (core/exit_codes.py, README "Exit codes"), command by command, through the real CLI.

0 done; 1 error; 3 a run with scenarios not scored; 4 the gate (a later command); 130 Ctrl-C.
Runs use the replay backend or the protocol-faithful test servers; "no sandbox" is made real by
an empty PATH (no bubblewrap) and a DOCKER_HOST where no engine listens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchlab import exit_codes
from helpers import benchlab, exact_scenario, one_error_line, run_record, write_pack, write_replay
from test_sandbox_selection import no_sandbox_env

UNAVAILABLE_PLUGIN = '''
from benchlab import hookimpl
from benchlab.model import Pack, PackManifest, PackSource


def load(source, verifiers, drivers, options):
    manifest = PackManifest(id="absent-1", version="1.0.0", title="Absent-1", dimension="test",
                            default_thinking=False, default_max_seconds=10, dataset="absent-data")
    return Pack(manifest, [], None, unavailable="the absent-data package is not installed: pip install absent-data")


@hookimpl
def register_packs(register):
    register(PackSource(id="absent-1", loader="benchlab_plugin_file_absent:load"))
'''


def test_combine_follows_the_documented_precedence():
    assert exit_codes.combine() == 0
    assert exit_codes.combine(3, 1) == 1
    assert exit_codes.combine(3, 4) == 4
    assert exit_codes.combine(4, 1, 130) == 130
    assert exit_codes.combine(0, 3) == 3


def test_help_documents_the_codes():
    proc = benchlab("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for row in ("0 done;", "1 error: bad input or usage", "3 a run with scenarios not scored", "4 the regression gate fired",
                "130 interrupted (Ctrl-C)", "When several apply, the first of 130, 1, 4, 3 wins."):
        assert row in text, row


def small_pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "two-2", [exact_scenario("A", "Say a", "a"), exact_scenario("B", "Say b", "b")])


def test_run_exits_0_when_every_scenario_is_scored_even_if_some_fail(tmp_path):
    replay = write_replay(tmp_path / "r.jsonl", {"two-2/A": "a", "two-2/B": "wrong"})
    proc = benchlab("run", "--pack", str(small_pack(tmp_path)), "--replay", str(replay), "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert run_record(tmp_path / "out")["packs"][0]["pass_count"] == 1


def test_usage_errors_and_bad_input_exit_1(tmp_path):
    one_error_line(benchlab("run", "--pack", "no-such-pack", "--out", str(tmp_path / "out")))
    one_error_line(benchlab("run", "--concurrency", "0"))
    one_error_line(benchlab("no-such-command"))


def test_require_all_turns_a_sandbox_skip_into_exit_3(tmp_path):
    replay = tmp_path / "r.jsonl"
    replay.write_text(json.dumps({"scenario": "bugfind-15/BF-01", "content": "x"}) + "\n")
    args = ["run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay), "--no-progress"]
    env = no_sandbox_env(tmp_path)
    plain = benchlab(*args, "--out", str(tmp_path / "a"), env=env)
    assert plain.returncode == 0, plain.stderr
    assert run_record(tmp_path / "a")["results"][0]["failure_mode"] == "sandbox_unavailable"
    strict = benchlab(*args, "--out", str(tmp_path / "b"), "--require-all", env=env)
    assert strict.returncode == 3, strict.stderr
    assert "1 skipped for want of a sandbox or dataset (--require-all) (exit 3)" in strict.stderr


def test_require_all_turns_a_missing_dataset_into_exit_3(tmp_path):
    plugin = tmp_path / "absent.py"
    plugin.write_text(UNAVAILABLE_PLUGIN)
    replay = write_replay(tmp_path / "r.jsonl", {"absent-1/none": "unused"})
    args = ["run", "--plugin", str(plugin), "--pack", "absent-1", "--replay", str(replay), "--no-progress"]
    plain = benchlab(*args, "--out", str(tmp_path / "a"))
    assert plain.returncode == 0, plain.stderr
    assert run_record(tmp_path / "a")["results"][0]["failure_mode"] == "dataset_unavailable"
    assert "Absent-1 0/0 (n/a) (benchlab" in plain.stdout  # skipped packs keep the "not scored" wording, no ⚠️ marks
    strict = benchlab(*args, "--out", str(tmp_path / "b"), "--require-all")
    assert strict.returncode == 3, strict.stderr


def test_probe_exits_0_or_1():
    from servers.base import Script, TestServer, running
    from servers.openai_compat import OpenAIChat

    server = TestServer()
    OpenAIChat(Script({}), model="m").install(server)
    with running(server):
        assert benchlab("probe", server.url, "--no-speed").returncode == 0
    one_error_line(benchlab("probe", "http://127.0.0.1:9", timeout=30))


def test_listing_commands_exit_0():
    for args in (["plugins"], ["packs", "list"], ["packs", "show", "toolcall-15"], ["--version"], []):
        proc = benchlab(*args)
        assert proc.returncode == 0, (args, proc.stderr)


def test_packs_show_and_validate_exit_1_on_a_bad_pack(tmp_path):
    one_error_line(benchlab("packs", "show", "no-such-pack"))
    assert benchlab("packs", "validate", "packs/toolcall-15", cwd=Path(__file__).resolve().parent.parent).returncode == 0
    unproven = small_pack(tmp_path)  # no proofs.jsonl: every scenario needs its proofs
    proc = benchlab("packs", "validate", str(unproven))
    assert proc.returncode == 1 and "no proofs.jsonl" in proc.stdout


def test_sandbox_commands_follow_the_contract(tmp_path):
    assert benchlab("sandbox", "doctor", "--no-smoke", env=no_sandbox_env(tmp_path)).returncode == 1
    assert benchlab("sandbox", "exec", "--", "python3", "-c", "print(1)", env=no_sandbox_env(tmp_path)).returncode == 1


@pytest.mark.slow
def test_sandbox_exec_is_0_only_when_the_program_succeeds():
    ok = benchlab("sandbox", "exec", "--", "python3", "-c", "print(1)")
    if ok.returncode == 1 and "none can run" in ok.stderr and not os.environ.get("CI"):
        pytest.skip("no sandbox can run here")
    assert ok.returncode == 0 and ok.stdout.strip() == "1", ok.stderr
    failing = benchlab("sandbox", "exec", "--", "python3", "-c", "raise SystemExit(3)")
    assert failing.returncode == 1 and "exit 3" in failing.stderr  # the program's code is reported, not passed on


def test_ctrl_c_exits_130_and_keeps_the_run(tmp_path):
    from servers.base import Answer, Script, running
    from servers.faults import FaultServer

    # "fault: slow" holds each answer for 5 s, so the run is surely mid-flight when interrupted.
    pack = write_pack(tmp_path / "slow-2", [exact_scenario("A", "fault: slow", "ok"), exact_scenario("B", "fault: slow", "ok")])
    with running(FaultServer(Script({}), slow_s=5.0)) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchlab", "run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack),
             "--out", str(tmp_path / "out"), "--no-progress", "--concurrency", "1", "--measured-tps", "50"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not server.attempts:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; finish it with: benchlab run --resume" in err and f"--out {tmp_path / 'out'}" in err
    assert run_record(tmp_path / "out")["complete"] is False


def test_local_serve_stopped_by_sigterm_or_ctrl_c_exits_0_and_setup_errors_exit_1(tmp_path):
    """`local serve` runs until stopped: a stop is its normal end (0). llama-server is the
    stand-in script of tests/data (this test is about the command, not the server)."""
    from test_local_backend import stand_in_binary

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    binary = stand_in_binary(tmp_path)
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen([sys.executable, "-m", "benchlab", "local", "serve", "--server-binary", str(binary),
                                 "--model-file", str(model)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "BENCHLAB_CACHE_DIR": str(tmp_path / "cache")})
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("serving "), first + proc.stderr.read() if proc.stderr else first
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, (sig, err)
    one_error_line(benchlab("local", "setup", "--server-binary", str(tmp_path / "missing")))


def test_sandbox_build_with_no_provider_that_can_run_exits_1(tmp_path):
    proc = benchlab("sandbox", "build", env=no_sandbox_env(tmp_path))
    assert proc.returncode == 1 and "no sandbox provider can run here" in proc.stderr.splitlines()[-1]


def test_negative_control_refuses_flags_about_a_model_and_exits_3_when_it_checked_nothing(tmp_path):
    line = one_error_line(benchlab("run", "--negative-control", "--quick", "--resume", "x", "-e", "http://127.0.0.1:1", "--concurrency", "2"))
    assert "--resume, --endpoint, --concurrency: --negative-control plays no model" in line
    nothing = benchlab("run", "--negative-control", "--pack", "bugfind-15", "--out", str(tmp_path / "out"), env=no_sandbox_env(tmp_path))
    assert nothing.returncode == 3, nothing.stderr  # every selected pack needs a sandbox: nothing was checked
    some = benchlab("run", "--negative-control", "--pack", "bugfind-15", "--pack", "reasonmath-15", "--out", str(tmp_path / "out2"),
                    env=no_sandbox_env(tmp_path))
    assert some.returncode == 0, some.stderr  # what could be checked held; the code pack is reported, not counted
