"""Pack bugfind-15: its shape, its hidden tests against the code it shows, its proofs, and
real CLI runs (validate, a replayed run of gold answers and of near-misses, the negative
control), all executing code in the sandbox a run would choose."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from pathlib import Path

import pytest

from code_exec_helpers import best_sandbox, plugins, verify_many
from helpers import REPO, benchlab, run_record

from benchlab.pack_loader import resolve_pack
from benchlab.plugins.verifiers.code.code_exec import claims_no_bug
from benchlab.plugins.verifiers.fences import scan_fences
from benchlab.proofs import check_proofs, coverage_problems, read_proofs
from benchlab.recorded import FIELDS

PACK_DIR = REPO / "packs" / "bugfind-15"
NO_BUG_LINE = "VERDICT: NO BUG"


@pytest.fixture(scope="module")
def pack():
    return resolve_pack("bugfind-15", plugins().packs, plugins().verifiers, plugins().drivers)


@pytest.fixture(scope="module")
def sandbox():
    return best_sandbox()


def no_bug_ids(pack) -> list[str]:
    return [s.id for s in pack.scenarios if s.verifier.params.get("expect") == "no_bug"]


def test_manifest_and_scenarios(pack) -> None:
    m = pack.manifest
    assert (m.title, m.version, m.floor, m.default_thinking, m.default_max_seconds) == ("BugFind-15", "1.0.0", 0.6, False, 120.0)
    assert m.dimension == "finding and fixing bugs, and not inventing them" and m.description
    assert [s.id for s in pack.scenarios] == [f"BF-{n:02d}" for n in range(1, 16)]
    assert pack.needs_sandbox
    languages = [s.verifier.params["language"] for s in pack.scenarios]
    assert languages.count("python") >= 10 and languages.count("javascript") >= 3
    assert 3 <= len(no_bug_ids(pack)) <= 4
    # every scenario judges a no-bug claim, so "no bug" on buggy code fails at the verdict
    assert all(s.verifier.params["no_bug_line"] == NO_BUG_LINE for s in pack.scenarios)
    # one function name per scenario: another scenario's fix can never pass here
    names = [s.verifier.params["defines"] for s in pack.scenarios]
    assert len(set(names)) == 15
    # "VERDICT: NO BUG" is the right answer to every correct function, and only to those
    assert {frozenset(p) for p in m.equivalent} == {frozenset(p) for p in itertools.combinations(no_bug_ids(pack), 2)}


def test_registered_in_full_mode_only() -> None:
    source = plugins().packs.get("bugfind-15")
    assert source.modes == ("full",)


def prompt_code(scenario) -> str:
    blocks, _ = scan_fences(scenario.messages[-1]["content"])
    assert len(blocks) == 1 and blocks[0].lang == scenario.verifier.params["language"]
    return blocks[0].body


def test_prompts_show_the_function_and_state_the_verdict_format(pack) -> None:
    for scenario in pack.scenarios:
        prompt = scenario.messages[-1]["content"]
        name = scenario.verifier.params["defines"]
        assert name in prompt_code(scenario)
        assert f"`{NO_BUG_LINE}` the last line of your reply" in prompt
        # an echoed prompt must not read as a no-bug verdict
        assert not claims_no_bug(prompt, NO_BUG_LINE), scenario.id
        # the hidden tests stay hidden
        assert scenario.verifier.params["tests"].strip().splitlines()[-1] not in prompt


def test_hidden_tests_fail_every_buggy_function_and_pass_every_correct_one(pack, sandbox) -> None:
    cases = []
    for scenario in pack.scenarios:
        params = {k: v for k, v in scenario.verifier.params.items() if k not in ("expect", "no_bug_line")}
        cases.append((params, f"```{params['language']}\n{prompt_code(scenario)}```"))
    verdicts = asyncio.run(verify_many(cases, sandbox))
    correct = set(no_bug_ids(pack))
    for scenario, verdict in zip(pack.scenarios, verdicts):
        if scenario.id in correct:
            assert verdict.passed, f"{scenario.id}: the correct function fails its tests: {verdict.detail}"
        else:
            assert not verdict.passed, f"{scenario.id}: the buggy function passes its tests"
            assert verdict.failure_mode.value == "wrong_answer" and verdict.checks[-1].name == "tests", verdict.detail


def test_every_proof_case_behaves(pack, sandbox) -> None:
    outcomes = check_proofs(pack, plugins(), sandbox)
    assert [f"{o.case.scenario} {o.case.kind} line {o.case.line}: {o.problem}" for o in outcomes if o.problem] == []
    assert coverage_problems(pack, read_proofs(pack)) == []
    near = [o for o in outcomes if o.case.kind == "near_miss"]
    assert all(o.case.record.get("fails_check") and o.case.record.get("why") for o in near)
    assert all(o.verdict.failure_mode.value == "wrong_answer" for o in near)
    correct = set(no_bug_ids(pack))
    for scenario in pack.scenarios:
        checks = {o.case.record["fails_check"] for o in near if o.case.scenario == scenario.id}
        if scenario.id in correct:
            # a rewrite offered as a fix fails the verdict; a behaviour change beside the verdict fails the tests
            assert checks == {"verdict", "tests"}, scenario.id
        else:
            assert "tests" in checks, scenario.id


def _replay(tmp_path: Path, kind: str) -> Path:
    rows: dict[str, dict] = {}
    for line in (PACK_DIR / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case["kind"] == kind and case["scenario"] not in rows:
            rows[case["scenario"]] = {"scenario": f"bugfind-15/{case['scenario']}", **{k: v for k, v in case.items() if k in FIELDS and k != "scenario"}}
    assert len(rows) == 15
    path = tmp_path / f"{kind}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows.values()), encoding="utf-8")
    return path


def _run(tmp_path: Path, replay: Path) -> dict:
    best_sandbox()  # skip (or fail under CI) here rather than in the CLI
    out = tmp_path / "results"
    result = benchlab("run", "--pack", "bugfind-15", "--replay", str(replay), "--out", str(out), "--no-progress", timeout=600)
    assert result.returncode in (0, 1), result.stderr
    (run,) = out.glob("*/run.json")
    return json.loads(run.read_text(encoding="utf-8"))


def test_real_cli_run_passes_every_gold_answer(tmp_path: Path) -> None:
    record = _run(tmp_path, _replay(tmp_path, "gold"))
    (summary,) = record["packs"]
    assert (summary["pass_count"], summary["total"]) == (15, 15), [r["detail"] for r in record["results"] if not r["passed"]]
    assert record["probe"]["sandbox"]["provider"] in ("docker", "bwrap")
    ran = [r for r in record["results"] if r["artifacts"]]
    assert len(ran) == 11  # the four no-bug answers need no execution
    assert all(r["artifacts"]["exit_code"] == 0 and r["artifacts"]["finished"] for r in ran)


def test_real_cli_run_fails_every_near_miss(tmp_path: Path) -> None:
    record = _run(tmp_path, _replay(tmp_path, "near_miss"))
    (summary,) = record["packs"]
    assert (summary["pass_count"], summary["total"]) == (0, 15)
    assert {r["failure_mode"] for r in record["results"]} == {"wrong_answer"}


def test_real_cli_validate_reports_no_problem() -> None:
    best_sandbox()
    result = benchlab("packs", "validate", str(PACK_DIR), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"bugfind-15: \d+ proof cases, 0 problem\(s\)", result.stdout)


def test_real_cli_negative_control_lets_no_junk_through(tmp_path: Path) -> None:
    best_sandbox()
    result = benchlab("run", "--negative-control", "--pack", "bugfind-15", "--no-progress", "--out", str(tmp_path), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = re.search(r"^\| BugFind-15 \| (\d+) \| (\d+) \|", result.stdout, re.MULTILINE)
    assert counts and int(counts.group(1)) >= 15 * 5 and counts.group(2) == "0", result.stdout
    # the record says which sandbox judged the junk, as a normal run's does
    assert run_record(tmp_path)["probe"]["sandbox"]["provider"] == best_sandbox().name
