"""A user's file that is not UTF-8 is one error line naming the file and the encoding found;
a UTF-8 byte-order mark is accepted.

Real files written in each encoding (UTF-16 with and without a byte-order mark, as a
PowerShell ``>`` redirect or another editor saves them, UTF-32, Latin-1, Windows-1252)
are handed to the real CLI in a subprocess: ``--replay``, ``--scenarios-file``, a pack's
``pack.toml``, ``scenarios.jsonl`` and ``proofs.jsonl``, and a run's journal on ``--resume``.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from benchlab.errors import BenchlabError
from benchlab.text_files import decode_text, read_text
from helpers import benchlab, exact_scenario, full_results, one_error_line, only_run_dir, run_record, write_pack

LINES = '{"scenario": "enc/A", "content": "OK"}\n{"scenario": "enc/B", "content": "no"}\n'


@pytest.mark.parametrize(("codec", "found"), [
    ("utf-16", "UTF-16 LE (byte-order mark)"),  # Python's utf-16 writes a BOM, little-endian here
    ("utf-16-le", "UTF-16 LE (no byte-order mark)"),
    ("utf-16-be", "UTF-16 BE (no byte-order mark)"),
    ("utf-32", "UTF-32 LE (byte-order mark)"),
    ("utf-32-be", "UTF-32 BE (no byte-order mark)"),
])
def test_wide_encodings_are_named(codec: str, found: str) -> None:
    with pytest.raises(BenchlabError) as caught:
        decode_text(LINES.encode(codec), "where.jsonl")
    assert str(caught.value).startswith(f"where.jsonl: the file is {found}, not UTF-8; save it as UTF-8")


def test_a_single_byte_encoding_names_the_byte_its_line_and_a_guess() -> None:
    latin1 = "first line\ntitle = \"Café\"\n".encode("latin-1")
    with pytest.raises(BenchlabError) as caught:
        decode_text(latin1, "pack.toml")
    assert str(caught.value) == "pack.toml: not UTF-8: byte 0xE9 at line 2 (it reads as Latin-1 or Windows-1252); save it as UTF-8"
    cp1252 = "say \u201chi\u201d\n".encode("cp1252")
    with pytest.raises(BenchlabError) as caught:
        decode_text(cp1252, "x")
    assert str(caught.value) == "x: not UTF-8: byte 0x93 at line 1 (it reads as Windows-1252); save it as UTF-8"


def test_utf8_with_or_without_a_bom_reads_the_same(tmp_path: Path) -> None:
    text = "caf\u00e9 \u2028 \u4e2d\n"
    plain, marked = tmp_path / "plain.txt", tmp_path / "marked.txt"
    plain.write_text(text, encoding="utf-8")
    marked.write_text(text, encoding="utf-8-sig")
    assert marked.read_bytes().startswith(codecs.BOM_UTF8)
    assert read_text(plain) == read_text(marked) == text
    with pytest.raises(BenchlabError, match=r"^--flag .*missing: cannot read it \(No such file or directory\)$"):
        read_text(tmp_path / "missing", "--flag")


# -- through the CLI -----------------------------------------------------------------------


def proved_pack(folder: Path, encoding: str = "utf-8", file: str | None = None) -> Path:
    """A pack 'enc' with proofs; ``file`` (pack.toml, scenarios.jsonl or proofs.jsonl) re-saved in ``encoding``."""
    write_pack(folder, [exact_scenario("A", "Say OK", "OK"), exact_scenario("B", "Say no", "no")], title="Enc")
    manifest = folder / "pack.toml"  # a title an editor would save in the local code page
    manifest.write_text(manifest.read_text().replace('title = "Enc"', 'title = "Enc Café"'), encoding="utf-8")
    proofs = []
    for sid, gold in (("A", "OK"), ("B", "no")):
        proofs += [{"scenario": sid, "kind": "gold", "content": gold},
                   {"scenario": sid, "kind": "alternative", "content": f"  {gold}\n"},
                   {"scenario": sid, "kind": "near_miss", "content": "maybe", "fails_check": "exact", "why": "another word"}]
    (folder / "proofs.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in proofs), encoding="utf-8")
    if file is not None:
        path = folder / file
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    return folder


@pytest.mark.parametrize(("file", "encoding", "says"), [
    ("pack.toml", "latin-1", "pack.toml: not UTF-8: byte 0xE9 at line 3 (it reads as Latin-1 or Windows-1252)"),
    ("scenarios.jsonl", "utf-16-be", "scenarios.jsonl: the file is UTF-16 BE (no byte-order mark), not UTF-8"),
    ("proofs.jsonl", "utf-32", "proofs.jsonl: the file is UTF-32 LE (byte-order mark), not UTF-8"),
])
def test_a_pack_file_in_another_encoding_is_one_line(tmp_path: Path, file: str, encoding: str, says: str) -> None:
    folder = proved_pack(tmp_path / "enc", encoding, file)
    line = one_error_line(benchlab("packs", "validate", str(folder)))
    assert line.startswith(f"benchlab: error: {folder / file}: ") and says in line, line
    assert "save it as UTF-8" in line


def test_a_replay_file_from_a_powershell_redirect_is_one_line_and_no_run_folder(tmp_path: Path) -> None:
    folder = proved_pack(tmp_path / "enc")
    replay = tmp_path / "recorded.jsonl"
    replay.write_bytes(LINES.encode("utf-16"))  # what `... > recorded.jsonl` writes in Windows PowerShell
    out = tmp_path / "out"
    line = one_error_line(benchlab("run", "--pack", str(folder), "--replay", str(replay), "--out", str(out), "--no-progress"))
    assert line == (f"benchlab: error: --replay {replay}: the file is UTF-16 LE (byte-order mark), not UTF-8; "
                    "save it as UTF-8 (PowerShell: ... | Out-File -Encoding utf8 FILE)")
    assert not out.exists() or not any(out.iterdir())


def test_a_scenarios_file_in_latin1_is_one_line(tmp_path: Path) -> None:
    folder = proved_pack(tmp_path / "enc")
    listing = tmp_path / "pick.txt"
    listing.write_bytes("# the café one\nenc/A\n".encode("latin-1"))
    line = one_error_line(benchlab("run", "--negative-control", "--pack", str(folder), "--scenarios-file", str(listing),
                                   "--out", str(tmp_path / "out")))
    assert line == (f"benchlab: error: --scenarios-file {listing}: not UTF-8: byte 0xE9 at line 1 "
                    "(it reads as Latin-1 or Windows-1252); save it as UTF-8")


def test_every_file_with_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    folder = proved_pack(tmp_path / "enc")
    for name in ("pack.toml", "scenarios.jsonl", "proofs.jsonl"):
        (folder / name).write_text((folder / name).read_text(encoding="utf-8"), encoding="utf-8-sig")
    validated = benchlab("packs", "validate", str(folder))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    replay, listing = tmp_path / "recorded.jsonl", tmp_path / "pick.txt"
    replay.write_text(LINES, encoding="utf-8-sig")
    listing.write_text("enc/A\nenc/B\n", encoding="utf-8-sig")
    out = tmp_path / "out"
    done = benchlab("run", "--pack", str(folder), "--replay", str(replay), "--scenarios-file", str(listing),
                    "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    record = run_record(out)
    assert record["packs"][0]["title"] == "Enc Café"
    assert {r["scenario_id"]: r["passed"] for r in record["results"]} == {"A": True, "B": True}


def test_a_journal_re_saved_as_utf16_is_one_line_on_resume(tmp_path: Path) -> None:
    folder = proved_pack(tmp_path / "enc")
    replay = tmp_path / "recorded.jsonl"
    replay.write_text(LINES, encoding="utf-8")
    out = tmp_path / "out"
    done = benchlab("run", "--pack", str(folder), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    run_dir = only_run_dir(out)
    journal = run_dir / "journal.jsonl"
    journal.write_bytes(journal.read_text(encoding="utf-8").encode("utf-16"))
    line = one_error_line(benchlab("run", "--resume", run_dir.name, "--out", str(out), "--no-progress"))
    assert line.startswith(f"benchlab: error: {journal}: the file is UTF-16 LE (byte-order mark), not UTF-8"), line


def test_a_resume_reads_back_answers_holding_unicode_line_separators(tmp_path: Path) -> None:
    """JSON keeps U+2028 and U+0085 raw; the journal must split lines at "\\n" only."""
    folder = proved_pack(tmp_path / "enc")
    replay = tmp_path / "recorded.jsonl"
    answers = [{"scenario": "enc/A", "content": "O\u2028K\u0085"}, {"scenario": "enc/B", "content": "no"}]
    replay.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    out = tmp_path / "out"
    first = benchlab("run", "--pack", str(folder), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert first.returncode == 0, first.stdout + first.stderr
    run_dir = only_run_dir(out)
    again = benchlab("run", "--resume", run_dir.name, "--out", str(out), "--no-progress")
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    [answer] = [r for r in full_results(out) if r["scenario_id"] == "A"]
    assert answer["response"]["content"] == "O\u2028K\u0085"
