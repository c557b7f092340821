"""Verifier ``program_checks``: parameters through the real pack loader, and real Rust programs
compiled and measured in the sandbox a run would get (bubblewrap when ready)."""

from __future__ import annotations

import asyncio

import pytest
from code_exec_helpers import fast_sandbox, plugins
from helpers import write_pack

from benchlab.errors import PackError
from benchlab.model import ChatResponse, FailureMode, Scenario, VerifierSpec
from benchlab.pack_loader import load_pack_folder
from benchlab.plugins.verifiers.code.program_checks import ProgramChecksVerifier, read_reports
from benchlab.verifiers import VerifyContext

TESTS = """
fn run_checks(check: &mut dyn FnMut(&str, bool, String)) {
    check("adds", crate::solution::add(2, 3) == 5, format!("add(2, 3) = {}", crate::solution::add(2, 3)));
    check("doubles", crate::solution::double(4) == 8, format!("double(4) = {}", crate::solution::double(4)));
}
"""
PARAMS = {"language": "rust", "tests": TESTS, "checks": ["adds", "doubles"], "lint_check": "clean", "timeout_s": 20}


def scenario(verifier):
    return {"id": "A", "messages": [{"role": "user", "content": "write add and double"}], "verifier": verifier}


def judge(content, params=PARAMS):
    verifier = ProgramChecksVerifier()
    parsed = verifier.parse_params(params)
    ctx = VerifyContext(scenario=Scenario(id="A", messages=[], verifier=VerifierSpec("program_checks", params)), sandbox=fast_sandbox())
    return asyncio.run(verifier.verify(parsed, ChatResponse(content=content, finish_reason="stop"), ctx))


def fenced(code):
    return f"```rust\n{code}\n```"


GOOD = "/// Adds.\npub fn add(a: i32, b: i32) -> i32 { a + b }\n/// Doubles.\npub fn double(a: i32) -> i32 { a * 2 }"


@pytest.mark.parametrize("params, field", [
    ({**PARAMS, "language": "python"}, "verifier.language"),
    ({**PARAMS, "checks": ["adds", "adds"]}, "verifier.checks[1]"),
    ({**PARAMS, "checks": []}, "verifier.checks"),
    ({**PARAMS, "lint_check": "adds"}, "verifier.lint_check"),
    ({**PARAMS, "crates": ["serde"]}, "verifier.crates"),
])
def test_bad_parameters_are_one_line_naming_the_field(tmp_path, params, field):
    with pytest.raises(PackError) as caught:
        load_pack_folder(write_pack(tmp_path / "p", [scenario({"kind": "program_checks", **params})]), plugins().verifiers)
    assert field in str(caught.value)


def test_report_lines_need_the_run_token():
    out = "noise\nTOKEN check adds pass 2 + 3 = 5\nFORGED check doubles pass\nTOKEN check doubles fail got 7\nTOKEN check adds fail later"
    assert read_reports(out, "TOKEN") == {"adds": (True, "2 + 3 = 5"), "doubles": (False, "got 7")}


def test_every_check_is_measured_and_named():
    good = judge(fenced(GOOD))
    assert good.passed, good.detail
    assert [(c.name, c.ok) for c in good.checks] == [("clean", True), ("adds", True), ("doubles", True)]
    wrong = judge(fenced(GOOD.replace("a * 2", "a * 3")))
    assert not wrong.passed and wrong.failure_mode == FailureMode.WRONG_ANSWER
    assert {c.name: c.ok for c in wrong.checks} == {"clean": True, "adds": True, "doubles": False}
    assert "double(4) = 12" in wrong.detail and wrong.score == pytest.approx(2 / 3)


def test_a_warning_fails_only_the_lint_check():
    noisy = judge(fenced(GOOD.replace("{ a + b }", "{ let unused = 1; a + b }")))
    assert {c.name: c.ok for c in noisy.checks} == {"clean": False, "adds": True, "doubles": True}
    assert "unused" in noisy.checks[0].detail


def test_forged_lines_and_a_crash_leave_checks_unmeasured():
    forged = "pub fn add(a: i32, b: i32) -> i32 { println!(\"\\nbenchlab check adds pass\"); ::std::process::exit(0) }\n" \
             "pub fn double(a: i32) -> i32 { a * 2 }"
    verdict = judge(fenced(forged))
    assert not verdict.passed
    adds = next(c for c in verdict.checks if c.name == "adds")
    assert not adds.ok and adds.detail.startswith("not measured")


def test_a_program_that_does_not_compile_fails_every_check_saying_so():
    verdict = judge(fenced("pub fn add(a: i32) -> i32 { a }"))
    assert not verdict.passed and verdict.failure_mode == FailureMode.WRONG_ANSWER
    # The answer alone is a clean library; the harness calling double() cannot compile against it.
    assert {c.name: c.ok for c in verdict.checks} == {"clean": True, "adds": False, "doubles": False}
    assert all("did not compile" in c.detail and "double" in c.detail for c in verdict.checks if c.name != "clean")


def test_no_program_and_no_sandbox():
    verdict = judge("I would rather not.")
    assert not verdict.passed and all(c.detail.startswith("no program") for c in verdict.checks) and len(verdict.checks) == 3
    verifier = ProgramChecksVerifier()
    ctx = VerifyContext(scenario=Scenario(id="A", messages=[], verifier=VerifierSpec("program_checks", PARAMS)), sandbox=None)
    alone = asyncio.run(verifier.verify(verifier.parse_params(PARAMS), ChatResponse(content=fenced(GOOD)), ctx))
    assert alone.failure_mode == FailureMode.SANDBOX_UNAVAILABLE
