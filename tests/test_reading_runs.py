"""``benchlab inspect`` and ``benchlab diff`` through the CLI, on runs made with the replay backend,
a test server that fails some scenarios on purpose, and the real llama-server."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from helpers import benchlab, exact_scenario, one_error_line, write_pack, write_replay
from servers.base import Answer, Script, running
from servers.faults import FaultServer

P_VALUE = re.compile(r"\bp [=<] ")


def words_pack(tmp_path: Path, version: str = "1.0.0") -> Path:
    return write_pack(tmp_path / f"pack-{version}" / "words-4", [
        exact_scenario(f"S{i}", f"Say {w}", w) for i, w in enumerate(["one", "two", "three", "four"], start=1)
    ], title="Words-4", version=version)


def replay_run(tmp_path: Path, name: str, answers: dict[str, str], *extra: str, version: str = "1.0.0", reasoning: str = "") -> str:
    replay = tmp_path / f"{name}.jsonl"
    replay.write_text("".join(json.dumps({"scenario": f"words-4/{k}", "content": v, "reasoning": reasoning}) + "\n"
                              for k, v in answers.items()))
    out = tmp_path / "out"
    before = {p.name for p in out.iterdir()} if out.is_dir() else set()
    proc = benchlab("run", "--pack", str(words_pack(tmp_path, version)), "--replay", str(replay), "--out", str(out),
                    "--no-progress", *extra)
    assert proc.returncode in (0, 3), proc.stderr
    [run_id] = [p.name for p in out.iterdir() if p.name not in before and (p / "journal.jsonl").is_file()]
    return run_id


def test_diff_lists_regressions_and_fixes_per_pack_with_the_test_and_what_changed(tmp_path):
    a = replay_run(tmp_path, "a", {"S1": "one", "S2": "two", "S3": "x", "S4": "four"})
    b = replay_run(tmp_path, "b", {"S1": "one", "S2": "nope", "S3": "three", "S4": "four"}, "--seed", "3", version="1.1.0")
    out = str(tmp_path / "out")
    md = benchlab("diff", a, b, "--out", out)
    assert md.returncode == 0, md.stderr
    text = md.stdout
    assert "Results: 1 regression, 1 fix, 0 still failing, 2 still passing, 0 new, 0 dropped, 0 not comparable" in text
    # 4 scenarios, b = 1, c = 1: McNemar p = 2 * P(X <= 1 | 2, 1/2) = 1.5 capped at 1.
    assert "| words-4 | 4 | 75% | 75% | +0 pts" in text and "exact McNemar, p = 1.000" in text
    assert "- words-4/S2: wrong_answer (exact: expected 'two', got 'nope')" in text
    assert "- pack words-4 version: 1.0.0 -> 1.1.0" in text
    assert "- sampling seed: - -> 3" in text and "{" not in text.split("What changed")[1]
    for line in text.splitlines():  # every p-value reads "p = 0.004" or "p < 0.001"
        for found in re.finditer(r"\bp\b[^|,;)]*", line):
            if P_VALUE.match(found.group(0)):
                assert re.fullmatch(r"p = \d\.\d{3}|p < 0\.001", found.group(0).strip()), found.group(0)
    data = json.loads(benchlab("diff", a, b, "--out", out, "--format", "json").stdout)
    assert set(data) == {"run_a", "run_b", "counts", "results", "packs", "changed"}
    assert data["counts"]["regression"] == 1 and data["packs"][0]["test"] == "mcnemar" and data["packs"][0]["p_text"] == "p = 1.000"
    assert {r["scenario_id"]: r["change"] for r in data["results"]} == {
        "S1": "still_passing", "S2": "regression", "S3": "fix", "S4": "still_passing"}
    # Runs may be named by their folder's path as well as by id.
    by_path = benchlab("diff", str(tmp_path / "out" / a), str(tmp_path / "out" / b))
    assert by_path.returncode == 0 and "1 regression" in by_path.stdout


def test_diff_with_repeats_pools_each_scenario_and_keeps_infra_failures_out_of_the_pairs(tmp_path):
    server = FaultServer(Script({"Say one": Answer("one"), "Say two": Answer("two"), "Say three": Answer("three")}))
    pack = write_pack(tmp_path / "faulty-3", [exact_scenario("S1", "Say one", "one"), exact_scenario("S2", "Say two", "two"),
                                              exact_scenario("S3", "fault: 500", "ok")])
    out = tmp_path / "out"
    with running(server):
        for _ in range(2):
            proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                            "--no-progress", "--retries", "0", "--measured-tps", "50", "--repeat", "2")
            assert proc.returncode == 3, proc.stderr  # S3 always ends in an infrastructure failure
    a, b = sorted(p.name for p in out.iterdir() if (p / "journal.jsonl").is_file())
    data = json.loads(benchlab("diff", a, b, "--out", str(out), "--format", "json").stdout)
    assert data["counts"]["not_comparable"] == 2 and data["counts"]["still_passing"] == 4
    [pack_row] = data["packs"]
    assert pack_row["scenarios"] == 2 and pack_row["test"] == "permutation" and pack_row["p"] == 1.0


def test_inspect_summary_filters_and_one_scenario_in_full(tmp_path):
    run = replay_run(tmp_path, "a", {"S1": "one", "S2": "two ```` fenced", "S3": "x", "S4": "four"}, reasoning="think ``` hard")
    out = str(tmp_path / "out")
    summary = benchlab("inspect", run, "--out", out)
    assert summary.returncode == 0 and "| Words-4 (v1.0.0) | 2/4 | 50% | 0 | 0 |" in summary.stdout
    failed = benchlab("inspect", run, "--out", out, "--failed").stdout
    assert "Results shown (failed): 2" in failed and "words-4/S2" in failed and "words-4/S1" not in failed
    assert "Results shown (mode wrong_answer): 2" in benchlab("inspect", run, "--out", out, "--mode", "wrong_answer").stdout
    full = benchlab("inspect", run, "--out", out, "--scenario", "words-4/S2", "--full").stdout
    # The model's text sits in a fence longer than any backtick run inside it.
    assert "`````\ntwo ```` fenced\n`````" in full and "````\nthink ``` hard\n````" in full
    assert "- FAILED exact: expected 'two', got 'two ```` fenced'" in full and "```\nSay two\n```" in full
    data = json.loads(benchlab("inspect", run, "--out", out, "--scenario", "words-4/S2", "--full", "--format", "json").stdout)
    assert set(data) == {"run", "packs", "results", "scenarios"}
    assert data["results"][0]["response"]["content"] == "two ```` fenced" and data["results"][0]["response"]["reasoning"] == "think ``` hard"


def test_inspect_reads_the_journal_of_a_run_that_never_wrote_run_json(tmp_path):
    """A run killed before its end leaves its journal and no run.json: the state is made here by
    removing run.json from a finished run folder (what SIGKILL leaves is exactly that)."""
    run = replay_run(tmp_path, "a", {"S1": "one", "S2": "x", "S3": "three", "S4": "four"})
    folder = tmp_path / "out" / run
    (folder / "run.json").unlink()
    proc = benchlab("inspect", str(folder), "--failed")
    assert proc.returncode == 0, proc.stderr
    assert "(INCOMPLETE)" in proc.stdout and "| Words-4 (v1.0.0) | 3/4 | 75% |" in proc.stdout and "words-4/S2" in proc.stdout
    assert "read from journal.jsonl" in proc.stdout


def test_bad_input_is_one_line(tmp_path):
    run = replay_run(tmp_path, "a", {"S1": "one"})
    out = str(tmp_path / "out")
    assert "recent runs: " + run in one_error_line(benchlab("inspect", "nosuchrun", "--out", out))
    assert "add --scenario PACK/ID" in one_error_line(benchlab("inspect", run, "--out", out, "--full"))
    assert "--mode 'wrongish': not a failure mode" in one_error_line(benchlab("inspect", run, "--out", out, "--mode", "wrongish"))
    other = write_pack(tmp_path / "other" / "other-1", [exact_scenario("X", "Say x", "x")])
    replay = write_replay(tmp_path / "o.jsonl", {"other-1/X": "x"})
    assert benchlab("run", "--pack", str(other), "--replay", str(replay), "--out", out, "--no-progress").returncode == 0
    runs = sorted(p.name for p in Path(out).iterdir() if (p / "journal.jsonl").is_file())
    assert "have no scenario in common" in one_error_line(benchlab("diff", runs[0], runs[1], "--out", out))
    newer = tmp_path / "newer"
    shutil.copytree(Path(out) / run, newer)
    record = json.loads((newer / "run.json").read_text())
    record["schema_version"] = 99
    (newer / "run.json").write_text(json.dumps(record))
    assert "newer than this benchlab reads" in one_error_line(benchlab("inspect", str(newer)))


def test_reading_commands_build_without_the_plugins(tmp_path):
    """``inspect``, ``diff`` and ``history`` load no plugin (start-up is most of their time); ``rescore`` loads them
    when it runs; with a ``--plugin`` file every command builds the whole app, and reports the file's errors."""
    import subprocess
    import sys

    from benchlab.cli import invoked_command

    assert invoked_command(["--plugin", "diff", "inspect", "x"]) == "inspect"
    assert invoked_command(["--plugin=p.py", "diff"]) == "diff" and invoked_command(["--version"]) is None
    a = replay_run(tmp_path, "a", {"S1": "one", "S2": "x", "S3": "three", "S4": "four"})
    b = replay_run(tmp_path, "b", {"S1": "one", "S2": "two", "S3": "three", "S4": "four"})
    out = str(tmp_path / "out")
    probe = ("import sys\nfrom benchlab.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
             "    print('exit', exc.code, 'plugins loaded:', 'benchlab.plugins.builtin' in sys.modules, file=sys.stderr)\n")
    for args, loaded in ((["inspect", a, "--failed", "--out", out], False), (["diff", a, b, "--out", out], False),
                         (["rescore", a, "--out", out], True), (["history", "--out", out], False), (["plugins"], True)):
        proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=300)
        assert f"exit 0 plugins loaded: {loaded}" in proc.stderr, (args, proc.stderr)
    assert "fixes" in benchlab("diff", a, b, "--out", out).stdout.lower()
    assert "no such file" in one_error_line(benchlab("diff", a, b, "--out", out, "--plugin", str(tmp_path / "missing.py")))


