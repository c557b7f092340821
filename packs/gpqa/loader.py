"""Pack ``gpqa-diamond``: GPQA's Diamond questions from the user's copy of the official CSV.

benchlab ships no question: ``--dataset gpqa-diamond=PATH`` names ``gpqa_diamond.csv`` as GPQA
distributes it (one row per question; the columns read are ``Record ID``, ``Question``,
``Correct Answer`` and ``Incorrect Answer 1`` to ``3``; the others are ignored). Without it
the pack is ``dataset_unavailable`` with the line saying where to get it.

Every question becomes scenario ``<Record ID>``. Its four choices are shuffled with a
generator seeded by the record id alone, so a question's order is the same in every run, on
every machine, whatever else the file holds; the correct choice's letter is the expected
answer of the ``choice_letter`` verifier (the last stated choice; hedges fail).

Proofs are generated per question (a cache folder named by their hash): ``Answer: X``
(gold), the letter boxed after a sentence (alternative), another letter (near-miss, failing
``value``) and the right letter hedged with another (near-miss, failing ``committed``).
Questions whose letters agree are declared ``equivalent`` (the negative control does not
feed one's gold to the other).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions, Pack, PackManifest, PackSource, Scenario

PACK_ID = "gpqa-diamond"
VERSION = "1.0.0"
LETTERS = "ABCD"
COLUMNS = ("Record ID", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")

PROMPT = """{question}

A) {a}
B) {b}
C) {c}
D) {d}

Think it through, then give your final answer on the last line in the form `Answer: LETTER`, where LETTER is one of A, B, C or D."""


def manifest(dataset: str | None, equivalent: list[list[str]]) -> PackManifest:
    return PackManifest(
        id=PACK_ID,
        version=VERSION,
        title="GPQA-Diamond",
        dimension="graduate-level science multiple choice (biology, chemistry, physics)",
        default_thinking=False,
        default_max_seconds=300.0,
        description=(
            "GPQA's Diamond set: questions written by domain experts that skilled non-experts with web access "
            "mostly get wrong. Four choices, shuffled with a fixed seed per question; the answer is a letter, "
            "judged on the last stated choice, and a hedge fails. Chance is 25%."
        ),
        dataset=dataset,
        equivalent=equivalent,
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    from benchlab.text_files import read_text

    reader = csv.DictReader(io.StringIO(read_text(path, "--dataset gpqa-diamond"), newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise BenchlabError(f"{path}: not GPQA's CSV layout: no column {', '.join(repr(c) for c in missing)}")
    rows = []
    for number, row in enumerate(reader, start=2):
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        empty = [c for c in COLUMNS if not values[c]]
        if empty:
            raise BenchlabError(f"{path}:{number}: {', '.join(empty)}: empty")
        rows.append(values)
    if not rows:
        raise BenchlabError(f"{path}: no questions")
    return rows


def shuffled(row: dict[str, str]) -> tuple[list[str], str]:
    """The four choices in the question's fixed order, and the correct one's letter."""
    choices = [row["Correct Answer"], row["Incorrect Answer 1"], row["Incorrect Answer 2"], row["Incorrect Answer 3"]]
    order = list(range(4))
    random.Random(f"gpqa-diamond:{row['Record ID']}").shuffle(order)
    return [choices[i] for i in order], LETTERS[order.index(0)]


def scenario_data(row: dict[str, str]) -> dict[str, Any]:
    choices, letter = shuffled(row)
    prompt = PROMPT.format(question=row["Question"], a=choices[0], b=choices[1], c=choices[2], d=choices[3])
    return {"id": row["Record ID"], "messages": [{"role": "user", "content": prompt}],
            "verifier": {"kind": "choice_letter", "expected": letter}, "tags": ["gpqa"]}


def proof_cases(row: dict[str, str]) -> list[dict[str, Any]]:
    _, letter = shuffled(row)
    other = next(c for c in LETTERS if c != letter)
    sid = row["Record ID"]
    return [
        {"scenario": sid, "kind": "gold", "content": f"Answer: {letter}"},
        {"scenario": sid, "kind": "alternative", "content": f"Weighing each choice against the question, one holds.\n\n\\boxed{{{letter}}}"},
        {"scenario": sid, "kind": "near_miss", "content": f"Answer: {other}", "fails_check": "value", "why": "another choice"},
        {"scenario": sid, "kind": "near_miss", "content": f"Answer: {letter} or {other}", "fails_check": "committed",
         "why": "the right choice hedged with another"},
    ]


def load(source: PackSource, verifiers: Any, drivers: Any, options: LoadOptions) -> Pack:
    """The pack (``register_packs`` loader): the questions of ``--dataset gpqa-diamond=PATH``, or unavailable."""
    from benchlab.pack_loader import parse_scenario
    from benchlab.packs.datasets import dataset_path, sha256_of, unavailable_line
    from benchlab.proofs import cached_proofs_folder

    path = dataset_path(options, PACK_ID)
    if path is None:
        return Pack(manifest(None, []), [], None, unavailable=unavailable_line(PACK_ID))
    rows = read_rows(path)
    ids = [r["Record ID"] for r in rows]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BenchlabError(f"{path}: Record ID {duplicates[0]!r} appears more than once")
    scenarios: list[Scenario] = [parse_scenario(path, n, scenario_data(r), verifiers, drivers) for n, r in enumerate(rows, start=2)]
    letters = {r["Record ID"]: shuffled(r)[1] for r in rows}
    equivalent = [[a, b] for n, a in enumerate(ids) for b in ids[n + 1:] if letters[a] == letters[b]]
    dataset = f"{path} (sha256 {sha256_of(path)}): {len(rows)} questions"
    folder = cached_proofs_folder("gpqa-diamond-proofs", [case for r in rows for case in proof_cases(r)])
    return Pack(manifest(dataset, equivalent), scenarios, folder)
