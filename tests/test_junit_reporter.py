"""junit.xml, the JUnit reporter: totals equal the record, read back by an independent consumer.

Runs are real `benchlab run` subprocesses against the protocol-faithful fault server
(tests/servers/faults.py), which fails scenarios on purpose, and the replay backend. The
file is parsed with junitparser (PyPI) and the standard library's XML parser; hypothesis
feeds arbitrary text, every code point included, through the escaping.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import junitparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.plugins.reporters.junit import Node, serialized, xml_text
from helpers import benchlab, exact_scenario, only_run_dir, write_pack, write_replay
from servers.base import Answer, Script, running
from servers.faults import FaultServer
from test_exit_codes import UNAVAILABLE_PLUGIN

# scenario -> (prompt, expected answer, what junit.xml must call it)
CASES = {
    "pass": ("Say one", "one", "passed"),
    "wrong": ("Say two", "three", "failure"),  # the server says "two": a content failure
    "length": ("fault: length", "ok", "failure"),  # cut at the token limit: a runaway failure, the model's
    "down": ("fault: 500", "ok", "error"),  # HTTP 500 on every attempt: infrastructure
    "reset": ("fault: reset", "ok", "error"),
}


def result_kind(case: junitparser.TestCase) -> str:
    kinds = {type(r).__name__.lower() for r in case.result}
    assert len(kinds) <= 1, kinds
    return kinds.pop() if kinds else "passed"


def test_totals_equal_the_record_and_an_independent_consumer_reads_them(tmp_path):
    pack = write_pack(tmp_path / "faulty-5", [exact_scenario(sid, prompt, expected) for sid, (prompt, expected, _) in CASES.items()],
                      title="Faulty-5")
    plugin = tmp_path / "absent.py"
    plugin.write_text(UNAVAILABLE_PLUGIN)  # a pack whose dataset is missing: not scored
    out = tmp_path / "out"
    with running(FaultServer(Script({"Say one": Answer("one"), "Say two": Answer("two")}))) as server:
        proc = benchlab("run", "--plugin", str(plugin), "--backend", "openai", "--endpoint", server.url, "--pack", str(pack),
                        "--pack", "absent-1", "--out", str(out), "--no-progress", "--retries", "0", "--measured-tps", "50")
    assert proc.returncode == 3, proc.stderr
    run_dir = only_run_dir(out)
    record = json.loads((run_dir / "run.json").read_text())
    xml = junitparser.JUnitXml.fromfile(str(run_dir / "junit.xml"))

    # Totals: every result is a case; failures are scored non-passes, errors infrastructure, skipped not scored.
    packs = record["packs"]
    assert xml.tests == len(record["results"]) == 6
    assert xml.failures == sum(p["total"] - p["pass_count"] for p in packs) == 2
    assert xml.errors == sum(p["infrastructure_failures"] for p in packs) == 2
    assert xml.skipped == sum(p["not_scored"] for p in packs) == 1
    suites = {suite.name: suite for suite in xml}
    assert list(suites) == [p["pack"] for p in packs]
    for summary in packs:
        suite = suites[summary["pack"]]
        cases = list(suite)
        assert suite.tests == len(cases) == len([r for r in record["results"] if r["pack"] == summary["pack"]])
        assert (suite.failures, suite.errors, suite.skipped) == (
            summary["total"] - summary["pass_count"], summary["infrastructure_failures"], summary["not_scored"])
        assert sum(result_kind(c) == "passed" for c in cases) == summary["pass_count"]

    by_name = {case.name: case for case in suites["faulty-5"]}
    assert set(by_name) == {f"faulty-5/{sid}" for sid in CASES}
    for sid, (_, _, kind) in CASES.items():
        case = by_name[f"faulty-5/{sid}"]
        assert result_kind(case) == kind, sid
        assert case.classname == "faulty-5"
    wrong = by_name["faulty-5/wrong"].result[0]
    assert wrong.type == "wrong_answer" and wrong.message.startswith("wrong_answer: exact: expected 'three', got 'two'")
    assert by_name["faulty-5/wrong"].system_out == "two"  # what the model said
    assert by_name["faulty-5/length"].result[0].type == "token_limit"
    assert by_name["faulty-5/down"].result[0].type == "server_error"
    assert by_name["faulty-5/reset"].result[0].type == "http_error"
    [skipped] = list(suites["absent-1"])
    assert result_kind(skipped) == "skipped" and "dataset_unavailable: the absent-data package is not installed" in skipped.result[0].message
    # Properties: the key's parts on every case, the run's facts on the document.
    root = ET.parse(run_dir / "junit.xml").getroot()
    case_props = {p.get("name"): p.get("value") for p in root.find("testsuite/testcase/properties")}
    assert case_props == {"prompt_variant": "default", "thinking": "off", "repeat": "0"}
    run_props = {p.get("name"): p.get("value") for p in root.find("properties")}
    assert run_props["run_id"] == record["run_id"] and run_props["model"] == "fault-model"
    assert float(by_name["faulty-5/pass"].time) > 0  # the latency


def test_hostile_model_output_is_escaped_and_the_file_stays_valid(tmp_path):
    hostile = "x\x00y\x1b[31m]]></system-out><evil/>&amp;\ud800z\ufffe"
    pack = write_pack(tmp_path / "one-1", [exact_scenario("A", "Say OK", "OK")])
    replay = tmp_path / "r.jsonl"
    # json.dumps escapes the lone surrogate as \ud800, as a server's JSON body may.
    replay.write_text(json.dumps({"scenario": "one-1/A", "content": hostile}) + "\n")
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    run_dir = only_run_dir(out)
    # The journal keeps the answer exactly (the lone surrogate written as its JSON escape); run.json keeps the verdict.
    line = json.loads((run_dir / "journal.jsonl").read_text().splitlines()[-1])
    assert line["type"] == "result" and line["response"]["content"] == hostile
    raw = (run_dir / "junit.xml").read_bytes()
    raw.decode("utf-8")  # valid UTF-8
    assert b"\x00" not in raw and b"\x1b" not in raw and b"<evil/>" not in raw
    [case] = list(list(junitparser.JUnitXml.fromfile(str(run_dir / "junit.xml")))[0])
    assert case.system_out == "x\\x00y\\x1b[31m]]></system-out><evil/>&amp;\\ud800z\\ufffe"
    assert result_kind(case) == "failure"
    ET.fromstring(raw)  # a strict parser agrees


def test_repeats_and_thinking_arms_give_each_result_key_its_own_case(tmp_path):
    pack = write_pack(tmp_path / "one-1", [exact_scenario("A", "Say OK", "OK")])
    replay = write_replay(tmp_path / "r.jsonl", {"one-1/A": "OK"})
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress",
                    "--repeat", "2", "--enable-thinking", "--format", "junit")
    assert proc.returncode == 0, proc.stderr
    # --format junit prints the document junit.xml holds.
    assert proc.stdout == (only_run_dir(out) / "junit.xml").read_text()
    names = [case.name for case in list(junitparser.JUnitXml.fromstring(proc.stdout.encode()))[0]]
    assert names == ["one-1/A [thinking=on repeat=0]", "one-1/A [thinking=on repeat=1]"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())))
def test_any_text_survives_as_xml(text):
    """Every code point, surrogates and C0 controls included: escaped text always parses back as written."""
    safe = xml_text(text)
    element = ET.Element("system-out", {"message": safe})
    element.text = safe
    parsed = ET.fromstring(ET.tostring(element, encoding="utf-8"))
    assert parsed.get("message") == safe
    assert (parsed.text or "") == safe.replace("\r\n", "\n").replace("\r", "\n")  # XML's own line-end rule
    assert all(ch in "\t\n\r" or ord(ch) >= 0x20 for ch in safe) and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in safe)


# An element tree as the reporter builds one: tags and attribute names plain, values and text any string.
_names = st.sampled_from(["testcase", "properties", "property", "failure", "system-out", "a"])
_strings = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20) | st.sampled_from(["", " ", "\n", "a&<>\"\r\t]]>"])


@st.composite
def _trees(draw, depth: int = 0):
    node = Node(draw(_names), draw(st.dictionaries(_names, _strings, max_size=3)))
    if depth < 3 and draw(st.booleans()):
        node.children = draw(st.lists(_trees(depth + 1), min_size=1, max_size=3))
    else:
        node.text = draw(st.none() | _strings)
    return node


def _as_element_tree(node: Node) -> ET.Element:
    element = ET.Element(node.tag, dict(node.attrib))
    element.text = node.text
    element.extend(_as_element_tree(child) for child in node.children)
    return element


@settings(max_examples=300, deadline=None)
@given(tree=_trees(), level=st.integers(min_value=0, max_value=3))
def test_the_reporters_xml_is_what_element_tree_writes(tree: Node, level: int) -> None:
    """junit.xml is written as strings (a case per result); ElementTree, indented, writes the same."""
    element = _as_element_tree(tree)
    ET.indent(element, space="  ", level=level)
    assert serialized(tree, level) == ET.tostring(element, encoding="unicode").rstrip()


def test_format_prints_a_reporters_chunks_one_at_a_time_and_render_otherwise(capsys):
    """A reporter with ``render_chunks`` (JUnit's) is printed a piece at a time, never joined into
    one string (a 10,000-result document is 10 MB); one without it prints ``render``'s text."""
    from benchlab.run_command import print_rendered

    printed: list[str] = []

    class Chunked:
        def render(self, record):
            raise AssertionError("the whole text was built")

        def render_chunks(self, record):
            for piece in ("<a>", "b", "</a>\n"):
                assert capsys.readouterr().out == (printed[-1] if printed else "")  # the piece before is out already
                printed.append(piece)
                yield piece

    class Whole:
        def render(self, record):
            return f"whole {record}\n"

    print_rendered(Chunked(), "record")
    assert printed == ["<a>", "b", "</a>\n"] and capsys.readouterr().out == "</a>\n"  # the others were read as they came
    print_rendered(Whole(), "record")
    assert capsys.readouterr().out == "whole record\n"


@pytest.mark.llama
def test_junit_of_a_real_llama_server_run_matches_its_record(llama_server: str, tmp_path: Path):
    pack = write_pack(tmp_path / "words-3", [exact_scenario("S1", "Say one", "one"), exact_scenario("S2", "Say two", "two"),
                                             exact_scenario("S3", "Say three", "three")], title="Words-3")
    out = tmp_path / "out"
    proc = benchlab("run", "--endpoint", llama_server, "--pack", str(pack), "--out", str(out), "--no-progress", "--max-tokens", "16")
    assert proc.returncode == 0, proc.stderr
    run_dir = only_run_dir(out)
    record = json.loads((run_dir / "run.json").read_text())
    xml = junitparser.JUnitXml.fromfile(str(run_dir / "junit.xml"))
    [summary] = record["packs"]
    assert xml.tests == len(record["results"]) == 3
    assert xml.failures == summary["total"] - summary["pass_count"] and xml.errors == summary["infrastructure_failures"] == 0
    assert {case.name for suite in xml for case in suite} == {"words-3/S1", "words-3/S2", "words-3/S3"}
    root = ET.parse(run_dir / "junit.xml").getroot()
    run_props = {p.get("name"): p.get("value") for p in root.find("properties")}
    assert run_props["run_id"] == record["run_id"] and run_props["model"] == record["model"]