@pytest.mark.llama
def test_inspect_and_diff_on_runs_of_the_real_llama_server(llama_server: str, tmp_path: Path):
    pack = words_pack(tmp_path)
    out = tmp_path / "out"
    for _ in range(2):
        proc = benchlab("run", "--endpoint", llama_server, "--pack", str(pack), "--out", str(out), "--no-progress", "--max-tokens", "16")
        assert proc.returncode == 0, proc.stderr
    a, b = sorted(p.name for p in out.iterdir() if (p / "journal.jsonl").is_file())
    diff = benchlab("diff", a, b, "--out", str(out))
    assert diff.returncode == 0 and "| words-4 | 4 |" in diff.stdout
    full = benchlab("inspect", b, "--out", str(out), "--scenario", "words-4/S1", "--full")
    assert full.returncode == 0 and "#### Turn 1" in full.stdout and "Response (finish_reason" in full.stdout


def test_a_copied_run_reads_as_finished_and_a_grown_journal_as_interrupted(tmp_path):
    """Whether run.json is current is told by content (the journal's size it recorded), not by
    mtimes: a folder copied without its times, or a journal touched later, is still finished."""
    import os
    import shutil as sh

    run = replay_run(tmp_path, "a", {"S1": "one", "S2": "x", "S3": "three", "S4": "four"})
    folder = tmp_path / "out" / run
    copy = tmp_path / "copy"
    sh.copytree(folder, copy, copy_function=sh.copyfile)  # new mtimes, in any order
    later = (copy / "run.json").stat().st_mtime + 60
    os.utime(copy / "journal.jsonl", (later, later))
    proc = benchlab("inspect", str(copy))
    assert proc.returncode == 0 and "INCOMPLETE" not in proc.stdout, proc.stdout
    # A resume that was interrupted appended results after run.json was written: the journal is the truth.
    with (copy / "journal.jsonl").open("rb+") as journal:
        lines = journal.read().splitlines(keepends=True)
        journal.write(lines[-1])
    assert "(INCOMPLETE)" in benchlab("inspect", str(copy)).stdout
    # A record written before run.json noted the journal's size keeps the rule by mtimes.
    record = json.loads((copy / "run.json").read_text())
    del record["journal_bytes"]
    (copy / "run.json").write_text(json.dumps(record))
    assert "INCOMPLETE" not in benchlab("inspect", str(copy)).stdout


