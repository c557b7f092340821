"""The journal survives a torn last line; records and journals carry schema_version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import attrs
import pytest

from benchlab.codec import SCHEMA_VERSION, write_json
from benchlab.config import RunConfig, Selection, Target
from benchlab.errors import BenchlabError
from benchlab.journal import Journal, read_journal
from benchlab.model import Check, FailureMode, ScenarioResult

from helpers import benchlab, exact_scenario, only_run_dir, run_record, write_pack, write_replay


def result(scenario_id: str, passed: bool = True) -> ScenarioResult:
    return ScenarioResult(
        "p", scenario_id, passed, 1.0 if passed else 0.0, None if passed else FailureMode.WRONG_ANSWER, "", 0.5,
        checks=[Check("exact", passed, "")],
    )


def test_journal_round_trip_and_torn_line(tmp_path):
    config = RunConfig(target=Target(backend="replay"), selection=Selection(packs=["p"], mode="--pack p"))
    journal = Journal.create(tmp_path / "run", "RID", config, "2026-01-01T00:00:00+00:00")
    journal.append(result("A"))
    journal.append(result("B", passed=False))
    journal.close()
    path = tmp_path / "run" / "journal.jsonl"
    with path.open("a") as handle:
        handle.write('{"schema_version": 1, "type": "result", "pack": "p", "scen')  # killed mid-write
    contents = read_journal(tmp_path / "run")
    assert contents.run_id == "RID" and contents.config == config
    assert [(r.scenario_id, r.passed, r.failure_mode) for r in contents.results] == [
        ("A", True, None), ("B", False, FailureMode.WRONG_ANSWER)]
    assert path.read_text().endswith("\n"), "the torn line must be cut so appends start on a fresh line"
    for line in path.read_text().splitlines():
        assert json.loads(line)["schema_version"] == SCHEMA_VERSION


def test_a_line_is_copied_between_journals_byte_for_byte(tmp_path):
    """``JournalReader.entry`` gives a line parsed and as stored; ``Journal.append_line`` copies it (rescore)."""
    from benchlab.journal import JournalReader

    config = RunConfig(target=Target(backend="replay"), selection=Selection(packs=["p"], mode="--pack p"))
    source = Journal.create(tmp_path / "a", "A", config, "2026-01-01T00:00:00+00:00")
    offset = source.append(result("A", passed=False))
    source.close()
    [summary] = read_journal(tmp_path / "a").results
    assert summary.journal_offset == offset
    with JournalReader(tmp_path / "a") as reader:
        data, raw = reader.entry(summary)
        assert data == reader.line(summary) and data["scenario_id"] == "A"
    assert raw == (tmp_path / "a" / "journal.jsonl").read_bytes()[offset:]
    target = Journal.create(tmp_path / "b", "B", config, "2026-01-01T00:00:00+00:00")
    copied_at = target.append_line(raw)
    with pytest.raises(ValueError):
        target.append_line(raw.rstrip(b"\n"))  # a line without its newline would join the next one
    target.close()
    assert (tmp_path / "b" / "journal.jsonl").read_bytes()[copied_at:] == raw
    [copied] = read_journal(tmp_path / "b").results
    assert copied.journal_offset == copied_at and attrs.evolve(copied, journal_offset=offset) == summary


@pytest.mark.parametrize("line", [
    b'{"a": "plain"}\n', '{"a": "caf\u00e9 \u2028 \U0001f600"}'.encode(), b'{"a": "\\ud800"}', b'{"a": "\xed\xa0\x80"}',
    b'\xef\xbb\xbf{"a": 1}', b'{"a": "\xff"}', b'{"a": ', b"[1, 2]",
])
def test_a_journal_line_parses_as_json_loads_parses_its_bytes(line):
    """The reader parses decoded text (faster); every line parses, or fails, as ``json.loads(bytes)`` does."""
    from benchlab.journal import _loads

    try:
        expected: object = json.loads(line)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        with pytest.raises(type(exc)):
            _loads(line)
    else:
        assert _loads(line) == expected


def _full_line() -> dict:
    """A journaled result with every part: attempts, checks, two turns with a tool call, usage."""
    request = {"scenario": "p/S", "messages": [{"role": "user", "content": "hi"}], "model": "m", "tools": [{"type": "function"}],
               "response_format": None, "max_tokens": 64, "sampling": {"seed": 1}, "stream": False, "extra_body": {},
               "thinking": True, "reasoning_effort": None, "prompt_variant": "default"}
    response = {"content": "ok", "reasoning": "r", "tool_calls": [{"name": "f", "arguments": {"x": 1}, "id": "c1", "arguments_raw": "{}"}],
                "finish_reason": "stop", "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}, "ttft_s": 0.1,
                "total_s": 1, "tokens_per_s": None, "status_code": 200, "raw": {"any": ["thing"]}}
    return {"pack": "p", "scenario_id": "S", "attempts": [{"number": 1, "failure_mode": "timeout", "detail": "slow", "elapsed_s": 2,
                                                            "status_code": None}],
            "passed": False, "score": 0, "failure_mode": "wrong_answer", "detail": "no", "latency_s": 1.5,
            "checks": [{"name": "a", "ok": False, "detail": "no"}, {"name": "b", "ok": True}], "request": request, "response": response,
            "turns": [{"request": request, "response": None}, {"request": request, "response": response}], "ttft_s": None, "repeat": 2,
            "started_at": "t", "timeout_s": 30, "junk_kind": "", "artifacts": {"k": [1]}, "prompt_variant": "v", "thinking": "on"}


@pytest.mark.parametrize("change", [
    {}, {"turns": [], "attempts": [], "checks": []}, {"response": None, "request": None}, {"score": True}, {"repeat": 2.0},
    {"detail": 5}, {"latency_s": "1.5"}, {"failure_mode": "no such mode"}, {"passed": None}, {"checks": [{"name": "a"}]},
    {"response": {"content": "x", "usage": {"total_tokens": "5"}}}, {"request": {"scenario": "s"}}, {"artifacts": []},
])
def test_a_result_is_structured_as_cattrs_structures_it(change):
    """Journal lines are structured directly (faster); the result, or the error, is what cattrs' generic path gives."""
    import copy

    from cattrs.gen import make_dict_structure_fn

    from benchlab.codec import converter, structure

    for removed in (None, "ttft_s", "repeat", "artifacts", "thinking"):
        line = {**_full_line(), **change}
        line.pop(removed, None)
        generic = make_dict_structure_fn(ScenarioResult, converter)
        try:
            expected = generic(copy.deepcopy(line), ScenarioResult)
        except Exception as exc:
            with pytest.raises(type(exc)):
                structure(line, ScenarioResult)
        else:
            assert repr(structure(line, ScenarioResult)) == repr(expected)  # repr: 0 and 0.0 differ
    if not change:  # the usual line takes the direct path
        from benchlab.result_structure import _direct_result

        assert repr(_direct_result(_full_line())) == repr(generic(_full_line(), ScenarioResult))


