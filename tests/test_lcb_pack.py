"""Pack lcb-v6-30 from the fixture JSONL (tests/data/reasoning, written for these tests in
LiveCodeBench's code_generation_lite layout; no LiveCodeBench problem in it): which problems
it plays, the stdin and functional scenarios it builds, that the private tests are never
decoded, its lookup proofs through the real ``packs validate`` (in the sandbox), and the
errors for a file that is not LiveCodeBench's."""

from __future__ import annotations

import json

import pytest

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions
from benchlab.packs.livecodebench.loader import PACK_ID, PROBLEM_IDS, load
from conftest import TEST_DATA
from helpers import benchlab

LCB = TEST_DATA / "reasoning" / "lcb_v6_fixture.jsonl"


def pack(path=LCB, **options):
    from benchlab.plugin_manager import load_plugins

    plugins = load_plugins()
    settings = {"dataset": [f"{PACK_ID}={path}"]}
    return load(plugins.packs.get(PACK_ID), plugins.verifiers, plugins.drivers, LoadOptions(settings=settings, **options))


def test_thirty_documented_problem_ids():
    assert len(PROBLEM_IDS) == len(set(PROBLEM_IDS)) == 30


def test_the_listed_problems_of_the_file_are_played_and_the_missing_ones_named():
    loaded = pack()
    assert [s.id for s in loaded.scenarios] == ["abc387_b", "abc388_c", "3411"]
    assert loaded.needs_sandbox
    assert "3 of the 30 listed problems, public tests only; not in the file: abc387_c, " in loaded.manifest.dataset
    assert "abc999_z" not in loaded.manifest.dataset
    assert [s.id for s in pack(full_dataset=True).scenarios] == ["abc387_b", "abc388_c", "3411", "abc999_z"]
    assert [s.id for s in pack(scenario_ids=(f"{PACK_ID}/abc999_z",)).scenarios][-1] == "abc999_z"


def test_stdin_problems_use_stdio_tests_and_functional_ones_the_harness():
    scenarios = {s.id: s for s in pack().scenarios}
    stdin = scenarios["abc387_b"].verifier.params
    assert stdin["stdio"] == [{"input": "3\n1 2 3\n", "output": "6\n"}, {"input": "1\n5\n", "output": "5\n"}]
    assert "tests" not in stdin and stdin["timeout_s"] == 10.0
    assert "reads the input from standard input" in scenarios["abc387_b"].messages[0]["content"]
    functional = scenarios["3411"].verifier.params
    assert functional["defines"] == "Solution" and "stdio" not in functional
    assert "Solution().twoLargest(*_args)" in functional["tests"]
    assert functional["timeout_s"] == 20.0  # two tests, 10 s each, in one run
    assert "class Solution:\n    def twoLargest(self, nums: List[int]) -> int:" in scenarios["3411"].messages[0]["content"]


def test_the_private_tests_are_never_decoded(monkeypatch):
    """Stand-ins that fail loudly replace every way to open the pickled blob: loading the pack must not call one."""
    import base64
    import pickle
    import zlib

    def refuse(*args, **kwargs):
        raise AssertionError("the private tests were decoded")

    for module, name in ((pickle, "loads"), (pickle, "load"), (zlib, "decompress"), (base64, "b64decode")):
        monkeypatch.setattr(module, name, refuse)
    loaded = pack()
    assert all("private" not in json.dumps(s.verifier.params) for s in loaded.scenarios)


def test_without_a_dataset_or_with_none_of_the_problems_the_pack_is_unavailable(tmp_path):
    from benchlab.plugin_manager import load_plugins

    plugins = load_plugins()
    loaded = load(plugins.packs.get(PACK_ID), plugins.verifiers, plugins.drivers, LoadOptions())
    assert "--dataset lcb-v6-30=PATH/test6.jsonl" in loaded.unavailable
    other = tmp_path / "other.jsonl"
    other.write_text(LCB.read_text().splitlines()[-1] + "\n", encoding="utf-8")
    assert "holds none of the 30 problems of lcb-v6-30" in pack(other).unavailable


@pytest.mark.parametrize(("line", "message"), [
    ("not json", ":1: not JSON"),
    ('{"question_id": "abc387_b"}', ":1: not a LiveCodeBench problem"),
    ('{"question_id": "abc387_b", "question_content": "q", "public_test_cases": "[]"}', ":1: public_test_cases: expected a list"),
    ('{"question_id": "abc387_b", "question_content": "q", "public_test_cases": "[{\\"input\\": \\"1\\", \\"output\\": \\"1\\", '
     '\\"testtype\\": \\"functional\\"}]", "metadata": "{}"}', ":1: metadata.func_name"),
])
def test_a_file_that_is_not_livecodebench_is_one_error(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(BenchlabError, match=message):
        pack(path)


def test_packs_validate_runs_the_proofs_in_the_sandbox():
    proc = benchlab("packs", "validate", PACK_ID, "--dataset", f"{PACK_ID}={LCB}")
    if "no sandbox" in proc.stdout + proc.stderr:
        from conftest import require_or_skip

        require_or_skip(proc.stderr.strip())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == f"{PACK_ID}: 9 proof cases, 0 problem(s)"


def test_the_negative_control_finds_no_junk_that_passes(tmp_path):
    proc = benchlab("run", "--negative-control", "--pack", PACK_ID, "--dataset", f"{PACK_ID}={LCB}",
                    "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| LCB-v6-30 | 15 | 0 | 0 | ✅ no junk passed |" in proc.stdout
