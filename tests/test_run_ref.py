"""RUN references (benchlab.run_ref): a run id under --out or the path of a run folder.

Real folders on disk; the CLI case goes through `benchlab run --resume`, which uses the
same lookup.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchlab.errors import BenchlabError
from benchlab.run_ref import recent_runs, resolve_run
from helpers import benchlab, one_error_line

IDS = [f"2026112{n}-0900{n}0-aaaaa{n}" for n in range(7)]


def make_runs(out: Path, ids: list[str]) -> None:
    for run_id in ids:
        (out / run_id).mkdir(parents=True)
        (out / run_id / "journal.jsonl").write_text("{}\n")


def test_an_id_under_out_and_a_folder_path_name_the_same_run(tmp_path, monkeypatch):
    out = tmp_path / "results"
    make_runs(out, IDS[:2])
    assert resolve_run(IDS[0], out) == out / IDS[0]
    assert resolve_run(str(out / IDS[1]), tmp_path / "elsewhere") == out / IDS[1]
    monkeypatch.chdir(out)
    assert resolve_run(f"./{IDS[1]}", tmp_path / "elsewhere") == Path(f"./{IDS[1]}")


def test_an_unknown_id_lists_the_recent_runs_newest_first(tmp_path):
    out = tmp_path / "results"
    make_runs(out, IDS)
    (out / ".adding-x").mkdir()
    (out / ".adding-x" / "journal.jsonl").write_text("{}\n")  # a run being copied in is not a run yet
    (out / "compare-1").mkdir()  # not a run folder: no journal
    assert recent_runs(out) == list(reversed(IDS))[:5]
    with pytest.raises(BenchlabError) as caught:
        resolve_run("20261125-nope", out)
    message = str(caught.value)
    assert f"no run '20261125-nope' under {out}/" in message
    assert ", ".join(reversed(IDS[2:])) in message and IDS[1] not in message


@pytest.mark.parametrize("kind", ["not a run folder", "a file", "missing"])
def test_a_path_that_is_not_a_run_folder_is_one_clear_error(tmp_path, kind):
    target = tmp_path / "thing"
    if kind == "not a run folder":
        target.mkdir()
        expected = "not a benchlab run folder (no journal.jsonl in it)"
    elif kind == "a file":
        target.write_text("x")
        expected = "a file, not a run folder"
    else:
        expected = "no such run folder"
    with pytest.raises(BenchlabError, match=re.escape(expected)):
        resolve_run(str(target), tmp_path / "results")


def test_resume_of_an_unknown_id_is_one_line_listing_recent_runs(tmp_path):
    out = tmp_path / "results"
    make_runs(out, IDS[:3])
    line = one_error_line(benchlab("run", "--resume", "no-such-run", "--out", str(out)))
    assert f"(recent runs: {IDS[2]}, {IDS[1]}, {IDS[0]})" in line


def test_reading_a_negative_controls_record_says_what_it_is(tmp_path):
    """A real `run --negative-control` folder holds run.json and no journal: every reading command
    names it as a negative control's record instead of calling it a stranger's folder."""
    out = tmp_path / "results"
    assert benchlab("run", "--negative-control", "--pack", "toolcall-15", "--out", str(out)).returncode == 0
    (folder,) = list(out.iterdir())
    for command in (("report", str(folder)), ("inspect", str(folder)), ("diff", str(folder), str(folder))):
        line = one_error_line(benchlab(*command, "--out", str(out)))
        assert f"{folder}: a negative control's record, not a run" in line, command
