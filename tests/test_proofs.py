"""The proof checker behind ``benchlab packs validate``: fed a pack whose proofs have every
kind of defect (tests/data/proof-defects, one per scenario), it exits 1 and names each one,
and nothing else. The verifiers there are sound; only the proofs are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchlab.errors import BenchlabError
from benchlab.pack_loader import resolve_pack
from benchlab.plugin_manager import load_plugins
from benchlab.proofs import read_proofs
from helpers import benchlab

PACK = Path(__file__).resolve().parent / "data" / "proof-defects"

EXPECTED = [
    "proof-defects: proofs.jsonl:25: scenario: 'NOT-A-SCENARIO' is not in the pack",
    "proof-defects: proofs.jsonl:26: kind: one of gold, alternative, near_miss",
    "proof-defects: ALT-IS-GOLD: the alternative answer is the gold answer again",
    "proof-defects: NO-PROOFS: no gold, alternative, near_miss case",
    "proof-defects: GOLD-FAILS (gold, proofs.jsonl:4): gold answer fails: exact: expected 'alpha', got 'alpah'",
    "proof-defects: ALT-FAILS (alternative, proofs.jsonl:8): alternative answer fails: exact: expected 'alpha', got 'Alpha.'",
    "proof-defects: NEAR-PASSES (near_miss, proofs.jsonl:12): near-miss passes",
    "proof-defects: NEAR-OTHER-CHECK (near_miss, proofs.jsonl:15): near-miss fails at ['path:b'], not at 'path:a'",
    "proof-defects: NO-FAILS-CHECK (near_miss, proofs.jsonl:18): near-miss has no fails_check: name the check it must fail (it fails at ['exact'])",
    "proof-defects: NO-WHY (near_miss, proofs.jsonl:21): near-miss has no why: say which property it gets wrong",
]


def test_validate_names_every_proof_defect_and_exits_1() -> None:
    done = benchlab("packs", "validate", str(PACK))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "proof-defects: 9 scenarios, schema ok"
    assert lines[1:-1] == EXPECTED
    assert lines[-1] == f"proof-defects: 24 proof cases, {len(EXPECTED)} problem(s)"
    assert "Traceback" not in done.stderr


def test_the_sound_scenario_has_no_problem() -> None:
    """The scenario OK has gold, alternative and a near-miss failing where it says: not listed."""
    done = benchlab("packs", "validate", str(PACK))
    assert not any(line.startswith("proof-defects: OK") or "(gold, proofs.jsonl:1)" in line for line in done.stdout.splitlines())


def test_read_proofs_raises_on_a_bad_line_unless_collecting() -> None:
    plugins = load_plugins()
    pack = resolve_pack(str(PACK), plugins.packs, plugins.verifiers, plugins.drivers)
    with pytest.raises(BenchlabError, match=r"proofs.jsonl:25: scenario: 'NOT-A-SCENARIO' is not in the pack"):
        read_proofs(pack)
    problems: list[str] = []
    cases = read_proofs(pack, problems)
    assert len(cases) == 24 and [p.split(":", 2)[1] for p in problems] == ["25", "26"]