def test_diff_of_two_thinking_arms_says_why_nothing_pairs(tmp_path):
    a = replay_run(tmp_path, "a", {"S1": "one", "S2": "two", "S3": "three", "S4": "four"}, "--thinking", "off")
    b = replay_run(tmp_path, "b", {"S1": "one", "S2": "two", "S3": "three", "S4": "four"}, "--thinking", "on")
    line = one_error_line(benchlab("diff", a, b, "--out", str(tmp_path / "out")))
    assert "the thinking arm is part of the result key" in line and "A played thinking off, B thinking on" in line
    assert "one run with --thinking both" in line


def test_diff_names_every_repeat_from_0_and_never_prints_minus_0(tmp_path):
    a = replay_run(tmp_path, "a", {"S1": "one", "S2": "two", "S3": "three", "S4": "four"}, "--repeat", "2")
    b = replay_run(tmp_path, "b", {"S1": "one", "S2": "nope", "S3": "three", "S4": "four"}, "--repeat", "2")
    text = benchlab("diff", a, b, "--out", str(tmp_path / "out")).stdout
    assert "- words-4/S2 (repeat 0): wrong_answer" in text and "- words-4/S2 (repeat 1): wrong_answer" in text
    assert "-0 " not in text and "-0)" not in text


def test_points_never_read_minus_0_and_keep_one_decimal_under_one_point():
    from benchlab.diff import points_text

    assert [points_text(x) for x in (-0.0046, -0.0004, 0.0, 0.004, -0.58, 0.25)] == ["-0.5", "+0", "+0", "+0.4", "-58", "+25"]


