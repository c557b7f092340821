"""Prompt variants: the pack format and its checks, ``--variants`` through the real CLI with the
replay backend (each variant its own answer, its own row, and its paired change against the
default prompt), resume adding variants to a run, and the variants in inspect, diff and rescore.
Every answer comes from a replay file: no model is needed to tell the variants apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchlab.model import DEFAULT_VARIANT, FailureMode, ScenarioResult, appended
from benchlab.variant_changes import variant_changes
from helpers import benchlab, exact_scenario, one_error_line, only_run_dir, run_record, write_pack

TERSE = "Answer in one word."


def varied_pack(folder: Path) -> Path:
    """S1..S7 carry the variant terse (appended); S7 also blunt (its own messages); S8 has none."""
    scenarios = []
    for n in range(1, 9):
        scenario = exact_scenario(f"S{n}", f"Question {n}?", f"answer{n}")
        if n <= 7:
            scenario["variants"] = {"terse": {"append": TERSE}}
        if n == 7:
            scenario["variants"]["blunt"] = {"messages": [{"role": "system", "content": "Be blunt."},
                                                          {"role": "user", "content": "Q7. Now."}]}
        scenarios.append(scenario)
    return write_pack(folder, scenarios, id="vpack")


def varied_replay(path: Path) -> Path:
    """Default prompt: only S7 and S8 right. terse: every one right (6 fixes). blunt: S7 wrong (1 regression)."""
    lines = [{"scenario": f"vpack/S{n}", "content": f"answer{n}" if n >= 7 else "I am not sure."} for n in range(1, 9)]
    lines += [{"scenario": f"vpack/S{n}", "variant": "terse", "content": f"answer{n}"} for n in range(1, 8)]
    lines += [{"scenario": "vpack/S7", "variant": "blunt", "content": "no"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def play(tmp_path: Path, *extra: str) -> tuple[object, dict]:
    pack = varied_pack(tmp_path / "vpack")
    replay = varied_replay(tmp_path / "answers.jsonl")
    out = tmp_path / "results"
    done = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress", *extra)
    return done, run_record(out)


def test_variants_play_each_prompt_and_report_the_paired_change(tmp_path: Path) -> None:
    done, record = play(tmp_path, "--variants")
    assert done.returncode == 0, done.stdout + done.stderr
    keys = [(r["scenario_id"], r["prompt_variant"]) for r in record["results"]]
    assert len(keys) == len(set(keys)) == 16  # 8 default prompts, 7 terse, 1 blunt
    by_key = {(r["scenario_id"], r["prompt_variant"]): r for r in record["results"]}
    # each variant asked its own prompt, and got its own recorded answer
    assert by_key[("S3", DEFAULT_VARIANT)]["request"]["messages"] == [{"role": "user", "content": "Question 3?"}]
    assert by_key[("S3", "terse")]["request"]["messages"] == [{"role": "user", "content": f"Question 3?\n\n{TERSE}"}]
    assert by_key[("S7", "blunt")]["request"]["messages"][1] == {"role": "user", "content": "Q7. Now."}
    assert by_key[("S3", DEFAULT_VARIANT)]["response"]["content"] == "I am not sure."
    assert by_key[("S3", "terse")]["response"]["content"] == "answer3"
    assert [by_key[(f"S{n}", "terse")]["passed"] for n in range(1, 8)] == [True] * 7
    assert not by_key[("S7", "blunt")]["passed"] and by_key[("S7", DEFAULT_VARIANT)]["passed"]
    (summary,) = record["packs"]
    assert (summary["pass_count"], summary["total"]) == (2 + 7 + 0, 16)
    assert record["mode"].endswith("--variants")

    report = (only_run_dir(tmp_path / "results") / "report.md").read_text(encoding="utf-8")
    for text in (done.stdout, report):
        assert "| Scenario | default | terse | blunt |" in text
        assert "| vpack/S1 | ❌ wrong_answer | ✅ pass | - |" in text
        assert "| vpack/S7 | ✅ pass | ✅ pass | ❌ wrong_answer |" in text
        assert "vpack/S8 |" not in text  # no variants: no row
        # terse: 6 of 7 scenarios flip fail -> pass, none pass -> fail; exact McNemar p = 2 * (1/2)^6 = 0.03125
        assert "| vpack | terse | 7 | 14% | 100% |" in text and "exact McNemar, p = 0.031 | p = 0.031 | -0 / +6 |" in text
        # blunt: one pass -> fail; p = 2 * (1/2)^1 capped at 1
        assert "| vpack | blunt | 1 | 100% | 0% |" in text and "exact McNemar, p = 1.000 | p = 1.000 | -1 / +0 |" in text
        assert "- vpack S7 (variant blunt): wrong_answer" in text
        assert "--variants, " in text.splitlines()[-1]  # the Quality: line's mode


def test_without_the_flag_only_the_default_prompts_play(tmp_path: Path) -> None:
    done, record = play(tmp_path)
    assert done.returncode == 0, done.stderr
    assert {r["prompt_variant"] for r in record["results"]} == {DEFAULT_VARIANT} and len(record["results"]) == 8
    assert "Prompt variants" not in done.stdout and "--variants" not in record["mode"]


def test_resume_with_variants_adds_them_and_inspect_diff_rescore_keep_them_apart(tmp_path: Path) -> None:
    done, before = play(tmp_path)
    assert done.returncode == 0 and len(before["results"]) == 8
    out = tmp_path / "results"
    run_id = before["run_id"]
    resumed = benchlab("run", "--resume", run_id, "--out", str(out), "--variants", "--no-progress")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = run_record(out)
    assert len(after["results"]) == 16 and after["config"]["selection"]["variants"] is True
    assert after["mode"].endswith("--variants") and "-0 / +6 |" in resumed.stdout
    journal = [json.loads(line) for line in (out / run_id / "journal.jsonl").read_text().splitlines()]
    assert {"selection.variants": True, "selection.mode": after["mode"]} in [j.get("changes") for j in journal]
    # the default prompts' results were final: only the 8 variant results were played
    assert sum(1 for j in journal if j.get("prompt_variant") == DEFAULT_VARIANT) == 8

    shown = benchlab("inspect", run_id, "--out", str(out))
    assert shown.returncode == 0 and "| vpack/S1 | ❌ wrong_answer | ✅ pass | - |" in shown.stdout
    assert "- vpack/S7 (variant blunt, thinking off, repeat 0): fail (wrong_answer)" in shown.stdout
    one = benchlab("inspect", run_id, "--out", str(out), "--scenario", "vpack/S7", "--format", "json")
    assert [r["prompt_variant"] for r in json.loads(one.stdout)["results"]] == [DEFAULT_VARIANT, "terse", "blunt"]

    # a second run with the default prompts only: diff names the variants it lacks
    (tmp_path / "plain").mkdir()
    plain = benchlab("run", "--pack", str(tmp_path / "vpack"), "--replay", str(tmp_path / "answers.jsonl"),
                     "--out", str(tmp_path / "plain"), "--no-progress")
    assert plain.returncode == 0
    changed = benchlab("diff", str(out / run_id), str(only_run_dir(tmp_path / "plain")))
    assert changed.returncode == 0, changed.stderr
    assert "Dropped from A: 8" in changed.stdout and "- vpack/S7 (variant blunt)" in changed.stdout

    rescored = benchlab("rescore", run_id, "--out", str(out), "--in-place")
    assert rescored.returncode == 0, rescored.stdout + rescored.stderr
    assert run_record(out)["rescored"][-1]["not_rescorable"] == 0  # each variant's answer fits its own prompt


PROBLEMS = [
    ({"": {"append": "x"}}, "variants: a variant name must not be empty"),
    ({"two": {"append": "x", "messages": [{"role": "user", "content": "a"}]}}, "variants.two: both messages and append: give one"),
    ({"two": {}}, "variants.two: neither messages nor append: give one"),
    ({"two": {"apend": "x"}}, "variants.two.apend: unknown field (a variant has messages or append)"),
    ({"default": {"append": "x"}}, "variants.default: 'default' is the scenario's own prompt; give the variant another name"),
    ({"two words": {"append": "x"}}, "variants.two words: a variant name uses letters, digits, '.', '_' and '-'"),
    ({"two": "x"}, 'variants.two: expected an object: {"messages": [...]} or {"append": "text"}'),
    ({"two": {"append": " "}}, "variants.two.append: a non-empty string"),
    ({"two": {"messages": []}}, "variants.two.messages: a non-empty list of {role, content} objects"),
    ({"two": {"messages": [{"content": "a"}]}}, "variants.two.messages[0]: needs a string 'role'"),
]


@pytest.mark.parametrize(("variants", "message"), PROBLEMS, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(PROBLEMS)])
def test_packs_validate_names_each_variant_defect_in_one_line(tmp_path: Path, variants: object, message: str) -> None:
    good = exact_scenario("OK", "Fine?", "yes")
    bad = {**exact_scenario("BAD", "Question?", "yes"), "variants": variants}
    pack = write_pack(tmp_path / "defects", [good, bad])
    line = one_error_line(benchlab("packs", "validate", str(pack)))
    assert line == f"benchlab: error: {pack / 'scenarios.jsonl'}:2: {message}"


def test_append_needs_a_user_message(tmp_path: Path) -> None:
    system_only = {"id": "SYS", "messages": [{"role": "system", "content": "Say yes."}],
                   "verifier": {"kind": "exact", "expected": "yes"}, "variants": {"two": {"append": "x"}}}
    pack = write_pack(tmp_path / "sysonly", [system_only])
    line = one_error_line(benchlab("packs", "validate", str(pack)))
    assert line.endswith("scenarios.jsonl:1: variants.two.append: the scenario has no user message to append to")


def test_replay_variant_field_is_checked(tmp_path: Path) -> None:
    pack = varied_pack(tmp_path / "vpack")
    replay = tmp_path / "bad.jsonl"
    replay.write_text(json.dumps({"scenario": "vpack/S1", "variant": "", "content": "x"}) + "\n")
    line = one_error_line(benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(tmp_path / "r"), "--no-progress"))
    assert line.endswith("bad.jsonl:1: variant: the name of a prompt variant")


def test_append_goes_to_the_last_user_message() -> None:
    messages = [{"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "text", "text": "second"}]}, {"role": "tool", "content": "{}"}]
    changed = appended(messages, "Be brief.")
    assert changed[:2] == messages[:2] and changed[3] == messages[3]
    assert changed[2]["content"] == [{"type": "text", "text": "second"}, {"type": "text", "text": "Be brief."}]
    assert messages[2]["content"] == [{"type": "text", "text": "second"}]  # the scenario's own messages are untouched
    assert appended([{"role": "user", "content": "Q"}], "A")[0]["content"] == "Q\n\nA"


def _result(scenario: str, variant: str, passed: bool, repeat: int = 0, mode: FailureMode | None = None) -> ScenarioResult:
    failure = None if passed else (mode or FailureMode.WRONG_ANSWER)
    return ScenarioResult("p", scenario, passed=passed, score=float(passed), failure_mode=failure, detail="",
                          latency_s=None, repeat=repeat, prompt_variant=variant)


def test_variant_changes_pool_repeats_per_scenario_and_leave_out_unscored_pairs() -> None:
    """Two scenarios, two repeats. A: default 1/2, variant 2/2; B: default 0/2, variant 0/2.
    Scenario rates: default (0.5 + 0) / 2 = 0.25, variant (1 + 0) / 2 = 0.5. The sign-flip test
    over the per-scenario differences [0.5, 0]: all 4 sign assignments give |sum| = 0.5, as
    extreme as observed, so p = 4/4 = 1. C's variant failed on the server: not comparable."""
    results = [_result("A", "default", True, 0), _result("A", "default", False, 1), _result("A", "v", True, 0),
               _result("A", "v", True, 1), _result("B", "default", False, 0), _result("B", "default", False, 1),
               _result("B", "v", False, 0), _result("B", "v", False, 1),
               _result("C", "default", True), _result("C", "v", False, mode=FailureMode.SERVER_ERROR)]
    (change,) = variant_changes(results, ["p"])
    (row,) = change.packs
    assert change.variant == "v" and row.test == "permutation"
    assert (row.scenarios, row.rate_a, row.rate_b, row.fixes, row.regressions) == (2, 0.25, 0.5, 1, 0)
    assert row.p == pytest.approx(1.0)
    assert [p.kind for p in change.paired if p.key.scenario_id == "C"] == ["not_comparable"]


