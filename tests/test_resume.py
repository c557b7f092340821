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

from helpers import benchlab, exact_scenario, one_error_line, run_record, write_pack, write_replay
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
        assert command.startswith(f"benchlab run --resume {record['run_id']} --out {shlex.quote(str(out))} --max-total-tokens ")
        assert any(w.endswith(command) for w in record["warnings"])
        # The printed command raises the guard (the old limit would stop it at once) and works as printed.
        argv = shlex.split(command)
        assert argv[-2] == "--max-total-tokens" and int(argv[-1]) > 1
        raised = int(argv[-1])
        done = subprocess.run([sys.executable, "-m", "benchlab", *argv[1:], "--no-progress", "--concurrency", "1"],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path.parent)  # from another folder
        assert done.returncode in (0, 3), done.stderr
        record = run_record(out)
        assert record["config"]["budgets"]["max_total_tokens"] == raised and len(record["results"]) >= 2  # it made progress
        changes = [line for line in journal_lines(out / record["run_id"]) if line.get("type") == "resume"]
        assert changes[0]["changes"] == {"budgets.max_total_tokens": raised}
        # A resume already over its guard plays nothing, and says how to raise it.
        played = sum(server.attempts.values())
        again = benchlab("run", "--resume", record["run_id"], "--out", str(out), "--max-total-tokens", "1", "--no-progress")
        if run_record(out)["complete"] is False:
            assert again.returncode == 3 and "--max-total-tokens" in again.stderr
        assert sum(server.attempts.values()) == played


def test_the_resume_command_names_a_non_default_out_absolutely(tmp_path, monkeypatch):
    from benchlab.resume import resume_command

    monkeypatch.chdir(tmp_path)
    assert resume_command("20261207-000000-abcdef", "results") == "benchlab run --resume 20261207-000000-abcdef"
    assert resume_command("r", "./results") == "benchlab run --resume r"
    assert resume_command("r", "a b/out") == f"benchlab run --resume r --out '{tmp_path}/a b/out'"
    assert resume_command("r", "x", ["--max-total-tokens", "9"]) == f"benchlab run --resume r --out {tmp_path}/x --max-total-tokens 9"


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


def test_the_refusal_names_every_flag_that_may_change() -> None:
    """The error line's list of resumable flags is the README's: every entry of RESUMABLE is in it
    (the four time budgets as "timeouts")."""
    import pytest

    from benchlab.errors import BenchlabError
    from benchlab.resume import RESUMABLE, check_resume_flags

    with pytest.raises(BenchlabError) as refused:
        check_resume_flags({"model": "--model"})
    allowed = str(refused.value).split("flags that may change: ", 1)[1]
    shown = {"timeout_per_case": "timeouts", "measured_tps": "timeouts", "reference_tps": "timeouts",
             "timeout_ceiling_s": "timeouts", "no_progress": "--no-progress", "fmt": "--format", "request_delay": "--request-delay",
             "max_total_tokens": "--max-total-tokens", "retry_on_timeout": "--retries", "api_key": "--api-key",
             "require_all": "--require-all", "fail_on_regression": "--fail-on-regression", "allow_mismatch": "--allow-mismatch"}
    missing = [name for name in RESUMABLE if name != "resume" and shown.get(name, f"--{name}") not in allowed]
    assert missing == []


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
    # The file moved away: one line saying the run recorded it (the user typed no --plugin).
    plugin.rename(tmp_path / "elsewhere.py")
    line = one_error_line(benchlab("run", "--resume", record["run_id"], "--out", str(out), "--no-progress"))
    assert line == (f"benchlab: error: run {record['run_id']} was made with a plugin file it reloads on resume, which now "
                    f"fails: --plugin {plugin.resolve()}: no such file")


def test_a_restarted_server_serving_another_model_at_the_same_url_is_refused_on_resume(tmp_path):
    server = TestServer()
    chat = OpenAIChat(Script({"Say one": Answer("one")}, default=Answer("ok")), model="model-a")
    chat.install(server)
    pack = write_pack(tmp_path / "two-2", [exact_scenario("S1", "Say one", "one"), exact_scenario("S2", "Say two", "two")])
    out = tmp_path / "out"
    with running(server):
        first = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                         "--no-progress", "--measured-tps", "50", "--concurrency", "1", "--max-total-tokens", "1")
        assert first.returncode == 3, first.stderr
        run_id = run_record(out)["run_id"]
        chat.model = "model-b"  # the same URL now serves another model
        asked = len(server.bodies("/v1/chat/completions"))
        line = one_error_line(benchlab("run", "--resume", run_id, "--out", str(out), "--max-total-tokens", "100000"))
        assert len(server.bodies("/v1/chat/completions")) == asked
    assert f"the server at {server.url}" in line and "model 'model-b' (recorded: 'model-a')" in line


