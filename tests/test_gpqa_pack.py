"""Pack gpqa-diamond from the fixture CSV (tests/data/reasoning, written for these tests in
GPQA's official column layout; no GPQA question in it) and the choice_letter verifier that
judges it: the last stated choice, hedges failing."""

from __future__ import annotations

import csv
import io

import pytest

from benchlab.errors import BenchlabError
from benchlab.model import ChatResponse, LoadOptions
from benchlab.packs.gpqa.loader import PACK_ID, load, shuffled
from benchlab.plugins.verifiers.extraction.choice_letter import ChoiceLetterParams, ChoiceLetterVerifier
from benchlab.verifiers import ParamError
from conftest import TEST_DATA
from helpers import benchlab

GPQA = TEST_DATA / "reasoning" / "gpqa_diamond_fixture.csv"


def pack(path=GPQA):
    from benchlab.plugin_manager import load_plugins

    plugins = load_plugins()
    options = LoadOptions(settings={"dataset": [f"{PACK_ID}={path}"]})
    return load(plugins.packs.get(PACK_ID), plugins.verifiers, plugins.drivers, options)


def rows(path=GPQA) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def judge(text: str, expected: str = "C") -> tuple[bool, str, list[str]]:
    verdict = ChoiceLetterVerifier().verify(ChoiceLetterParams(expected), ChatResponse(content=text), None)
    return verdict.passed, verdict.detail, [c.name for c in verdict.checks]


def test_every_row_is_a_scenario_with_its_choices_shuffled_and_the_right_letter_expected():
    loaded = pack()
    assert [s.id for s in loaded.scenarios] == [r["Record ID"] for r in rows()]
    for scenario, row in zip(loaded.scenarios, rows()):
        prompt = scenario.messages[0]["content"]
        assert prompt.startswith(row["Question"])
        letter = scenario.verifier.params["expected"]
        assert f"\n{letter}) {row['Correct Answer']}\n" in prompt
        for n in (1, 2, 3):
            assert f") {row[f'Incorrect Answer {n}']}\n" in prompt
    assert {s.verifier.params["expected"] for s in loaded.scenarios} != {"A"}, "the correct answer is not always first"


def test_the_shuffle_depends_on_the_record_alone(tmp_path):
    mine = rows()
    reordered = tmp_path / "reordered.csv"
    with reordered.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(mine[0]))
        writer.writeheader()
        writer.writerows(list(reversed(mine)))
    first = {s.id: s.messages[0]["content"] for s in pack().scenarios}
    again = {s.id: s.messages[0]["content"] for s in pack(reordered).scenarios}
    assert first == again
    # The orders the seeded shuffle gave when the pack was written, kept so that a changed shuffle
    # (which would change every canonical GPQA run) is caught.
    assert shuffled(mine[1]) == (["Carbon dioxide", "Argon", "Nitrogen", "Oxygen"], "C")
    assert [shuffled(r)[1] for r in mine] == ["D", "C", "B", "B"]


def test_the_dataset_line_records_path_and_sha256_and_questions_agreeing_are_equivalent():
    import hashlib

    loaded = pack()
    assert loaded.manifest.dataset == f"{GPQA} (sha256 {hashlib.sha256(GPQA.read_bytes()).hexdigest()}): 4 questions"
    letters = {s.id: s.verifier.params["expected"] for s in loaded.scenarios}
    assert all(letters[a] == letters[b] for a, b in loaded.manifest.equivalent)


def test_without_a_dataset_the_pack_says_where_the_data_comes_from():
    from benchlab.plugin_manager import load_plugins

    plugins = load_plugins()
    loaded = load(plugins.packs.get(PACK_ID), plugins.verifiers, plugins.drivers, LoadOptions())
    assert loaded.scenarios == [] and "--dataset gpqa-diamond=PATH/gpqa_diamond.csv" in loaded.unavailable


@pytest.mark.parametrize(("content", "message"), [
    ("Question,Correct Answer\nq,a\n", "not GPQA's CSV layout: no column 'Record ID', 'Incorrect Answer 1'"),
    ("Record ID,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\n", "no questions"),
    ("Record ID,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\nr1,q,a,b,,d\n",
     ":2: Incorrect Answer 2: empty"),
    ("Record ID,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\nr1,q,a,b,c,d\nr1,q,a,b,c,d\n",
     "Record ID 'r1' appears more than once"),
])
def test_a_file_that_is_not_gpqa_is_one_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BenchlabError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pack(path)


def test_packs_validate_passes_the_generated_proofs_and_the_negative_control_holds(tmp_path):
    proc = benchlab("packs", "validate", PACK_ID, "--dataset", f"{PACK_ID}={GPQA}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == f"{PACK_ID}: 16 proof cases, 0 problem(s)"
    proc = benchlab("run", "--negative-control", "--pack", PACK_ID, "--dataset", f"{PACK_ID}={GPQA}",
                    "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- choice_letter -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Answer: C",
    "The answer is (C).",
    "**Final answer:** C",
    "Working...\n\nanswer = [C]",
    "The second and third look close; the third wins.\n\n\\boxed{C}",
    "\\boxed{\\text{C}}",
    "After all that:\n\n**C.**",
    "Answer: A\n\nWait, that ignores the pressure term. The answer is C.",
    "Answer: C (A and B ignore the pressure term)",
    "Option B is wrong, and so is D.\nAnswer: C",
])
def test_the_last_stated_choice_is_the_answer(text):
    passed, detail, _ = judge(text)
    assert passed, detail


@pytest.mark.parametrize(("text", "failed"), [
    ("Answer: C or D", "committed"),
    ("Answer: C/D", "committed"),
    ("Answer: C, maybe B", "committed"),
    ("Answer: probably C", "committed"),
    ("Answer: A and C", "committed"),
    ("I am not sure, answer: C", "committed"),
    ("Answer: A, B, C, D", "committed"),
    ("Answer: C\n\nOn reflection, the answer is A.", "value"),
    ("Answer: B", "value"),
    ("The answer is A strong acid, so it must be that.", "value"),
    ("Option C looks right.", "stated"),
    ("answer: c", "stated"),
    ("Answer: X", "stated"),
    ("", "stated"),
])
def test_hedges_and_wrong_or_missing_choices_fail(text, failed):
    passed, detail, checks = judge(text)
    assert not passed and detail.startswith(f"{failed}:"), detail


def test_reasoning_is_not_read():
    verdict = ChoiceLetterVerifier().verify(ChoiceLetterParams("C"), ChatResponse(content="Answer: C", reasoning="Answer: A or B"), None)
    assert verdict.passed
    think = ChoiceLetterVerifier().verify(ChoiceLetterParams("C"), ChatResponse(content="<think>Answer: C</think>\nno idea"), None)
    assert not think.passed


@pytest.mark.parametrize(("params", "field"), [
    ({"expected": "E"}, "expected"),
    ({"expected": "c"}, "expected"),
    ({"expected": "AB"}, "expected"),
    ({"expected": "A", "letters": "A"}, "letters"),
    ({"expected": "A", "letters": "AAB"}, "letters"),
    ({}, "expected"),
])
def test_bad_params_are_rejected(params, field):
    with pytest.raises(ParamError) as caught:
        ChoiceLetterVerifier().validate(params)
    assert caught.value.field == field


def test_its_own_junk_fails():
    params = ChoiceLetterParams("B", "ABCDE")
    verifier = ChoiceLetterVerifier()
    for kind, answer in verifier.extra_junk(params):
        assert not verifier.verify(params, ChatResponse(content=answer["content"]), None).passed, kind
