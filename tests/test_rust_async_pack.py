"""Pack rust-async-1: its files are what its sources generate, the rubric's rules hold on every
proof without a sandbox, and every proof behaves in the real sandbox (tokio prebuilt into the
image, the answer compiled against a test double on tokio's paused clock)."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest
from code_exec_helpers import fast_sandbox, plugins
from helpers import REPO, benchlab, run_record

from benchlab.model import ChatResponse
from benchlab.pack_loader import resolve_pack, verifier_instance
from benchlab.proofs import check_proofs, coverage_problems, read_proofs
from benchlab.verifiers import VerifyContext

PACK_DIR = REPO / "packs" / "rust-async-1"
RUBRIC_RULES = {"r01_signature", "r07_error_enum", "r08_display_and_error", "r09_no_unwrap_or_expect", "r10_no_unsafe",
                "r11_rustdoc", "r12_no_println", "r14_no_global_mutable_state"}
HARNESS_RULES = {"r02_max_4_in_flight", "r03_order", "r04_retries", "r05_backoff", "r06_timeout", "r13_status_is_error",
                 "r15_deny_warnings"}


@pytest.fixture(scope="module")
def pack():
    return resolve_pack("rust-async-1", plugins().packs, plugins().verifiers, plugins().drivers)


def proofs():
    return [json.loads(line) for line in (PACK_DIR / "proofs.jsonl").read_text().splitlines()]


def test_committed_files_are_what_the_sources_generate():
    spec = importlib.util.spec_from_file_location("make_pack", PACK_DIR / "source" / "make_pack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.render().items():
        assert (PACK_DIR / name).read_text() == text, f"{name} is stale: run python packs/rust-async-1/source/make_pack.py"


def test_one_scenario_fifteen_rules_in_one_all_verifier(pack):
    assert [s.id for s in pack.scenarios] == ["RA-01"] and pack.needs_sandbox
    spec = pack.scenarios[0].verifier
    assert spec.kind == "all" and [p["kind"] for p in spec.params["of"]] == ["rubric", "program_checks"]
    rubric, harness = spec.params["of"]
    assert {r["name"] for r in rubric["rules"]} == RUBRIC_RULES
    assert set(harness["checks"]) | {harness["lint_check"]} == HARNESS_RULES
    assert harness["crates"] == ["tokio", "futures"]
    prompt = pack.scenarios[0].messages[0]["content"]
    assert "pub async fn fetch_all<C: HttpClient>(client: &C, urls: Vec<String>) -> Vec<Result<String, FetchError>>" in prompt
    assert prompt.count("\n1") >= 1 and "15. it compiles under `#![deny(warnings)]`" in prompt


def rubric_failures(pack, content):
    spec = pack.scenarios[0].verifier.parsed.of[0]
    verdict = verifier_instance(plugins().verifiers, "rubric").verify(spec.parsed, ChatResponse(content=content),
                                                                       VerifyContext(scenario=pack.scenarios[0]))
    return {c.name for c in verdict.checks if not c.ok}


def test_the_rubric_accepts_every_idiomatic_form_and_fails_each_near_miss_at_its_rule(pack):
    for case in proofs():
        failed = rubric_failures(pack, case["content"])
        if case["kind"] != "near_miss":
            assert failed == set(), (case["kind"], failed)
        elif case["fails_check"] in RUBRIC_RULES:
            assert failed == {case["fails_check"]}, (case["fails_check"], failed)
        else:
            assert failed == set(), (case["fails_check"], failed)
    # The textual rules read code, not comments: a comment naming what is forbidden is fine.
    gold = proofs()[0]["content"]
    commented = gold.replace("const TIMEOUT", "// never .unwrap(), never unsafe, no println!, no static mut\nconst TIMEOUT")
    assert rubric_failures(pack, commented) == set()
    # Other idiomatic spellings: a where clause, ::std paths, a struct-like status variant.
    where = gold.replace("pub async fn fetch_all<C: HttpClient>(client: &C, urls: Vec<String>) -> Vec<Result<String, FetchError>> {",
                         "pub async fn fetch_all<C>(client: &C, urls: Vec<String>) -> Vec<Result<String, FetchError>>\nwhere\n    C: HttpClient,\n{")
    assert rubric_failures(pack, where) == set()


def test_every_proof_behaves_in_the_sandbox(pack):
    sandbox = fast_sandbox()
    if "rust-crates" not in sandbox.toolchains:
        pytest.skip(f"sandbox {sandbox.name} has no prebuilt Rust crates (an image of an older recipe)")
    outcomes = check_proofs(pack, plugins(), sandbox)
    assert [f"{o.case.kind} {o.case.record.get('fails_check')}: {o.problem}" for o in outcomes if o.problem] == []
    assert coverage_problems(pack, read_proofs(pack)) == []
    by_kind = {}
    for outcome in outcomes:
        by_kind.setdefault(outcome.case.kind, []).append(outcome)
    gold = by_kind["gold"][0].verdict
    assert gold.passed and len(gold.checks) == 15 and all(c.ok for c in gold.checks)
    # Every rule has its near-miss, and every harness near-miss fails at the measured rule.
    assert {o.case.record["fails_check"] for o in by_kind["near_miss"]} == RUBRIC_RULES | HARNESS_RULES
    checks = {o.case.record["fails_check"]: {c.name: c for c in o.verdict.checks} for o in by_kind["near_miss"]}
    assert "10 requests" in checks["r02_max_4_in_flight"]["r02_max_4_in_flight"].detail  # a semaphore never acquired
    assert "[250, 250, 250]" in checks["r05_backoff"]["r05_backoff"].detail
    assert "30000" in checks["r06_timeout"]["r06_timeout"].detail
    # The trap that once failed a real ladder: idiomatic `delay *= 2` meets the backoff rule.
    doubling = next(o for o in by_kind["alternative"] if "delay *= 2" in o.case.record["content"])
    assert doubling.verdict.passed and {c.name: c.ok for c in doubling.verdict.checks}["r05_backoff"]


def test_a_replayed_cli_run_scores_the_gold_answer(tmp_path):
    sandbox = fast_sandbox()
    if sandbox.name != "bwrap" or "rust-crates" not in sandbox.toolchains or shutil.which("bwrap") is None:
        pytest.skip("needs bubblewrap with an image holding the prebuilt Rust crates")
    replay = tmp_path / "gold.jsonl"
    replay.write_text(json.dumps({"scenario": "rust-async-1/RA-01", "content": proofs()[0]["content"]}) + "\n")
    out = tmp_path / "out"
    done = benchlab("run", "--pack", "rust-async-1", "--replay", str(replay), "--sandbox", "bwrap", "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    result = run_record(out)["results"][0]
    assert result["passed"] and len(result["checks"]) == 15


def test_negative_control_lets_no_junk_through(tmp_path):
    sandbox = fast_sandbox()
    if sandbox.name != "bwrap" or "rust-crates" not in sandbox.toolchains:
        pytest.skip("needs bubblewrap with an image holding the prebuilt Rust crates")
    done = benchlab("run", "--negative-control", "--pack", "rust-async-1", "--sandbox", "bwrap", "--out", str(tmp_path / "out"),
                    "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    pack_line = run_record(tmp_path / "out")["packs"][0]
    assert pack_line["total"] >= 4 and pack_line["pass_count"] == 0 and pack_line["infrastructure_failures"] == 0
