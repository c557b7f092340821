"""benchlab's ``bfcl`` verifier reaches BFCL's official verdict on every line of the corpus.

``tests/data/bfcl/`` holds the first 50 entries of each BFCL category benchlab plays (from
bfcl-eval 2026.3.23, Apache-2.0) and about 30,000 candidate answers to them, in both
modes, each with the verdict of BFCL's own checker (its decoding plus ``ast_checker``),
recorded by ``benchmarks/bfcl/run.py`` in the checker's own venv. The official checker
cannot run here (it needs its own dependency tree), which is why its verdicts are
recorded; this test needs neither it nor bfcl-eval. Agreement must be 100%, no
exclusions.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bfcl_corpus import CORPUS, judge_all, read_jsonl

from benchlab.packs.bfcl import data as bfcl_data


@pytest.fixture(scope="module")
def corpus() -> tuple[list[dict], list[dict]]:
    return read_jsonl(CORPUS / "entries.jsonl.gz"), read_jsonl(CORPUS / "corpus.jsonl.gz")


def test_the_corpus_covers_every_category_mode_and_outcome(corpus) -> None:
    entries, lines = corpus
    assert {e["category"] for e in entries} == set(bfcl_data.CATEGORIES)
    assert Counter(e["category"] for e in entries)["simple_python"] == bfcl_data.DEFAULT_SUBSET
    outcomes = Counter((line["category"], line["mode"], line["official"]["valid"]) for line in lines)
    for category in bfcl_data.CATEGORIES:
        for mode in ("fc", "prompt"):
            assert outcomes[(category, mode, True)] and outcomes[(category, mode, False)], (category, mode)
    assert not [line for line in lines if line["official"]["valid"] is None], "the official checker crashed on some lines"
    variants = {line["variant"] for line in lines}
    for kind in ("gold", "wrong_value", "missing_required", "wrong_function", "extra_call", "missing_call",
                 "type_float_for_int", "int_for_float", "case_upper", "calls_reordered", "unexpected_invented_param",
                 "names_as_in_docs", "text_answer", "no_brackets"):
        assert kind in variants, kind


def test_benchlab_agrees_with_the_official_checker_on_every_line(corpus) -> None:
    entries, lines = corpus
    verdicts = judge_all(entries, lines)
    disagreements = [
        f"{line['category']} {line['id']} {line['mode']} {line['variant']}: official {line['official']}, benchlab {mine}"
        for line, mine in zip(lines, verdicts) if mine != line["official"]["valid"]
    ]
    assert len(verdicts) == len(lines) > 25_000
    assert disagreements == [], f"{len(disagreements)} disagreements, first: " + "\n".join(disagreements[:20])