@pytest.mark.llama
def test_variants_against_the_real_llama_server(llama_server: str, tmp_path: Path) -> None:
    """The real server answers each variant's own prompt: the requests differ as the variants say,
    every result is a verdict on the model, and the report pairs the variants with the default."""
    pack = varied_pack(tmp_path / "vpack")
    out = tmp_path / "results"
    done = benchlab("run", "--endpoint", llama_server, "--pack", str(pack), "--scenario", "vpack/S7", "--scenario", "vpack/S8",
                    "--variants", "--max-tokens", "16", "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    record = run_record(out)
    asked = {(r["scenario_id"], r["prompt_variant"]): r["request"]["messages"] for r in record["results"]}
    assert set(asked) == {("S7", "default"), ("S7", "terse"), ("S7", "blunt"), ("S8", "default")}
    assert asked[("S7", "terse")][-1]["content"] == f"Question 7?\n\n{TERSE}"
    assert asked[("S7", "blunt")] == [{"role": "system", "content": "Be blunt."}, {"role": "user", "content": "Q7. Now."}]
    assert all(r["failure_mode"] in (None, "wrong_answer", "token_limit") for r in record["results"])
    assert all(r["response"]["content"] is not None for r in record["results"])
    assert "| Scenario | default | terse | blunt |" in done.stdout and "| vpack | terse | 1 |" in done.stdout
