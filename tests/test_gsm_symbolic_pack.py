"""Pack gsm-symbolic-30: its 30 templates, the instances an instance seed picks, the refusal
of ambiguous draws, its generated proofs (through the real ``packs validate``) and the
negative control over it."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from benchlab.model import LoadOptions
from benchlab.packs.gsm_symbolic.draws import Draw, Reject, instantiate, require
from benchlab.packs.gsm_symbolic.loader import DEFAULT_SEED, PACK_ID, instances, load
from benchlab.packs.gsm_symbolic.templates import TEMPLATES
from helpers import benchlab


def pack(seed: int | None = None):
    from benchlab.plugin_manager import load_plugins

    plugins = load_plugins()
    settings = {} if seed is None else {"instance_seed": str(seed)}
    return load(plugins.packs.get(PACK_ID), plugins.verifiers, plugins.drivers, LoadOptions(settings=settings))


def test_thirty_templates_one_instance_each_with_template_and_seed_in_the_id():
    loaded = pack()
    assert len(TEMPLATES) == 30
    assert [s.id for s in loaded.scenarios] == [f"GS{n:02d}-s{DEFAULT_SEED}" for n in range(1, 31)]
    assert all(s.verifier.kind == "numeric_answer" for s in loaded.scenarios)
    assert loaded.manifest.dataset == f"30 benchlab templates, instance seed {DEFAULT_SEED}"
    assert [s.id for s in pack(5).scenarios][0] == "GS01-s5"


def test_an_instance_is_a_function_of_seed_and_template_only():
    first, again, other = instances(DEFAULT_SEED), instances(DEFAULT_SEED), instances(DEFAULT_SEED + 1)
    assert first == again
    assert sum(a.question != b.question for a, b in zip(first, other)) >= 25
    # The same template and seed give the same instance whatever the other templates drew.
    assert instantiate("GS05", TEMPLATES["GS05"], 42) == instances(42)[4]


def test_hand_computed_instances_of_the_default_seed():
    by_id = {i.template: i for i in instances(DEFAULT_SEED)}
    # Read from the questions themselves, worked by hand.
    gs01 = by_id["GS01"].question
    a, p, b, q, bill = map(int, re.findall(r"\d+", gs01))
    assert by_id["GS01"].answer == bill - (a * p + b * q)
    assert gs01.startswith("Yusuf buys 7 notebooks at $8 each and 7 pens at $1 each, and pays with a $100 bill.")
    assert by_id["GS01"].answer == 37  # 100 - (56 + 7)
    assert by_id["GS05"].question.startswith("Ines is 14 years older than Nikolai. In 8 years, Ines will be 54 years old.")
    assert by_id["GS05"].answer == 32  # 54 - 8 - 14
    assert by_id["GS21"].question.startswith("Umar runs 4 laps of a 250-metre track every day for 9 days.")
    assert by_id["GS21"].answer == 9  # 4 * 250 * 9 = 9000 m
    assert by_id["GS28"].question.startswith("A lift can carry at most 850 kg. Goran weighs 71 kg")
    assert by_id["GS28"].answer == 38  # (850 - 71) // 20, the largest whole number of boxes


@pytest.mark.parametrize("seed", range(0, 400, 7))
def test_every_instance_has_a_positive_whole_answer(seed):
    for instance in instances(seed):
        assert isinstance(instance.answer, int) and instance.answer > 0, instance


def test_ambiguous_draws_are_refused_and_a_template_that_never_holds_is_a_bug():
    def uneven_share(d: Draw):
        total, people = d.int(10, 20), d.int(3, 4)
        return f"Share {total} sweets among {people} children.", Fraction(total, people), "sweets"

    # Only draws that divide evenly become instances.
    for seed in range(30):
        instance = instantiate("X1", uneven_share, seed)
        total, people = map(int, re.findall(r"\d+", instance.question))
        assert total % people == 0 and instance.answer == total // people

    def negative(d: Draw):
        return "How many?", d.int(-5, -1), "things"

    with pytest.raises(RuntimeError, match="no unambiguous instance"):
        instantiate("X2", negative, 1)
    with pytest.raises(Reject):
        require(False)


def test_equal_answers_are_declared_equivalent():
    loaded = pack()
    answers = {s.id: s.verifier.params["expected"] for s in loaded.scenarios}
    for a, b in loaded.manifest.equivalent:
        assert answers[a] == answers[b]
    pairs = {frozenset(p) for p in loaded.manifest.equivalent}
    ids = list(answers)
    assert pairs == {frozenset((a, b)) for n, a in enumerate(ids) for b in ids[n + 1:] if answers[a] == answers[b]}


@pytest.mark.parametrize("seed", [None, "3"])
def test_packs_validate_passes_the_generated_proofs(seed):
    flags = () if seed is None else ("--instance-seed", seed)
    proc = benchlab("packs", "validate", PACK_ID, *flags)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == f"{PACK_ID}: 90 proof cases, 0 problem(s)"


def test_the_negative_control_finds_no_junk_that_passes(tmp_path):
    proc = benchlab("run", "--negative-control", "--pack", PACK_ID, "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
