"""``benchlab rescore`` through the CLI: today's verifiers on saved answers, no endpoint contacted.

Runs are made with the replay backend (and the real sandbox for a code pack); a verifier "fix"
is made by editing the pack folder between the run and the rescore, as a pack author would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import attrs
import pytest

from helpers import REPO, benchlab, exact_scenario, one_error_line, run_record, write_pack, write_replay


def run_once(tmp_path: Path, pack: Path, answers: dict[str, str]) -> tuple[Path, dict]:
    replay = write_replay(tmp_path / "r.jsonl", answers)
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(out)
    return out / record["run_id"], record


def case_pack(tmp_path: Path, *, case_sensitive: bool, s2_question: str = "Say two") -> Path:
    scenarios = [exact_scenario("S1", "Say one", "one"), exact_scenario("S2", s2_question, "two"), exact_scenario("S3", "Say three", "three")]
    for s in scenarios:
        s["verifier"]["case_sensitive"] = case_sensitive
    return write_pack(tmp_path / "case-3", scenarios, title="Case-3")


def test_a_verifier_fix_changes_verdicts_and_only_in_place_or_output_writes(tmp_path):
    pack = case_pack(tmp_path, case_sensitive=True)
    run_dir, first = run_once(tmp_path, pack, {"case-3/S1": "ONE", "case-3/S2": "two", "case-3/S3": "Three"})
    assert [r["passed"] for r in first["results"]] == [False, True, False]
    case_pack(tmp_path, case_sensitive=False)  # the "fix": case no longer matters
    before = (run_dir / "run.json").read_bytes()
    dry = benchlab("rescore", str(run_dir))
    assert dry.returncode == 0, dry.stderr
    assert "Results: 0 regression, 2 fix," in dry.stdout and "- case-3/S1: wrong_answer" in dry.stdout
    assert "nothing written" in dry.stderr and (run_dir / "run.json").read_bytes() == before

    new_home = tmp_path / "rescored"
    written = benchlab("rescore", str(run_dir), "--output", str(new_home))
    assert written.returncode == 0, written.stderr
    copy = run_record(new_home)
    assert [r["passed"] for r in copy["results"]] == [True, True, True] and copy["run_id"] != first["run_id"]
    assert (run_dir / "run.json").read_bytes() == before  # --output leaves the original alone
    # S2's verdict did not change: its line is copied byte for byte; S1's and S3's carry their new verdicts.
    lines = {json.loads(l)["scenario_id"]: l for l in (run_dir / "journal.jsonl").read_bytes().splitlines() if b'"result"' in l}
    copied = {json.loads(l)["scenario_id"]: l for l in (new_home / copy["run_id"] / "journal.jsonl").read_bytes().splitlines()
              if b'"result"' in l}
    assert copied["S2"] == lines["S2"] and copied["S1"] != lines["S1"] and json.loads(copied["S1"])["passed"] is True

    original = tmp_path / "original"
    shutil.copytree(run_dir, original)
    in_place = benchlab("rescore", first["run_id"], "--out", str(tmp_path / "out"), "--in-place")
    assert in_place.returncode == 0, in_place.stderr
    record = json.loads((run_dir / "run.json").read_text())
    assert [r["passed"] for r in record["results"]] == [True, True, True] and record["packs"][0]["pass_count"] == 3
    [note] = record["rescored"]
    assert note["pack_versions"] == {"case-3": "1.0.0"} and note["benchlab_version"] and note["not_rescorable"] == 0
    [kept] = list(run_dir.glob("run.pre-rescore-*.json"))
    assert kept.read_bytes() == before
    journal = [json.loads(l) for l in (run_dir / "journal.jsonl").read_text().splitlines()]
    s1 = [l["passed"] for l in journal if l.get("scenario_id") == "S1"]
    assert s1 == [False, True]  # the new verdict is appended; the journal's latest line wins on resume
    assert "report.md" in {p.name for p in run_dir.iterdir()} and "3/3" in (run_dir / "report.md").read_text()
    # Every reader says the verdicts are a re-scoring's, and of which benchlab and pack versions.
    said = f"Re-scored at {note['at']} by benchlab {note['benchlab_version']} (packs case-3 1.0.0)"
    assert said in (run_dir / "report.md").read_text() and said in benchlab("inspect", str(run_dir)).stdout
    changed = benchlab("diff", str(original), str(run_dir)).stdout
    assert "Both runs were made the same way" not in changed and f"- re-scored: - -> at {note['at']} by benchlab" in changed


def test_a_scenario_asked_differently_today_keeps_its_verdict(tmp_path):
    pack = case_pack(tmp_path, case_sensitive=True)
    run_dir, _ = run_once(tmp_path, pack, {"case-3/S1": "ONE", "case-3/S2": "TWO", "case-3/S3": "three"})
    case_pack(tmp_path, case_sensitive=False, s2_question="Say two, please")
    proc = benchlab("rescore", str(run_dir), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    changes = {r["scenario_id"]: r["change"] for r in data["results"]}
    assert changes == {"S1": "fix", "S2": "still_failing", "S3": "still_passing"}
    [kept] = data["not_rescorable"]
    assert kept["scenario_id"] == "S2" and "messages changed" in kept["why"]


def test_an_interrupted_run_is_refused(tmp_path):
    pack = case_pack(tmp_path, case_sensitive=True)
    run_dir, _ = run_once(tmp_path, pack, {"case-3/S1": "one", "case-3/S2": "two", "case-3/S3": "three"})
    (run_dir / "run.json").unlink()  # what a killed run leaves
    refused = one_error_line(benchlab("rescore", str(run_dir), "--in-place"))
    # The hint works as printed: the run is not under results/ here, so it names --out.
    assert "did not finish" in refused and f"benchlab run --resume {run_dir.name} --out {run_dir.parent.resolve()})" in refused
    afile = tmp_path / "afile"
    afile.write_text("")
    assert f"--output {afile}: cannot write run folders there" in one_error_line(benchlab("rescore", str(run_dir), "--output", str(afile)))
    assert "exclude each other" in one_error_line(benchlab("rescore", str(run_dir), "--in-place", "--output", str(tmp_path)))


def test_tool_loop_transcripts_and_code_are_judged_again(tmp_path):
    """TC-06 (tool_loop) from its gold transcript; BF-01 (code) re-runs in the real sandbox."""
    gold = {}
    for pack_id, scenario in (("toolcall-15", "TC-06"), ("bugfind-15", "BF-01")):
        for line in (REPO / "packs" / pack_id / "proofs.jsonl").read_text().splitlines():
            proof = json.loads(line)
            if proof["scenario"] == scenario and proof["kind"] == "gold":
                gold[f"{pack_id}/{scenario}"] = proof.get("turns") or [{"content": proof["content"]}]
                break
    replay = tmp_path / "r.jsonl"
    replay.write_text("".join(json.dumps({"scenario": ref, **turn}) + "\n" for ref, turns in gold.items() for turn in turns))
    out = tmp_path / "out"
    proc = benchlab("run", "--scenario", "toolcall-15/TC-06", "--scenario", "bugfind-15/BF-01", "--replay", str(replay),
                    "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(out)
    assert all(r["passed"] for r in record["results"]), record["results"]
    again = benchlab("rescore", record["run_id"], "--out", str(out), "--format", "json")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["counts"]["still_passing"] == 2 and data["not_rescorable"] == []


def test_a_verdict_is_held_by_a_line_only_when_every_verdict_field_matches():
    """A re-judged line is copied as it was only when it already holds the new verdict."""
    from benchlab.codec import unstructure
    from benchlab.model import Check, FailureMode, Verdict
    from benchlab.rescore import VERDICT_FIELDS, _holds

    verdict = Verdict(False, 0.5, FailureMode.WRONG_ANSWER, "b: no", [Check("a", True, "ok"), Check("b", False, "no")], {"k": [1]})
    line = {"pack": "p", "scenario_id": "S", **{k: unstructure(getattr(verdict, k)) for k in VERDICT_FIELDS}}
    assert _holds(line, verdict)
    for changed in ({"passed": True}, {"score": 1.0}, {"failure_mode": FailureMode.TIMEOUT}, {"detail": "b: NO"},
                    {"checks": [Check("a", True, "ok")]}, {"checks": [Check("a", True, "ok"), Check("b", False, "")]},
                    {"artifacts": {}}):
        assert not _holds(line, attrs.evolve(verdict, **changed)), changed


def test_a_changed_answer_budget_or_sampling_makes_a_scenario_not_rescorable(tmp_path):
    pack = case_pack(tmp_path, case_sensitive=True)
    run_dir, _ = run_once(tmp_path, pack, {"case-3/S1": "ONE", "case-3/S2": "TWO", "case-3/S3": "THREE"})
    scenarios = [json.loads(line) for line in (pack / "scenarios.jsonl").read_text().splitlines()]
    scenarios[0]["max_tokens"] = 64  # S1: another answer budget
    scenarios[1]["sampling"] = {"temperature": 0.7}  # S2: other sampling
    for s in scenarios:
        s["verifier"]["case_sensitive"] = False
    write_pack(pack, scenarios, title="Case-3")
    data = json.loads(benchlab("rescore", str(run_dir), "--format", "json").stdout)
    why = {k["scenario_id"]: k["why"] for k in data["not_rescorable"]}
    assert set(why) == {"S1", "S2"} and "answer budget (max_tokens) changed" in why["S1"] and "sampling changed" in why["S2"]
    assert {r["scenario_id"]: r["change"] for r in data["results"]}["S3"] == "fix"
    # A pack-wide change of sampling reaches every scenario.
    write_pack(pack, [{k: v for k, v in s.items() if k not in ("max_tokens", "sampling")} for s in scenarios], title="Case-3")
    (pack / "pack.toml").write_text((pack / "pack.toml").read_text() + "\n[sampling]\ntemperature = 0.3\n")
    data = json.loads(benchlab("rescore", str(run_dir), "--format", "json").stdout)
    assert len(data["not_rescorable"]) == 3 and all("sampling changed" in k["why"] for k in data["not_rescorable"])


def test_a_tool_loop_whose_tools_would_answer_differently_today_is_not_rescorable(tmp_path):
    """TC-06's starting files changed after the run: the model's saved calls would get other tool
    results today, so its saved answers replied to a conversation today's pack would not have."""
    pack = tmp_path / "toolcall-15"
    shutil.copytree(REPO / "packs" / "toolcall-15", pack)
    gold = next(json.loads(line) for line in (pack / "proofs.jsonl").read_text().splitlines()
                if json.loads(line)["scenario"] == "TC-06" and json.loads(line)["kind"] == "gold")
    replay = tmp_path / "r.jsonl"
    replay.write_text("".join(json.dumps({"scenario": "toolcall-15/TC-06", **turn}) + "\n" for turn in gold["turns"]))
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", str(pack), "--scenario", "toolcall-15/TC-06", "--replay", str(replay), "--out", str(out),
                    "--no-progress")
    assert proc.returncode == 0, proc.stderr
    run_id = run_record(out)["run_id"]
    lines = (pack / "scenarios.jsonl").read_text().splitlines()
    changed = [json.loads(line) for line in lines]
    for s in changed:
        if s["id"] == "TC-06":
            s["extra"]["state"]["files"] = {"notes.txt": "Call the plumber about the boiler."}
    (pack / "scenarios.jsonl").write_text("".join(json.dumps(s) + "\n" for s in changed))
    data = json.loads(benchlab("rescore", run_id, "--out", str(out), "--format", "json").stdout)
    [kept] = data["not_rescorable"]
    assert kept["scenario_id"] == "TC-06" and "turn 2's messages would differ today" in kept["why"], kept


