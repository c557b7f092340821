"""What ``benchlab run`` selects, through the real CLI with the replay backend (each
scenario answered by its pack's recorded gold proof; no server, no model): ``--medium`` is
the five medium packs and the default when no mode is given, ``--quick`` only two of them,
``--scenarios-file`` exactly its ``PACK/ID`` lines, and a bad ``--scenario`` or
``--scenarios-file`` is one error line and exit 1 with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchlab.recorded import FIELDS
from helpers import REPO, benchlab, one_error_line, run_record

QUICK = {"toolcall-15", "instructfollow-15"}
MEDIUM = QUICK | {"structoutput-15", "dataextract-15", "reasonmath-15"}


@pytest.fixture(scope="module")
def gold_replay(tmp_path_factory) -> Path:
    """Every medium scenario's first gold proof as a --replay file, one line per model turn."""
    rows: dict[str, list[dict]] = {}
    for pack_id in sorted(MEDIUM):
        for line in (REPO / "packs" / pack_id / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            key = f"{pack_id}/{case['scenario']}"
            if case["kind"] == "gold" and key not in rows:
                rows[key] = [{"scenario": key, **{k: v for k, v in t.items() if k in FIELDS and k != "scenario"}}
                             for t in case.get("turns", [case])]
    assert len(rows) == 75
    path = tmp_path_factory.mktemp("replay") / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for turns in rows.values() for r in turns), encoding="utf-8")
    return path


def run(tmp_path: Path, replay: Path, *flags: str) -> tuple[dict, str]:
    out = tmp_path / "out"
    proc = benchlab("run", *flags, "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return run_record(out), proc.stdout.splitlines()[-1]


def played(record: dict) -> set[str]:
    return {f"{r['pack']}/{r['scenario_id']}" for r in record["results"]}


@pytest.mark.parametrize(("flags", "packs", "label"), [
    ((), MEDIUM, "--medium"),
    (("--medium",), MEDIUM, "--medium"),
    (("--quick",), QUICK, "--quick"),
])
def test_a_mode_selects_its_packs_and_medium_is_the_default(tmp_path, gold_replay, flags, packs, label) -> None:
    record, quality = run(tmp_path, gold_replay, *flags)
    assert {p["pack"]: (p["pass_count"], p["total"]) for p in record["packs"]} == {p: (15, 15) for p in packs}
    assert len(record["results"]) == 15 * len(packs)
    assert quality.startswith("Quality: ") and f", {label}, " in quality, quality


def test_a_scenarios_file_selects_exactly_its_lines(tmp_path, gold_replay) -> None:
    listing = tmp_path / "chosen.txt"
    listing.write_text(
        "# the scenarios a regression touched\n"
        "\n"
        "toolcall-15/TC-12\n"
        "   reasonmath-15/RM-02   # trailing comments are fine\n"
        "instructfollow-15/IF-09\n"
        "toolcall-15/TC-12\n",  # a repeat plays once
        encoding="utf-8",
    )
    record, quality = run(tmp_path, gold_replay, "--scenarios-file", str(listing))
    assert played(record) == {"toolcall-15/TC-12", "reasonmath-15/RM-02", "instructfollow-15/IF-09"}
    assert len(record["results"]) == 3
    assert {p["pack"] for p in record["packs"]} == {"toolcall-15", "reasonmath-15", "instructfollow-15"}
    assert "--scenario " in quality


def test_a_scenarios_file_narrows_a_mode(tmp_path, gold_replay) -> None:
    listing = tmp_path / "one.txt"
    listing.write_text("structoutput-15/SO-08\n", encoding="utf-8")
    record, _ = run(tmp_path, gold_replay, "--medium", "--scenarios-file", str(listing))
    assert played(record) == {"structoutput-15/SO-08"}


@pytest.mark.parametrize(("flags", "says"), [
    (("--scenario", "nosuchpack/X-01"), "unknown pack 'nosuchpack'"),
    (("--scenario", "toolcall-15/TC-99"), "pack 'toolcall-15' has no scenario 'TC-99'"),
    (("--scenario", "toolcall-15/tc-01"), "did you mean 'TC-01'?"),
    (("--quick", "--scenario", "reasonmath-15/RM-02"), "pack 'reasonmath-15' is not selected"),
    (("--scenario", "toolcall-15"), "expected PACK/ID"),
])
def test_a_bad_scenario_is_one_error_line_and_nothing_runs(tmp_path, gold_replay, flags, says) -> None:
    out = tmp_path / "out"
    line = one_error_line(benchlab("run", *flags, "--replay", str(gold_replay), "--out", str(out)))
    assert says in line, line
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(("content", "says"), [
    (None, "no such file"),
    ("toolcall-15/TC-01\njust-a-pack\n", ":2: expected PACK/ID, got 'just-a-pack'"),
    ("# only a comment\n\n", "no PACK/ID lines"),
    ("toolcall-15/TC-01\ntoolcall-15/TC-77\n", "has no scenario 'TC-77'"),
])
def test_a_bad_scenarios_file_is_one_error_line_and_nothing_runs(tmp_path, gold_replay, content, says) -> None:
    listing = tmp_path / "list.txt"
    if content is not None:
        listing.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    line = one_error_line(benchlab("run", "--scenarios-file", str(listing), "--replay", str(gold_replay), "--out", str(out)))
    assert says in line, line
    assert not out.exists() or not any(out.iterdir())