def test_infrastructure_failures_alone_print_the_command_that_plays_them_again(tmp_path):
    server = FaultServer(Script({}))
    with running(server):
        pack = write_pack(tmp_path / "down-1", [exact_scenario("S1", "fault: 500", "ok")])
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(tmp_path / "out"),
                        "--no-progress", "--retries", "0", "--measured-tps", "50")
    assert proc.returncode == 3
    record = run_record(tmp_path / "out")
    assert record["complete"] is True and record["resume_hint"].startswith(f"benchlab run --resume {record['run_id']} --out ")
    assert "Not every scenario was scored: benchlab run --resume" in proc.stdout
    assert f"play them with: {record['resume_hint']}" in proc.stderr


def test_a_backend_that_talks_to_no_endpoint_refuses_one(tmp_path):
    replay = write_replay(tmp_path / "r.jsonl", {"two-2/S1": "one"})
    pack = write_pack(tmp_path / "two-2", [exact_scenario("S1", "Say one", "one")])
    line = one_error_line(benchlab("run", "-b", "replay", "--replay", str(replay), "-e", "http://127.0.0.1:1", "--pack", str(pack),
                                   "--out", str(tmp_path / "out")))
    assert "backend replay talks to no --endpoint" in line
    assert "--endpoint is empty" in one_error_line(benchlab("run", "-e", "", "--pack", str(pack), "--out", str(tmp_path / "out")))
    done = benchlab("run", "--replay", str(replay), "--pack", str(pack), "--out", str(tmp_path / "out"), "--no-progress")
    assert done.returncode == 0
    run_id = run_record(tmp_path / "out")["run_id"]
    refused = one_error_line(benchlab("run", "--resume", run_id, "--out", str(tmp_path / "out"), "-e", "http://127.0.0.1:1"))
    assert "talks to no --endpoint" in refused


def test_a_skip_for_a_dataset_that_is_now_installed_is_played_on_resume(tmp_path):
    """A plugin pack whose dataset appears between the runs (its loader looks for a file)."""
    data = tmp_path / "dataset.txt"
    plugin = tmp_path / "appears.py"
    plugin.write_text(APPEARING_DATASET.replace("DATA", repr(str(data))))
    replay = write_replay(tmp_path / "r.jsonl", {"appears-1/A": "a"})
    out = tmp_path / "out"
    first = benchlab("run", "--plugin", str(plugin), "--pack", "appears-1", "--replay", str(replay), "--out", str(out), "--no-progress")
    assert first.returncode == 0, first.stderr
    record = run_record(out)
    assert record["results"][0]["failure_mode"] == "dataset_unavailable"
    data.write_text("a\n")
    done = benchlab("run", "--resume", record["run_id"], "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    record = run_record(out)
    assert [(r["scenario_id"], r["passed"]) for r in record["results"]] == [("A", True)]


APPEARING_DATASET = '''
from pathlib import Path

from benchlab import hookimpl
from benchlab.model import Pack, PackManifest, PackSource, Scenario, VerifierSpec


def load(source, verifiers, drivers, options):
    manifest = PackManifest(id="appears-1", version="1.0.0", title="Appears-1", dimension="test",
                            default_thinking=False, default_max_seconds=10, dataset="appears-data")
    if not Path(DATA).is_file():
        return Pack(manifest, [], None, unavailable="its data file is not there yet")
    words = Path(DATA).read_text().split()
    scenarios = [Scenario(id=w.upper(), messages=[{"role": "user", "content": f"Say {w}"}],
                          verifier=VerifierSpec("exact", {"expected": w})) for w in words]
    return Pack(manifest, scenarios, None)


@hookimpl
def register_packs(register):
    register(PackSource(id="appears-1", loader="benchlab_plugin_file_appears:load"))
'''


def test_a_run_whose_url_held_credentials_resumes_only_with_the_url_given_again(tmp_path):
    """Credentials in --endpoint are never saved, so the recorded URL no longer reaches the server:
    a resume without --endpoint is one line saying so (no request); with it, the run finishes."""
    server = TestServer()
    OpenAIChat(Script({"Say one": Answer("one"), "Say two": Answer("two")}), model="m").install(server)
    pack = write_pack(tmp_path / "two-2", [exact_scenario("S1", "Say one", "one"), exact_scenario("S2", "Say two", "two")])
    out = tmp_path / "out"
    with running(server):
        url = server.url.replace("http://", "http://user:hunter2-secret@") + "/v1"
        first = benchlab("run", "--backend", "openai", "--endpoint", url, "--pack", str(pack), "--out", str(out),
                         "--no-progress", "--measured-tps", "50", "--concurrency", "1", "--max-total-tokens", "1")
        assert first.returncode == 3, first.stderr
        record = run_record(out)
        asked = len(server.bodies("/v1/chat/completions"))
        line = one_error_line(benchlab("run", "--resume", record["run_id"], "--out", str(out), "--max-total-tokens", "100000"))
        assert "credentials benchlab never saves: resume with --endpoint URL" in line
        assert len(server.bodies("/v1/chat/completions")) == asked
        done = benchlab("run", "--resume", record["run_id"], "--out", str(out), "--max-total-tokens", "100000", "--endpoint", url)
        assert done.returncode == 0, done.stderr
    assert [r["passed"] for r in run_record(out)["results"]] == [True, True]
    assert "hunter2" not in "".join(p.read_text() for p in (out / record["run_id"]).iterdir() if p.is_file())
