"""Verifier ``all``: real packs on disk through the real pack loader and registry, real verifiers."""

from __future__ import annotations

import asyncio
import json

import pytest
from helpers import benchlab, write_pack

from benchlab.errors import PackError
from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.pack_loader import load_pack_folder, verifier_instance
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.verifiers.combined import combine
from benchlab.verifiers import VerifyContext

RUBRIC = {"kind": "rubric", "rules": [{"name": "says_hello", "contains": "hello"}, {"name": "short", "max_words": 5}]}
REGEX = {"kind": "regex", "pattern": "world"}


@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


def scenario(verifier):
    return {"id": "A", "messages": [{"role": "user", "content": "greet"}], "verifier": verifier}


def judge(plugins, pack, text):
    sc = pack.scenarios[0]
    verifier = verifier_instance(plugins.verifiers, "all")
    return asyncio.run(verifier.verify(sc.verifier.parsed, ChatResponse(content=text), VerifyContext(scenario=sc, pack=pack)))


def test_every_check_of_every_part_is_reported(plugins, tmp_path):
    pack = load_pack_folder(write_pack(tmp_path / "p", [scenario({"kind": "all", "of": [RUBRIC, REGEX]})]), plugins.verifiers)
    assert not pack.needs_sandbox
    good = judge(plugins, pack, "hello world")
    assert good.passed and good.score == 1.0 and good.failure_mode is None
    bad = judge(plugins, pack, "goodbye cruel planet, it was nice to know you")
    assert not bad.passed and bad.failure_mode == FailureMode.WRONG_ANSWER
    names = {c.name: c.ok for c in bad.checks}
    # Both rubric rules and the regex are reported, although the rubric failed first.
    assert names["says_hello"] is False and names["short"] is False and len(bad.checks) == 3
    assert "says_hello" in bad.detail and "short" in bad.detail
    half = judge(plugins, pack, "hello there")
    assert not half.passed and half.score == pytest.approx(2 / 3)


def test_a_part_problem_is_one_line_with_its_path(plugins, tmp_path):
    broken = {"kind": "all", "of": [RUBRIC, {"kind": "rubric", "rules": [{"name": "x", "regex": "("}]}]}
    with pytest.raises(PackError) as caught:
        load_pack_folder(write_pack(tmp_path / "p", [scenario(broken)]), plugins.verifiers)
    assert "verifier.of[1].rules[0].regex" in str(caught.value)
    with pytest.raises(PackError) as unknown:
        load_pack_folder(write_pack(tmp_path / "q", [scenario({"kind": "all", "of": [{"kind": "nope"}]})]), plugins.verifiers)
    assert "verifier.of[0].kind" in str(unknown.value) and "nope" in str(unknown.value)
    with pytest.raises(PackError) as empty:
        load_pack_folder(write_pack(tmp_path / "r", [scenario({"kind": "all", "of": []})]), plugins.verifiers)
    assert "verifier.of" in str(empty.value)


def test_it_needs_a_sandbox_when_a_part_does(plugins, tmp_path):
    code = {"kind": "code_exec", "language": "python", "tests": "assert f() == 1"}
    pack = load_pack_folder(write_pack(tmp_path / "p", [scenario({"kind": "all", "of": [RUBRIC, code]})]), plugins.verifiers)
    assert pack.needs_sandbox
    # Without a sandbox the answer is not judged: not scored, never "wrong".
    verdict = judge(plugins, pack, "hello\n```python\ndef f():\n    return 1\n```")
    assert verdict.failure_mode == FailureMode.SANDBOX_UNAVAILABLE and verdict.score == 0.0


def test_combine_prefixes_shared_names_and_prefers_unjudged_modes():
    a = Verdict(False, 0.0, FailureMode.WRONG_ANSWER, "", [Check("tests", False, "a")])
    b = Verdict(False, 0.0, FailureMode.SANDBOX_ERROR, "sandbox broke", [Check("tests", True, "")])
    c = Verdict(False, 0.0, FailureMode.VERIFIER_FAIL, "crashed", [])
    merged = combine(["x", "y", "z"], [a, b, c])
    assert [ch.name for ch in merged.checks] == ["0:tests", "1:tests", "z"]
    assert merged.failure_mode == FailureMode.SANDBOX_ERROR and merged.score == 0.0
    assert combine(["x", "z"], [a, c]).failure_mode == FailureMode.VERIFIER_FAIL


def test_packs_validate_runs_the_proofs_through_all(tmp_path):
    pack = write_pack(tmp_path / "p", [scenario({"kind": "all", "of": [RUBRIC, REGEX]})])
    proofs = [
        {"scenario": "A", "kind": "gold", "content": "hello world"},
        {"scenario": "A", "kind": "alternative", "content": "Hello, big world!"},
        {"scenario": "A", "kind": "near_miss", "content": "hello planet", "fails_check": "regex", "why": "no world"},
    ]
    (pack / "proofs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in proofs))
    done = benchlab("packs", "validate", str(pack))
    assert done.returncode == 0, done.stdout + done.stderr