def test_journal_from_another_schema_version_is_refused(tmp_path):
    (tmp_path / "journal.jsonl").write_text(json.dumps({"schema_version": 99, "type": "header"}) + "\n")
    with pytest.raises(BenchlabError, match="schema_version 99"):
        read_journal(tmp_path)


def test_write_json_is_atomic_and_versioned(tmp_path):
    write_json(tmp_path / "x.json", {"a": 1})
    assert json.loads((tmp_path / "x.json").read_text()) == {"schema_version": SCHEMA_VERSION, "a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def passed_keys(value, where=""):
    """Where a ``passed`` key occurs in a JSON value, as paths like ``results[0]``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "passed":
                yield where
            yield from passed_keys(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from passed_keys(item, f"{where}[{index}]")


def test_run_json_has_everything_a_user_needs(tmp_path):
    pack = write_pack(tmp_path / "mini", [exact_scenario("A", "Say OK", "OK"), exact_scenario("B", "Say no", "no")], floor=0.5)
    replay = write_replay(tmp_path / "r.jsonl", {"mini/A": "OK", "mini/B": "<think>hmm</think>yes"})
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(out)
    record = json.loads((run_dir / "run.json").read_text())  # as written, not joined with the journal
    assert record["schema_version"] == SCHEMA_VERSION and record["complete"] is True
    assert record["canonical"] is True
    a, b = record["results"]
    journal = (run_dir / "journal.jsonl").read_bytes()
    lines = {}
    for r in (a, b):
        for key in ("pack", "scenario_id", "prompt_variant", "thinking", "repeat", "passed", "score", "failure_mode", "detail",
                    "latency_s", "checks", "journal_offset"):
            assert key in r
        assert set(r["checks"][0]) == {"name", "ok", "detail"}
        # The raw exchange is in the journal only, at the offset the summary names.
        assert not {"request", "response", "turns"} & set(r)
        line = json.loads(journal[r["journal_offset"]:].split(b"\n", 1)[0])
        assert (line["type"], line["scenario_id"], line["passed"]) == ("result", r["scenario_id"], r["passed"])
        assert line["request"]["messages"][0]["content"].startswith("Say")
        lines[r["scenario_id"]] = line
    assert (a["passed"], b["passed"]) == (True, False)
    assert lines["B"]["response"]["reasoning"] == "hmm" and lines["B"]["response"]["content"] == "yes"
    assert lines["B"]["response"]["raw"]["content"] == "<think>hmm</think>yes"
    assert (b["answered"], b["reasoned"], a["reasoned"]) == (True, True, False)
    assert b["failure_mode"] == "wrong_answer"
    assert record["packs"][0]["pass_count"] == 1 and record["packs"][0]["total"] == 2
    # Only scenario verdicts use the key "passed", anywhere in the record.
    assert sorted(passed_keys(record)) == ["results[0]", "results[1]"]
    # A result's retry attempts are saved before its final verdict.
    keys = list(a)
    assert keys.index("attempts") < keys.index("passed") < keys.index("checks")
    assert (run_dir / "report.md").read_text().startswith("## benchlab")
    assert (run_dir / "quality.txt").read_text().startswith("Quality: Mini 1/2 (50%) (benchlab ")
    header = json.loads((run_dir / "journal.jsonl").read_text().splitlines()[0])
    assert header["type"] == "header" and header["schema_version"] == SCHEMA_VERSION


SCHEMA1_RUN = Path(__file__).parent / "data" / "schema1-run" / "20261207-052019-d2b572"


def test_a_record_of_schema_1_still_loads_typed(tmp_path):
    """run.json and journal.jsonl as benchlab wrote them before the typed record (committed as written:
    a replay run of a 2-scenario pack, --repeat 2, --temperature 0.3)."""
    from benchlab.records import read_record

    raw = json.loads((SCHEMA1_RUN / "run.json").read_text())
    assert raw["schema_version"] == 1 and "temperature" in raw["config"]["sampling"]
    record = read_record(SCHEMA1_RUN)
    assert record.config.sampling.overrides == {"temperature": 0.3} and not record.canonical
    assert record.config.selection.repeat == 2 and record.config.target.backend == "replay"
    assert [r.key for r in record.results] == [
        ("words-2", "S1", "default", "off", 0), ("words-2", "S1", "default", "off", 1),
        ("words-2", "S2", "default", "off", 0), ("words-2", "S2", "default", "off", 1),
    ]
    assert [r.passed for r in record.results] == [True, True, False, False] and record.results[0].junk_kind == ""
    assert record.packs[0].pass_count == 2 and record.probe.server.model == "replay"
    # The journal of that run reads back with the same configuration.
    copy = tmp_path / "run"
    shutil.copytree(SCHEMA1_RUN, copy)
    contents = read_journal(copy)
    assert contents.config == record.config and len(contents.results) == 4


def test_a_record_from_a_newer_schema_says_so(tmp_path):
    from benchlab.records import read_record

    (tmp_path / "run.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "run_id": "x"}))
    with pytest.raises(BenchlabError, match=f"schema_version {SCHEMA_VERSION + 1} is newer than this benchlab reads"):
        read_record(tmp_path)


def test_a_new_record_reads_back_as_written(tmp_path):
    pack = write_pack(tmp_path / "mini-2", [exact_scenario("A", "Say a", "a"), exact_scenario("B", "Say b", "b")])
    replay = write_replay(tmp_path / "r.jsonl", {"mini-2/A": "a", "mini-2/B": "no"})
    proc = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(tmp_path / "out"), "--no-progress",
                    "--enable-thinking", "--seed", "7")
    assert proc.returncode == 0, proc.stderr
    from benchlab.records import read_record

    run_dir = only_run_dir(tmp_path / "out")
    record = read_record(run_dir)
    raw = json.loads((run_dir / "run.json").read_text())
    assert raw["schema_version"] == SCHEMA_VERSION and raw["config"]["sampling"]["overrides"] == {"seed": 7}
    assert record.config.thinking.forced is True and record.config.sampling.overrides == {"seed": 7}
    assert [r.key for r in record.results] == [("mini-2", "A", "default", "on", 0), ("mini-2", "B", "default", "on", 0)]
    assert record.elapsed_s is not None and record.probe.server.model == "replay"
    for result in raw["results"]:
        assert {"pack", "scenario_id", "prompt_variant", "thinking", "repeat", "passed", "score", "failure_mode", "detail"} <= set(result)


SCHEMA2_RUN = Path(__file__).parent / "data" / "schema2-run" / "20261207-113612-cda8b7"


def test_a_record_of_schema_2_reads_as_summaries_and_its_exchanges_come_from_the_journal(tmp_path):
    """run.json and journal.jsonl as benchlab wrote them when run.json held every result whole
    (committed as written: a replay run of a 2-scenario pack, --repeat 2, one answer with reasoning)."""
    from benchlab.journal import JournalReader
    from benchlab.records import read_record

    raw = json.loads((SCHEMA2_RUN / "run.json").read_text())
    assert raw["schema_version"] == 2 and "response" in raw["results"][0]
    record = read_record(SCHEMA2_RUN)
    assert [(r.scenario_id, r.repeat, r.passed) for r in record.results] == [
        ("S1", 0, True), ("S1", 1, True), ("S2", 0, False), ("S2", 1, False)]
    assert all(r.journal_offset is None and r.answered for r in record.results)
    assert [r.reasoned for r in record.results] == [True, False, False, False]
    # Without offsets, the reader finds each result's journal line by its key.
    with JournalReader(SCHEMA2_RUN) as journal:
        full = [journal.full(r) for r in record.results]
    assert [(f.scenario_id, f.repeat, f.response.content) for f in full] == [
        ("S1", 0, "yes"), ("S1", 1, "yes"), ("S2", 0, "maybe"), ("S2", 1, "maybe")]
    assert full[0].response.reasoning == "They asked for yes."
    # Through the CLI: inspect --full shows the saved answer; rescore writes a schema 3 run with offsets.
    proc = benchlab("inspect", str(SCHEMA2_RUN), "--scenario", "words-2/S2", "--full")
    assert proc.returncode == 0 and "maybe" in proc.stdout, proc.stderr
    copy = tmp_path / "old"
    shutil.copytree(SCHEMA2_RUN, copy)
    pack = tmp_path / "words-2"
    pack.mkdir()
    for name in ("pack.toml", "scenarios.jsonl"):
        (pack / name).write_text((SCHEMA2_RUN.parents[1] / "schema2-pack" / name).read_text())
    record_data = json.loads((copy / "run.json").read_text())
    record_data["config"]["selection"]["packs"] = [str(pack)]
    (copy / "run.json").write_text(json.dumps(record_data))
    out = tmp_path / "out"
    proc = benchlab("rescore", str(copy), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    rescored = json.loads((only_run_dir(out) / "run.json").read_text())
    assert rescored["schema_version"] == SCHEMA_VERSION
    assert [r["passed"] for r in rescored["results"]] == [True, True, False, False]
    journal = (only_run_dir(out) / "journal.jsonl").read_bytes()
    for r in rescored["results"]:
        line = json.loads(journal[r["journal_offset"]:].split(b"\n", 1)[0])
        assert (line["scenario_id"], line["repeat"]) == (r["scenario_id"], r["repeat"]) and "response" in line
