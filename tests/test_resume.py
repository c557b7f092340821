"""--resume finishes the job: what it plays again, which flags may change, the command it prints.

Against the protocol-faithful fault server (tests/servers/faults.py): "fault: 500 once" answers
HTTP 500 to its first request and the right answer afterwards, so with --retries 0 the first run
ends that scenario in an infrastructure failure and a resume can score it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from helpers import benchlab, exact_scenario, one_error_line, run_record, write_pack
from servers.base import Answer, Script, running
from servers.faults import FaultServer
from servers.openai_compat import OpenAIChat
from servers.base import TestServer

SCRIPT = Script({"Say one": Answer("one"), "Say two": Answer("two")})


def flaky_pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "flaky-3", [
        exact_scenario("S1", "Say one", "one"),
        exact_scenario("S2", "fault: 500 once", "ok"),
        exact_scenario("S3", "Say two", "two"),
    ], title="Flaky-3")


def first_run(server: FaultServer, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path / "out"
    proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(flaky_pack(tmp_path)),
                    "--out", str(out), "--no-progress", "--retries", "0", "--measured-tps", "50", *extra)
    runs = [p for p in out.iterdir() if (p / "journal.jsonl").is_file()]
    assert len(runs) == 1, proc.stderr
    return proc, runs[0]


def journal_lines(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]


def test_an_infrastructure_failure_exits_3_shows_in_the_quality_line_and_resume_plays_it_again(tmp_path):
    server = FaultServer(SCRIPT)
    with running(server):
        proc, run_dir = first_run(server, tmp_path)
        assert proc.returncode == 3, proc.stderr
        assert "Quality: Flaky-3 2/2 (100%) ⚠️ 1 infra (benchlab" in proc.stdout
        assert "not every scenario was scored: 1 infrastructure failure(s) (exit 3)" in proc.stderr
        assert (run_dir / "quality.txt").read_text().startswith("Quality: Flaky-3 2/2 (100%) ⚠️ 1 infra (")

        done = benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path / "out"), "--no-progress")
        attempts = dict(server.attempts)
    assert done.returncode == 0, done.stderr
    assert f"resuming {run_dir.name}: 2 done, 1 to play" in done.stderr
    # Only the failed scenario went to the server again.
    assert attempts == {"Say one": 1, "fault: 500 once": 2, "Say two": 1}
    record = json.loads((run_dir / "run.json").read_text())
    assert record["complete"] is True and [r["passed"] for r in record["results"]] == [True, True, True]
    assert "Quality: Flaky-3 3/3 (100%) (benchlab" in done.stdout and "⚠️" not in done.stdout.split("Quality:")[1]
    # The earlier attempt stays in the journal; the record uses the latest.
    s2 = [line for line in journal_lines(run_dir) if line.get("scenario_id") == "S2"]
    assert [line["failure_mode"] for line in s2] == ["server_error", None]


def test_the_spend_guard_leaves_unplayed_scenarios_exit_3_and_a_printed_command_that_works(tmp_path):
    server = FaultServer(SCRIPT)
    with running(server):
        out = tmp_path / "my results"
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(flaky_pack(tmp_path)),
                        "--out", str(out), "--no-progress", "--concurrency", "1", "--measured-tps", "50",
                        "--max-total-tokens", "1")
        assert proc.returncode == 3, proc.stderr
        record = run_record(out)
        assert record["complete"] is False and record["stop_reason"].startswith("spend guard")
        assert "Quality: Flaky-3 1/1 (100%) ⚠️ 2 unplayed (benchlab" in proc.stdout
        # The printed command names the non-default --out, quoted, and works exactly as printed.
        command = next(line for line in proc.stdout.splitlines() if line.startswith("Incomplete run: ")).split(": ", 1)[1]
        assert command == f"benchlab run --resume {record['run_id']} --out {shlex.quote(str(out))}"
        assert any(w.endswith(command) for w in record["warnings"])
        # A raised spend guard may change on resume; it is applied and recorded.
        argv = shlex.split(command)
        done = subprocess.run([sys.executable, "-m", "benchlab", *argv[1:], "--max-total-tokens", "100000", "--no-progress"],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    record = run_record(out)
    assert record["complete"] is True and len(record["results"]) == 3
    assert record["config"]["budgets"]["max_total_tokens"] == 100000
    changes = [line for line in journal_lines(out / record["run_id"]) if line.get("type") == "resume"]
    assert [c["changes"] for c in changes] == [{"budgets.max_total_tokens": 100000}]


def test_interrupted_message_names_a_non_default_out(tmp_path):
    from benchlab.resume import resume_command

    assert resume_command("20261207-000000-abcdef", "results") == "benchlab run --resume 20261207-000000-abcdef"
    assert resume_command("r", "./results") == "benchlab run --resume r"
    assert resume_command("r", "a b/out") == "benchlab run --resume r --out 'a b/out'"


def test_resume_applies_and_records_concurrency_and_timeouts(tmp_path):
    server = FaultServer(SCRIPT)
    with running(server):
        proc, run_dir = first_run(server, tmp_path, "--concurrency", "1")
        assert proc.returncode == 3
        done = benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path / "out"), "--no-progress",
                        "--concurrency", "3", "--timeout-per-case", "7", "--retries", "1")
    assert done.returncode == 0, done.stderr
    record = json.loads((run_dir / "run.json").read_text())
    assert (record["config"]["target"]["concurrency"], record["config"]["budgets"]["timeout_per_case_s"], record["config"]["budgets"]["retries"]) == (3, 7.0, 1)
    assert record["probe"]["concurrency"] == 3
    replayed = next(r for r in record["results"] if r["scenario_id"] == "S2")
    assert replayed["timeout_s"] == 7.0


def test_a_flag_that_cannot_change_on_resume_is_one_error_line_and_changes_nothing(tmp_path):
    server = FaultServer(SCRIPT)
    with running(server):
        proc, run_dir = first_run(server, tmp_path)
        before = (run_dir / "journal.jsonl").read_bytes()
        for flag in (["--pack", "toolcall-15"], ["--model", "other"], ["--repeat", "2"], ["--replay", str(tmp_path / "r.jsonl")],
                     ["--temperature", "0.5"], ["--stream"]):
            line = one_error_line(benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path / "out"), *flag))
            assert f"{flag[0]} cannot change on --resume" in line, line
        both = one_error_line(benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path / "out"), "--quick", "--seed", "1"))
        assert "--quick, --seed cannot change on --resume" in both
    assert (run_dir / "journal.jsonl").read_bytes() == before
    assert sum(server.attempts.values()) == 3  # nothing was sent by the refused resumes


def other_server(model: str) -> TestServer:
    server = TestServer()
    OpenAIChat(Script({"fault: 500 once": Answer("ok")}), model=model).install(server)
    return server


def test_resume_on_another_endpoint_needs_the_same_model_and_version(tmp_path):
    server = FaultServer(SCRIPT)
    with running(server):
        proc, run_dir = first_run(server, tmp_path)
    assert proc.returncode == 3
    before = (run_dir / "journal.jsonl").read_bytes()
    with running(other_server("another-model")) as wrong:
        line = one_error_line(benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path / "out"), "-e", wrong.url))
        assert wrong.bodies("/v1/chat/completions") == []
    assert f"--endpoint {wrong.url}" in line and "model 'another-model' (recorded: 'fault-model')" in line
    assert (run_dir / "journal.jsonl").read_bytes() == before
    with running(other_server("fault-model")) as same:
        done = benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path / "out"), "-e", same.url, "--no-progress")
    assert done.returncode == 0, done.stderr
    record = json.loads((run_dir / "run.json").read_text())
    assert record["config"]["target"]["endpoint"] == same.url and record["endpoint"].startswith(same.url)
    servers = [line for line in journal_lines(run_dir) if line.get("type") == "server"]
    assert [s["endpoint"].startswith(u) for s, u in zip(servers, (server.url, same.url))] == [True, True]


def test_a_scenario_skipped_for_want_of_a_sandbox_is_played_on_resume_once_one_runs(tmp_path):
    from test_sandbox_selection import no_sandbox_env, replay_bf01, some_sandbox_works

    some_sandbox_works()
    out = tmp_path / "out"
    first = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay_bf01(tmp_path)), "--out", str(out),
                     "--no-progress", env=no_sandbox_env(tmp_path))
    assert first.returncode == 0, first.stderr  # a skip alone does not change the code (no --require-all)
    record = run_record(out)
    assert record["results"][0]["failure_mode"] == "sandbox_unavailable"
    done = benchlab("run", "--resume", record["run_id"], "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert f"resuming {record['run_id']}: 0 done, 1 to play" in done.stderr
    record = run_record(out)
    assert record["results"][0]["passed"] is True and record["probe"]["sandbox"]["provider"]


PLUGIN_VERIFIER = '''
from benchlab import hookimpl
from benchlab.model import Verdict
from benchlab.verifiers import Verifier


class Shouted(Verifier):
    def verify(self, params, response, ctx):
        ok = response.content.isupper()
        return Verdict(ok, float(ok), None if ok else "wrong_answer", "" if ok else "not shouted")


@hookimpl
def register_verifiers(register):
    register("shouted", Shouted)
'''


def test_a_plugin_given_before_the_command_is_recorded_and_reloaded_on_resume(tmp_path):
    plugin = tmp_path / "shout.py"
    plugin.write_text(PLUGIN_VERIFIER)
    scenarios = [{"id": s, "messages": [{"role": "user", "content": s}], "verifier": {"kind": "shouted"}} for s in ("A", "B")]
    pack = write_pack(tmp_path / "shout-2", scenarios)
    replay = tmp_path / "r.jsonl"
    replay.write_text(json.dumps({"scenario": "shout-2/A", "content": "HELLO"}) + "\n")  # B has none: an infrastructure failure
    out = tmp_path / "out"
    first = benchlab("--plugin", str(plugin), "run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert first.returncode == 3, first.stderr
    record = run_record(out)
    assert record["config"]["plugins"] == [str(plugin.resolve())]
    assert [r["passed"] for r in record["results"]] == [True, False]
    # No --plugin on resume: the recorded one is loaded (else the pack's verifier would be unknown).
    again = benchlab("run", "--resume", record["run_id"], "--out", str(out), "--no-progress")
    assert again.returncode == 3 and "unknown verifier" not in again.stderr, again.stderr
    assert "resuming" in again.stderr and "1 done, 1 to play" in again.stderr
