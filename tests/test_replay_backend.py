"""The replay backend keeps where each recorded answer is, not the answers, and reads one when it
is played; ``benchlab.jsonl.read_jsonl_places`` reads a file as ``read_jsonl`` does (lines,
blank lines, errors, encodings), with each line's place in the file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from helpers import play_backend

from benchlab.backends import BackendOptions
from benchlab.errors import BenchlabError, TransportError
from benchlab.jsonl import read_jsonl, read_jsonl_at, read_jsonl_places
from benchlab.model import ChatRequest
from benchlab.plugins.backends.replay_backend import ReplayBackend

LINES = [{"scenario": "p/A", "content": "first \u2028 line\u0085"}, {"scenario": "p/B", "content": "é ✓"}, {"scenario": "p/A", "content": "again"}]


def _text(newline: str, bom: bool = False, blanks: str = "") -> bytes:
    body = blanks.join(json.dumps(line, ensure_ascii=False) + newline for line in LINES)
    return (b"\xef\xbb\xbf" if bom else b"") + (blanks + body + "  \t" + newline + newline).encode("utf-8")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("blanks", ["", "\n \u00a0\n", "\r\n\r"])
def test_places_agree_with_read_jsonl_and_each_reads_back_its_line(tmp_path: Path, newline: str, bom: bool, blanks: str) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_bytes(_text(newline, bom, blanks))
    placed = list(read_jsonl_places(path, "--replay"))
    assert [(n, v) for n, _, _, v in placed] == list(read_jsonl(path, "--replay"))
    assert [v for *_, v in placed] == LINES
    assert [read_jsonl_at(path, offset, length) for _, offset, length, _ in placed] == LINES


@pytest.mark.parametrize("content", [
    b'{"scenario": "p/A"}\n\n{"scenario": \n',  # bad JSON on line 3
    b'{"scenario": "p/A"}\r{"scenario": "p/B"}\r\n[1, 2\n',  # a lone CR ends line 1: the bad line is 3
    '{"scenario": "p/A", "content": "caf\u00e9"}\n'.encode("utf-16"),  # PowerShell's redirect
    '{"scenario": "p/A"}\n{"content": "caf\u00e9"}\n'.encode("latin-1"),
    b'{"n": ' + b"9" * 5000 + b"}\n",  # past int's digit limit
])
def test_places_fail_with_read_jsonls_one_line_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(BenchlabError) as expected:
        list(read_jsonl(path, "--replay"))
    with pytest.raises(BenchlabError) as got:
        list(read_jsonl_places(path, "--replay"))
    assert str(got.value) == str(expected.value)


def _replay(path: Path, lines: list[dict[str, object]]) -> ReplayBackend:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return ReplayBackend(BackendOptions(replay_file=str(path)))


def test_the_backend_holds_where_the_answers_are_not_the_answers(tmp_path: Path) -> None:
    answers = [{"scenario": f"p/S{i}", "content": f"{i} " + "x" * 20_000, "reasoning": "y" * 20_000} for i in range(200)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        backend = _replay(tmp_path / "big.jsonl", answers)  # 8 MB of answers
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 500_000, held
    requests = [ChatRequest(scenario=f"p/S{i}", messages=[]) for i in (7, 199)]
    _, facts, responses = play_backend(backend, requests)
    assert facts["recorded_scenarios"] == 200
    assert [(r.content, r.reasoning, r.raw) for r in responses] == [(a["content"], a["reasoning"], a) for a in (answers[7], answers[199])]


def test_turns_and_variants_are_played_in_order_from_the_file(tmp_path: Path) -> None:
    backend = _replay(tmp_path / "turns.jsonl", [
        {"scenario": "p/A", "content": "one"}, {"scenario": "p/A", "content": "two", "variant": "terse"},
        {"scenario": "p/A", "content": "three"},
    ])
    asked = [ChatRequest(scenario="p/A", messages=[], prompt_variant=variant) for variant in ("default", "terse", "default", "default", "other")]
    _, _, responses = play_backend(backend, asked)
    # The default prompt's lines in order, the last one again; a variant without its own lines plays the default's.
    assert [r.content for r in responses] == ["one", "two", "three", "three", "one"]


def test_a_file_changed_under_the_run_is_a_failed_request_not_a_wrong_answer(tmp_path: Path) -> None:
    path = tmp_path / "changed.jsonl"
    backend = _replay(path, [{"scenario": "p/A", "content": "one"}, {"scenario": "p/B", "content": "two"}])
    path.write_text(json.dumps({"scenario": "p/B", "content": "two"}) + "\n" + json.dumps({"scenario": "p/A", "content": "one"}) + "\n")
    with pytest.raises(TransportError, match="changed"):
        play_backend(backend, [ChatRequest(scenario="p/A", messages=[])])
