"""``benchlab ladder`` end to end through the real CLI: models from a real models file, answers
from the replay backend and from a real HTTP server speaking the OpenAI chat API that records
every request (so the learning context is read off the wire), a real closed port for an
unreachable model. Nothing is mocked."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from helpers import benchlab, one_error_line, write_pack
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat

from benchlab.ladder import LEARNING_HEADER, learning_context, model_for_attempt, with_learning
from benchlab.model import Check, FailureMode, Scenario, VerifierSpec

RULES = [
    {"name": "names_tokio", "contains": "tokio"},
    {"name": "names_retry", "contains": "retry"},
    {"name": "short", "max_words": 40},
]
GOOD = "Use tokio and retry with backoff."
BAD = "Use threads and hope."  # misses tokio and retry: two named checks fail


def pack(tmp_path: Path) -> Path:
    scenario = {"id": "LD-01", "messages": [{"role": "user", "content": "How do I fetch URLs concurrently in Rust?"}],
                "verifier": {"kind": "rubric", "rules": RULES}}
    return write_pack(tmp_path / "ladder-pack", [scenario])


def replay(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / f"{name}.jsonl"
    path.write_text(json.dumps({"scenario": "ladder-pack/LD-01", "content": content}) + "\n")
    return path


def models_file(tmp_path: Path, tables: list[dict[str, str]]) -> Path:
    text = ""
    for table in tables:
        text += "[[model]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items()) + "\n"
    path = tmp_path / "models.toml"
    path.write_text(text)
    return path


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def only_ladder(out: Path) -> Path:
    runs = [p for p in out.iterdir() if (p / "ladder.json").is_file()]
    assert len(runs) == 1, runs
    return runs[0]


def attempt(run_dir: Path, number: int) -> dict:
    return json.loads((run_dir / "ladder" / "ladder-pack" / "LD-01" / f"attempt_{number}.json").read_text())


def test_climbs_past_a_failing_and_an_empty_model_with_learning_context_on_the_wire(tmp_path):
    server = TestServer()
    OpenAIChat(Script({}, default=Answer(content="")), model="empty-model").install(server)
    out = tmp_path / "out"
    with running(server):
        models = models_file(tmp_path, [
            {"name": "small", "backend": "replay", "replay": str(replay(tmp_path, "small", BAD))},
            {"name": "empty", "backend": "openai", "endpoint": server.url, "model": "empty-model"},
            {"name": "big", "backend": "replay", "replay": str(replay(tmp_path, "big", GOOD))},
        ])
        done = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress")
        bodies = server.bodies(r"/v1/chat/completions")
    assert done.returncode == 0, done.stderr
    # The second attempt's request carries attempt 1's failed checks: model, check, detail.
    prompt = bodies[-1]["messages"][-1]["content"]
    assert prompt.startswith("How do I fetch URLs concurrently in Rust?")
    assert LEARNING_HEADER in prompt
    assert "attempt 1 (small): names_tokio: missing 'tokio'" in prompt
    assert "attempt 1 (small): names_retry: missing 'retry'" in prompt
    assert "short" not in prompt  # a passed check is not feedback

    run_dir = only_ladder(out)
    summary = json.loads((run_dir / "ladder.json").read_text())
    assert summary["schema_version"] >= 1
    row = summary["scenarios"][0]
    assert (row["pack"], row["scenario_id"]) == ("ladder-pack", "LD-01")
    assert row["models_tried"] == ["small", "empty", "big"]
    assert row["accepted_by"] == "big" and row["attempts"] == 3 and row["total_s"] >= 0
    first, second, third = attempt(run_dir, 1), attempt(run_dir, 2), attempt(run_dir, 3)
    assert {c["name"]: c["ok"] for c in first["checks"]} == {"names_tokio": False, "names_retry": False, "short": True}
    assert first["model"] == "small" and not first["passed"] and not first["learning_context"]
    assert second["model"] == "empty" and second["error"] == "empty answer" and second["answered"]
    assert second["learning_context"] and second["latency_s"] is not None
    assert third["passed"] and third["model"] == "big"
    assert (run_dir / "ladder" / "ladder-pack" / "LD-01" / "attempt_1.txt").read_text() == BAD
    assert (run_dir / "ladder" / "ladder-pack" / "LD-01" / "attempt_2.txt").read_text() == ""
    # The table: scenario, accepted by, attempts, checks passed per attempt, time, cost.
    assert "| Scenario | Accepted by | Attempts | Checks passed per attempt | Time | Cost |" in done.stdout
    assert "| ladder-pack/LD-01 | big | 3 | 1/3 · 1/3 · 3/3 |" in done.stdout

    shown = benchlab("inspect", run_dir.name, "--out", str(out))
    assert shown.returncode == 0, shown.stderr
    assert "ladder-pack/LD-01" in shown.stdout and "names_tokio" in shown.stdout and "big" in shown.stdout
    answers = benchlab("inspect", run_dir.name, "--out", str(out), "--scenario", "ladder-pack/LD-01")
    assert answers.returncode == 0 and f"```\n{BAD}\n```" in answers.stdout, answers.stderr
    as_json = json.loads(benchlab("inspect", str(run_dir), "--format", "json").stdout)
    assert [a["model"] for a in as_json["scenarios"][0]["attempt_records"]] == ["small", "empty", "big"]


def test_no_learning_leaves_the_context_out(tmp_path):
    server = TestServer()
    OpenAIChat(Script({}, default=Answer(content=GOOD)), model="m").install(server)
    out = tmp_path / "out"
    with running(server):
        models = models_file(tmp_path, [
            {"name": "small", "backend": "replay", "replay": str(replay(tmp_path, "small", BAD))},
            {"name": "served", "backend": "openai", "endpoint": server.url, "model": "m"},
        ])
        done = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out),
                        "--no-progress", "--no-learning", "--format", "json")
        bodies = server.bodies(r"/v1/chat/completions")
    assert done.returncode == 0, done.stderr
    assert bodies[-1]["messages"][-1]["content"] == "How do I fetch URLs concurrently in Rust?"
    printed = json.loads(done.stdout)
    assert printed["config"]["learning"] is False
    assert printed["scenarios"][0]["accepted_by"] == "served"
    assert attempt(only_ladder(out), 2)["learning_context"] is False


def test_an_unreachable_model_uses_up_its_attempt_and_exits_3(tmp_path):
    out = tmp_path / "out"
    models = models_file(tmp_path, [
        {"name": "offline", "backend": "openai", "endpoint": closed_port_url(), "model": "m"},
        {"name": "big", "backend": "replay", "replay": str(replay(tmp_path, "big", GOOD))},
    ])
    done = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "could not be made" in done.stderr
    run_dir = only_ladder(out)
    first = attempt(run_dir, 1)
    assert first["model"] == "offline" and not first["answered"] and first["failure_mode"] == "endpoint_unreachable"
    assert first["error"].startswith("endpoint_unreachable")
    assert attempt(run_dir, 2)["passed"]
    # An attempt without an answer taught nothing: the second prompt carries no context.
    assert attempt(run_dir, 2)["learning_context"] is False


def test_the_cap_stops_the_ladder_and_the_last_model_repeats(tmp_path):
    out = tmp_path / "out"
    models = models_file(tmp_path, [
        {"name": "small", "backend": "replay", "replay": str(replay(tmp_path, "small", BAD))},
        {"name": "also-bad", "backend": "replay", "replay": str(replay(tmp_path, "also", "Threads again."))},
    ])
    done = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress",
                    "--max-attempts", "4", "--per-model", "1")
    assert done.returncode == 0, done.stderr  # every scenario reached its cap: a finished ladder
    row = json.loads((only_ladder(out) / "ladder.json").read_text())["scenarios"][0]
    assert row["models_tried"] == ["small", "also-bad", "also-bad", "also-bad"]
    assert row["accepted_by"] is None and row["attempts"] == 4
    assert "| ladder-pack/LD-01 | none | 4 |" in done.stdout


def test_resume_continues_a_ladder_where_it_stopped(tmp_path):
    out = tmp_path / "out"
    models = models_file(tmp_path, [
        {"name": "small", "backend": "replay", "replay": str(replay(tmp_path, "small", BAD))},
        {"name": "big", "backend": "replay", "replay": str(replay(tmp_path, "big", GOOD))},
    ])
    first = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress",
                     "--max-attempts", "3", "--per-model", "2")
    assert first.returncode == 0, first.stderr
    run_dir = only_ladder(out)
    assert json.loads((run_dir / "ladder.json").read_text())["scenarios"][0]["models_tried"] == ["small", "small", "big"]
    # Cut the run back to its first attempt, as if it had been killed then.
    folder = run_dir / "ladder" / "ladder-pack" / "LD-01"
    for number in (2, 3):
        (folder / f"attempt_{number}.json").unlink()
        (folder / f"attempt_{number}.txt").unlink()
    resumed = benchlab("ladder", "--resume", run_dir.name, "--out", str(out), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    row = json.loads((run_dir / "ladder.json").read_text())["scenarios"][0]
    assert row["models_tried"] == ["small", "small", "big"] and row["accepted_by"] == "big"
    # The resumed second attempt learned from the first, which it read back from disk.
    assert attempt(run_dir, 2)["learning_context"] is True
    assert json.loads((run_dir / "ladder.json").read_text())["config"]["per_model"] == 2


def test_bad_input_is_one_error_line(tmp_path):
    missing = benchlab("ladder", "--pack", str(pack(tmp_path)), "--out", str(tmp_path / "out"))
    assert "--models FILE is required" in one_error_line(missing)
    models = models_file(tmp_path, [{"name": "x", "backend": "nope"}])
    bad = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(tmp_path / "out"))
    assert "backend" in one_error_line(bad)
    unknown = benchlab("ladder", "--resume", "20990101-000000-abcdef", "--out", str(tmp_path / "out"))
    assert "no ladder run" in one_error_line(unknown)


def test_attempts_go_up_the_list_and_the_last_model_repeats():
    names = ["a", "b", "c"]
    assert [model_for_attempt(k, names, 1) for k in range(1, 7)] == ["a", "b", "c", "c", "c", "c"]
    assert [model_for_attempt(k, names, 2) for k in range(1, 8)] == ["a", "a", "b", "b", "c", "c", "c"]


def test_learning_context_lists_failed_checks_of_answered_attempts_only():
    from benchlab.ladder import AttemptRecord

    def record(number, model, checks, answered=True, error=None):
        return AttemptRecord(number, model, False, checks, None, "", None, None, None, None, error, answered, False, "", 0.0)

    previous = [
        record(1, "a", [Check("x", False, "bad x"), Check("y", True, "")]),
        record(2, "b", [], answered=False, error="endpoint_unreachable: refused"),
        record(3, "c", [Check("x", False, "still bad")]),
    ]
    assert learning_context(previous) == "\n".join([LEARNING_HEADER, "- attempt 1 (a): x: bad x", "- attempt 3 (c): x: still bad"])
    assert learning_context([]) == ""
    unjudged = AttemptRecord(4, "d", False, [Check("program_checks", False, "no sandbox")], FailureMode.SANDBOX_UNAVAILABLE,
                             "no sandbox", None, None, None, None, "not judged", True, False, "", 0.0)
    assert learning_context([unjudged]) == ""  # a sandbox that could not judge taught nothing about the task
    scenario = Scenario(id="s", messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": "task"}],
                        verifier=VerifierSpec("exact", {"expected": "x"}))
    changed = with_learning(scenario, "ctx")
    assert changed.messages[-1]["content"] == "task\n\nctx" and scenario.messages[-1]["content"] == "task"
    assert changed.messages[0] == {"role": "system", "content": "sys"}


class SlowChat(OpenAIChat):
    """Answers after 3 s: past a 0.5 s budget."""

    def chat(self, request):
        import time

        time.sleep(3)
        super().chat(request)


def test_a_timeout_uses_up_its_attempt_and_exits_3(tmp_path):
    server = TestServer()
    SlowChat(Script({}, default=Answer(content=GOOD)), model="m").install(server)
    out = tmp_path / "out"
    with running(server):
        models = models_file(tmp_path, [
            {"name": "slow", "backend": "openai", "endpoint": server.url, "model": "m"},
            {"name": "big", "backend": "replay", "replay": str(replay(tmp_path, "big", GOOD))},
        ])
        done = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress",
                        "--timeout-per-case", "0.5", "--retries", "0")
    assert done.returncode == 3, done.stdout + done.stderr
    run_dir = only_ladder(out)
    first = attempt(run_dir, 1)
    assert first["failure_mode"] == "timeout" and first["error"].startswith("timeout") and not first["answered"]
    assert attempt(run_dir, 2)["passed"]
    assert "| ladder-pack/LD-01 | big | 2 | - · 3/3 |" in done.stdout


def test_max_total_tokens_is_refused(tmp_path):
    models = models_file(tmp_path, [{"name": "big", "backend": "replay", "replay": str(replay(tmp_path, "big", GOOD))}])
    done = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(tmp_path / "out"),
                    "--max-total-tokens", "1000")
    assert "--max-attempts bounds" in one_error_line(done)


def test_a_rust_async_ladder_in_the_sandbox_feeds_the_measured_violation_back(tmp_path):
    """rust-async-1 through the ladder: a near-miss (constant backoff) then the gold answer, judged in
    bubblewrap with the image's prebuilt tokio; the second prompt carries the measured waits."""
    import pytest
    from code_exec_helpers import fast_sandbox

    sandbox = fast_sandbox()
    if sandbox.name != "bwrap" or "rust-crates" not in sandbox.toolchains:
        pytest.skip("needs bubblewrap with an image holding the prebuilt Rust crates")
    proofs = [json.loads(line) for line in (Path(__file__).parent.parent / "packs/rust-async-1/proofs.jsonl").read_text().splitlines()]
    near = next(p for p in proofs if p.get("fails_check") == "r05_backoff")["content"]
    gold = next(p for p in proofs if p["kind"] == "gold")["content"]
    server = TestServer()
    OpenAIChat(Script({}, default=Answer(content=gold)), model="coder").install(server)
    (tmp_path / "near.jsonl").write_text(json.dumps({"scenario": "rust-async-1/RA-01", "content": near}) + "\n")
    out = tmp_path / "out"
    with running(server):
        models = models_file(tmp_path, [
            {"name": "general", "backend": "replay", "replay": str(tmp_path / "near.jsonl")},
            {"name": "coder", "backend": "openai", "endpoint": server.url, "model": "coder"},
        ])
        done = benchlab("ladder", "--models", str(models), "--pack", "rust-async-1", "--sandbox", "bwrap", "--out", str(out),
                        "--no-progress")
        bodies = server.bodies(r"/v1/chat/completions")
    assert done.returncode == 0, done.stderr
    prompt = bodies[-1]["messages"][-1]["content"]
    assert "attempt 1 (general): r05_backoff: waits before the retries: [250, 250, 250] ms" in prompt
    assert "r02_max_4_in_flight" not in prompt  # only what failed
    assert "| rust-async-1/RA-01 | coder | 2 | 14/15 · 15/15 |" in done.stdout


def test_a_reporter_failing_at_the_ladders_end_is_a_warning_and_the_ladder_is_kept(tmp_path):
    """A plugin reporter whose ``write_ladder`` raises: one warning naming it, exit 0, everything
    saved, and the HTML reporter's report.html written all the same."""
    plugin = tmp_path / "boom_reporter.py"
    plugin.write_text("from benchlab import hookimpl\n\n\nclass Boom:\n    def write_ladder(self, run_dir):\n"
                      "        raise RuntimeError('boom')\n\n\n@hookimpl\ndef register_reporters(register):\n"
                      "    register('boom', Boom())\n")
    models = models_file(tmp_path, [{"name": "big", "backend": "replay", "replay": str(replay(tmp_path, "big", GOOD))}])
    out = tmp_path / "out"
    done = benchlab("ladder", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress",
                    "--plugin", str(plugin))
    assert done.returncode == 0, done.stderr
    assert "benchlab: warning: reporter 'boom' failed: RuntimeError('boom')" in done.stderr
    run_dir = only_ladder(out)
    assert attempt(run_dir, 1)["passed"] and (run_dir / "report.html").is_file()