def test_rescore_of_a_run_against_a_server_that_fails_some_scenarios(tmp_path):
    """The fault server fails two scenarios on purpose: those keep their infrastructure verdicts
    (no answer to judge), the answered ones are judged again."""
    from servers.base import Answer, Script, running
    from servers.faults import FaultServer

    pack = write_pack(tmp_path / "faulty-4", [exact_scenario("S1", "Say one", "ONE"), exact_scenario("S2", "Say two", "two"),
                                              exact_scenario("down", "fault: 500", "ok"), exact_scenario("reset", "fault: reset", "ok")])
    out = tmp_path / "out"
    with running(FaultServer(Script({"Say one": Answer("one"), "Say two": Answer("two")}))) as server:
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                        "--no-progress", "--retries", "0", "--measured-tps", "50")
    assert proc.returncode == 3, proc.stderr
    run_id = run_record(out)["run_id"]
    scenarios = [json.loads(line) for line in (pack / "scenarios.jsonl").read_text().splitlines()]
    scenarios[0]["verifier"]["case_sensitive"] = False  # the fix: S1's "one" now matches "ONE"
    write_pack(pack, scenarios)
    done = benchlab("rescore", run_id, "--out", str(out), "--in-place", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {r["scenario_id"]: r["change"] for r in data["results"]} == {
        "S1": "fix", "S2": "still_passing", "down": "not_comparable", "reset": "not_comparable"}
    assert {k["scenario_id"] for k in data["not_rescorable"]} == {"down", "reset"}
    assert all("no answer was saved" in k["why"] for k in data["not_rescorable"])
    record = run_record(out)
    assert record["packs"][0]["pass_count"] == 2 and record["packs"][0]["infrastructure_failures"] == 2


@pytest.mark.llama
def test_rescore_of_a_real_llama_server_run_judges_every_answer_again(llama_server: str, tmp_path: Path):
    """A run against the real llama-server re-scored: nothing is asked differently (same pack), so
    every answered scenario is judged again and keeps its verdict; --in-place notes the re-scoring."""
    pack = case_pack(tmp_path, case_sensitive=True)
    out = tmp_path / "out"
    proc = benchlab("run", "--endpoint", llama_server, "--pack", str(pack), "--out", str(out), "--no-progress", "--max-tokens", "16")
    assert proc.returncode == 0, proc.stderr
    before = run_record(out)
    done = benchlab("rescore", before["run_id"], "--out", str(out), "--in-place", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["not_rescorable"] == [], data["not_rescorable"]  # the requests today equal the saved ones, max_tokens included
    assert data["counts"]["regression"] == data["counts"]["fix"] == 0
    after = run_record(out)
    assert [r["passed"] for r in after["results"]] == [r["passed"] for r in before["results"]]
    assert len(after["rescored"]) == 1 and "Re-scored at" in benchlab("inspect", before["run_id"], "--out", str(out)).stdout


def test_a_tool_loop_the_driver_stopped_keeps_that_verdict(tmp_path):
    """A model that never stops calling tools ends in agent_loop_exhausted, the driver's verdict:
    rescore plays the same turns, sees the driver stop at the same place, and keeps it."""
    turn = {"content": "", "tool_calls": [{"id": "c", "type": "function",
                                           "function": {"name": "create_directory", "arguments": "{\"path\": \"x\"}"}}]}
    replay = tmp_path / "r.jsonl"
    replay.write_text("".join(json.dumps({"scenario": "toolcall-15/TC-06", **turn}) + "\n" for _ in range(5)))
    out = tmp_path / "out"
    proc = benchlab("run", "--scenario", "toolcall-15/TC-06", "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(out)
    assert record["results"][0]["failure_mode"] == "agent_loop_exhausted"
    data = json.loads(benchlab("rescore", record["run_id"], "--out", str(out), "--format", "json").stdout)
    [kept] = data["not_rescorable"]
    assert "the driver stopped it (agent_loop_exhausted)" in kept["why"] and data["counts"]["still_failing"] == 1