def test_diff_says_what_changed_in_thinking_and_in_the_server(tmp_path):
    from servers.vllm import VLLMServer

    pack = words_pack(tmp_path)
    script = Script({f"Say {w}": Answer(w) for w in ("one", "two", "three", "four")})
    out = tmp_path / "out"
    made: list[str] = []  # in the order played: two runs started in one second sort by their random suffix
    for version, arm in (("0.9.2", "both"), ("0.10.1", "on")):
        with running(VLLMServer(script, version=version)) as server:
            proc = benchlab("run", "--backend", "vllm", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                            "--no-progress", "--measured-tps", "50", "--thinking", arm)
            assert proc.returncode == 0, proc.stderr
        made += [p.name for p in out.iterdir() if (p / "journal.jsonl").is_file() and p.name not in made]
    a, b = made
    text = benchlab("diff", a, b, "--out", str(out)).stdout
    assert "- thinking arms: off, on -> on" in text and "- server version: 0.9.2 -> 0.10.1" in text
    assert "Results: 0 regression, 0 fix, 0 still failing, 4 still passing, 0 new, 4 dropped" in text


def test_inspect_pack_shows_that_pack_alone(tmp_path):
    other = write_pack(tmp_path / "other" / "other-1", [exact_scenario("X", "Say x", "x")])
    replay = write_replay(tmp_path / "both.jsonl", {"words-4/S1": "one", "words-4/S2": "no", "words-4/S3": "three",
                                                   "words-4/S4": "four", "other-1/X": "wrong"})
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", str(words_pack(tmp_path)), "--pack", str(other), "--replay", str(replay), "--out", str(out),
                    "--no-progress", "--repeat", "2")
    assert proc.returncode == 0, proc.stderr
    [run] = [p.name for p in out.iterdir() if (p / "journal.jsonl").is_file()]
    shown = benchlab("inspect", run, "--out", str(out), "--pack", "other-1", "--failed")
    assert shown.returncode == 0, shown.stderr
    assert "other-1/X" in shown.stdout and "words-4/S2" not in shown.stdout
    data = json.loads(benchlab("inspect", run, "--out", str(out), "--pack", "words-4", "--format", "json").stdout)
    assert {r["pack"] for r in data["results"]} == {"words-4"} and len(data["results"]) == 8
    assert {s["pack"] for s in data["scenarios"]} == {"words-4"}
    assert "has no such pack (its packs: words-4, other-1)" in one_error_line(benchlab("inspect", run, "--out", str(out), "--pack", "nosuch-1"))
