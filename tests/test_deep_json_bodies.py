"""JSON nested past Python's recursion limit, from a server rather than a model: every
place that decodes a server's JSON turns it into a clean failure (json.loads raises
RecursionError, which is not a ValueError), never a traceback that ends the run."""

from __future__ import annotations

import httpx
import pytest

from benchlab.http import TransportError, parse_json_body
from benchlab.model import FailureMode
from benchlab.http import json_or_none
from benchlab.plugins.backends.ollama_wire import ChatAccumulator, parse_parameters
from benchlab.plugins.backends.openai_wire import StreamAccumulator

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_deep_200_body_is_a_server_error() -> None:
    with pytest.raises(TransportError) as raised:
        parse_json_body('{"choices": ' + DEEP + "}", 200)
    assert raised.value.failure_mode is FailureMode.SERVER_ERROR and "not JSON" in str(raised.value)


def test_a_deep_stream_event_is_a_server_error() -> None:
    with pytest.raises(TransportError):
        StreamAccumulator(0.0).feed_line("data: " + DEEP, 1.0)
    with pytest.raises(TransportError):
        ChatAccumulator(0.0).feed_line(DEEP, 1.0)


def test_deep_probe_replies_read_as_no_json() -> None:
    assert json_or_none(httpx.Response(200, text=DEEP)) is None
    assert parse_parameters("stop " + DEEP) == {"stop": [DEEP]}


def test_a_deep_or_huge_jsonl_line_is_one_clear_error(tmp_path) -> None:
    """A replay file (model output recorded elsewhere) holding such JSON: exit 1, one line."""
    from helpers import benchlab

    for name, value in (("deep", DEEP), ("huge", "1" * 5000)):
        replay = tmp_path / f"{name}.jsonl"
        replay.write_text('{"scenario": "reasonmath-15/RM-01", "content": ' + value + "}\n")
        done = benchlab("run", "--replay", str(replay), "--scenario", "reasonmath-15/RM-01", "--out", str(tmp_path / "out"), "--no-progress")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith(f"benchlab: error: {replay}:1: json: ")
