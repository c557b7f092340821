"""The HTML pages without a browser: safe embedding, the Content-Security-Policy's hashes, no
inline handlers or styles whatever the data, chart geometry computed by hand, the reporter and
``benchlab report`` through the real CLI (errors, re-rendering, --open, secrets)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import benchlab, one_error_line
from html_runs import hostile_run, hostile_strings, replay_run, two_pack_run

from benchlab.plugins.reporters.html import charts
from benchlab.plugins.reporters.html.embed import safe_json
from benchlab.plugins.reporters.html.run_page import run_page
from benchlab.records import load_run


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: list[tuple[str, dict[str, str | None], str]] = []
        self._open: tuple[str, dict[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attributes)))
        if tag in ("script", "style"):
            self._open = (tag, dict(attributes))
            self._text: list[str] = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            self.blocks.append((tag, self._open[1], "".join(self._text)))
            self._open = None


def parse(path: Path) -> Elements:
    found = Elements()
    found.feed(path.read_text(encoding="utf-8"))
    return found


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.text() | st.integers() | st.none(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20))
def test_embedded_json_reads_back_exactly_and_holds_nothing_the_html_parser_reads(value):
    text = safe_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


def test_embedding_escapes_script_ends_and_separators_as_json_escapes():
    assert safe_json("</script><!--\u2028\ud800&") == "\"\\u003c/script\\u003e\\u003c!--\\u2028\\ud800\\u0026\""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    folder, lines = hostile_run(tmp, tmp / "out", 9)  # port 9 (discard): nothing listens, nothing may try
    return folder, lines


def test_the_policy_allows_exactly_the_inline_script_and_style_and_no_inline_handler_or_style(hostile):
    folder, _ = hostile
    page = parse(folder / "report.html")
    [policy] = [a["content"] for tag, a in page.tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    directives = dict((d.split(" ", 1) + [""])[:2] for d in (part.strip() for part in policy.split(";")))
    executable = [text for tag, a, text in page.blocks if tag == "script" and a.get("type") != "application/json"]
    [style] = [text for tag, _, text in page.blocks if tag == "style"]
    assert len(executable) == 1 and directives["script-src"] == sha256(executable[0])
    assert directives["style-src"] == sha256(style)
    assert directives["default-src"] == "'none'" and directives["img-src"] == "data:" and directives["connect-src"] == "'none'"
    assert "unsafe" not in policy
    for tag, attributes in page.tags:
        assert "style" not in attributes, tag
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        assert tag not in ("base", "link", "iframe", "img", "meta") or (tag == "meta" and "on" not in attributes), tag
        assert tag != "form" or attributes.get("class") == "filters"  # no model text became an element
    data = [a["id"] for tag, a, _ in page.blocks if tag == "script" and a.get("type") == "application/json"]
    assert data == ["data-rows", "data-transcripts"]
    # The pack's hostile title is text in the page, escaped: the parser reads it back as text.
    assert "<script>window.__pwned = 8</script>Hostile" in (folder / "report.html").read_text().replace("&lt;", "<").replace("&gt;", ">")


def test_the_data_blocks_hold_every_hostile_string_exactly(hostile):
    folder, lines = hostile
    page = parse(folder / "report.html")
    blocks = {a["id"]: json.loads(text) for tag, a, text in page.blocks if a.get("type") == "application/json"}
    transcripts = blocks["data-transcripts"]
    assert [t["turns"][0]["response"]["content"] for t in transcripts] == [line["content"] for line in lines]
    assert [t["turns"][0]["response"]["reasoning"] for t in transcripts] == [line["reasoning"] for line in lines]
    calls = [(t["turns"][0]["response"]["tool_calls"] or [None])[0] for t in transcripts]
    assert [c and c["arguments"] for c in calls] == [line.get("tool_calls", [{}])[0].get("function", {}).get("arguments") for line in lines]


def test_the_page_is_written_whole_and_rendered_again_identically(tmp_path):
    folder = two_pack_run(tmp_path, tmp_path / "out", sizes=(6, 4))
    first = (folder / "report.html").read_bytes()
    assert not [p for p in folder.iterdir() if p.name.startswith(".report.html")]  # no temporary file left behind
    proc = benchlab("report", folder.name, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(folder / "report.html")
    assert (folder / "report.html").read_bytes() == first
    os.chmod(folder, stat.S_IRUSR | stat.S_IXUSR)  # not writable: one error line, exit 1
    try:
        if os.geteuid() != 0:
            failed = benchlab("report", str(folder))
            assert failed.returncode == 1 and one_error_line(failed)
    finally:
        os.chmod(folder, stat.S_IRWXU)


def test_report_takes_exactly_one_of_run_diff_index_and_unknown_runs_are_one_line(tmp_path):
    out = tmp_path / "out"
    folder = two_pack_run(tmp_path, out, sizes=(3, 2))
    for args, says in ((("report", "--out", str(out)), "takes one of RUN"),
                       (("report", folder.name, "--index", "--out", str(out)), "got RUN and --index"),
                       (("report", "nope", "--out", str(out)), f"recent runs: {folder.name}"),
                       (("report", "--diff", folder.name, "nope", "--out", str(out)), "no run 'nope'"),
                       (("report", "--index", "--out", str(tmp_path / "missing")), "no such folder")):
        proc = benchlab(*args)
        assert proc.returncode == 1, (args, proc.stdout)
        assert says in one_error_line(proc), proc.stderr


def test_open_hands_the_written_page_to_the_users_browser(tmp_path):
    """``--open`` goes through Python's webbrowser module, which honours $BROWSER: a script here
    records what it was asked to open (a real browser cannot be shown on this machine)."""
    folder = two_pack_run(tmp_path, tmp_path / "out", sizes=(2, 2))
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f"#!/bin/sh\necho \"$1\" > {opened}\n")
    browser.chmod(0o755)
    proc = benchlab("report", str(folder), "--open", env={"BROWSER": str(browser)})
    assert proc.returncode == 0, proc.stderr
    assert opened.read_text().strip() == (folder / "report.html").resolve().as_uri()
    # webbrowser.open may report success with nothing on screen: the path is always said.
    assert f"opening {folder / 'report.html'} in your browser" in proc.stderr


def test_open_without_any_browser_warns_and_names_the_page(tmp_path):
    folder = two_pack_run(tmp_path, tmp_path / "out", sizes=(2, 2))
    proc = benchlab("report", str(folder), "--open",
                    env={"BROWSER": str(tmp_path / "no-such-browser"), "DISPLAY": "", "WAYLAND_DISPLAY": "", "PATH": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(folder / "report.html")
    assert f"benchlab: warning: no browser could be started; open {folder / 'report.html'} yourself" in proc.stderr


def test_diff_and_index_pages_are_written_where_the_readme_says(tmp_path):
    out = tmp_path / "out"
    a = two_pack_run(tmp_path, out, sizes=(4, 2), wrong_every=2)
    b = two_pack_run(tmp_path, out, sizes=(4, 2), wrong_every=3)
    diff = benchlab("report", "--diff", a.name, b.name, "--out", str(out))
    assert diff.returncode == 0, diff.stderr
    assert Path(diff.stdout.strip()) == out / f"diff-{a.name}-vs-{b.name}.html"
    index = benchlab("report", "--index", "--out", str(out))
    assert index.returncode == 0 and Path(index.stdout.strip()) == out / "index.html"
    page = parse(out / "index.html")
    rows = json.loads(next(text for tag, attrs_, text in page.blocks if attrs_.get("id") == "data-rows"))["rows"]
    assert [r["h"] for r in rows] == [f"{b.name}/report.html", f"{a.name}/report.html"]  # newest first, relative
    assert [r["f"]["pack"] for r in rows] == [["alpha-4", "beta-2"]] * 2
    # One pack trend per pack, one line (model) each, a point per run.
    assert len(re.findall(r'<figure class="trend"', (out / "index.html").read_text())) == 2
    custom = benchlab("report", "--index", "--out", str(out), "--output", str(tmp_path / "elsewhere" / "i.html"))
    assert custom.returncode == 0 and (tmp_path / "elsewhere" / "i.html").is_file()


def test_no_secret_reaches_any_page(tmp_path):
    """No key reaches report.html, the diff page, the index, a comparison's page or a ladder's:
    not one given with --api-key, nor credentials in the endpoint URL (user:key@host), nor the
    value of a models file's api_key_env (the records hold none, and the pages show only them)."""
    from servers.base import Answer, Script, TestServer, running
    from servers.openai_compat import OpenAIChat
    from helpers import write_pack, exact_scenario

    flag, userinfo, from_env = "sk-html-secret-789", "sk-html-userinfo-456", "sk-html-env-123"
    server = TestServer()
    OpenAIChat(Script({"Say OK": Answer("OK")}), model="m", api_key=None).install(server)  # takes any key
    pack = write_pack(tmp_path / "ok-1", [exact_scenario("S1", "Say OK", "OK")])
    out = tmp_path / "out"
    env = {"BENCHLAB_API_KEY": "", "OPENAI_API_KEY": "", "HTML_TEST_KEY": from_env}
    with running(server):
        with_userinfo = server.url.replace("http://", f"http://user:{userinfo}@")
        for credentials in (("--endpoint", with_userinfo), ("--endpoint", server.url, "--api-key", flag)):
            proc = benchlab("run", "--backend", "openai", *credentials, "--pack", str(pack), "--out", str(out),
                            "--timeout-per-case", "30", "--no-progress", env=env)
            assert proc.returncode == 0, proc.stderr
        models = tmp_path / "models.toml"
        models.write_text("".join(f'[[model]]\nname = "{name}"\nbackend = "openai"\nendpoint = "{server.url}"\n'
                                  'api_key_env = "HTML_TEST_KEY"\n\n' for name in ("first", "second")))
        for command in ("compare", "ladder"):
            proc = benchlab(command, "--models", str(models), "--pack", str(pack), "--out", str(out / command), "--no-progress",
                            env=env)
            assert proc.returncode == 0, proc.stderr
    # Each credential was really sent (the URL's user:key as HTTP Basic).
    sent = {logged.headers.get("authorization") for logged in server.log}
    assert sent == {"Basic " + base64.b64encode(f"user:{userinfo}".encode()).decode(), f"Bearer {flag}", f"Bearer {from_env}"}
    a, b = sorted(p.name for p in out.iterdir() if (p / "run.json").is_file())
    assert benchlab("report", "--diff", a, b, "--out", str(out)).returncode == 0
    assert benchlab("report", "--index", "--out", str(out)).returncode == 0
    pages = list(out.rglob("*.html"))
    assert len(list((out / "compare").glob("compare-*/report.html"))) == 1
    assert len([p for p in (out / "ladder").rglob("report.html") if (p.parent / "ladder.json").is_file()]) == 1
    assert len(pages) >= 7  # two runs, the diff, the index; the comparison, its two runs; the ladder
    for page in pages:
        text = page.read_text()
        for secret in (flag, userinfo, from_env):
            assert secret not in text, (page, secret)


def _record_with_repeats(tmp_path: Path):
    """A real run's record, its results replaced by 10 scenarios x 2 repeats: 8 pass both, 2 pass one."""
    folder = two_pack_run(tmp_path, tmp_path / "out", sizes=(1, 1))
    record = load_run(folder)
    template = record.results[1]  # a pass of alpha-1
    results = []
    for i in range(10):
        for repeat in (0, 1):
            passed = i < 8 or repeat == 0
            results.append(attrs.evolve(template, pack="alpha-1", scenario_id=f"S{i}", repeat=repeat, passed=passed,
                                        failure_mode=None if passed else record.results[0].failure_mode, latency_s=0.1 * (i + 1)))
    return attrs.evolve(record, results=results, packs=record.packs[:1])


def test_with_repeats_a_packs_bar_carries_its_clustered_95_interval(tmp_path):
    # Scenario rates: eight 1.0 and two 0.5. Mean 0.9; sample sd = sqrt((8 * 0.01 + 2 * 0.16) / 9) = 0.210819;
    # SE = 0.210819 / sqrt(10) = 0.066667; t(9, 0.975) = 2.262157; half width 0.150810: [0.749190, 1.05081 -> 1].
    [row] = run_page(_record_with_repeats(tmp_path)).context["packs"]
    assert row.bar == charts.Bar(90.0, 74.92, 100.0)
    assert row.interval_method and "clustered" in row.interval_method


def test_without_repeats_a_bar_has_no_interval():
    assert charts.bar(0.5) == charts.Bar(50.0, None, None)


def test_latency_histogram_bins_by_hand():
    # Slowest 3.7 s: the axis tops at 5 s; 10 bins of 0.5 s. 0.2, 0.4 -> bin 0; 1.1 -> bin 2; 3.7 -> bin 7; 5.0 -> last bin.
    h = charts.histogram([0.2, 0.4, 1.1, 3.7, 5.0], bins=10)
    assert h.top_s == 5 and h.counts == [2, 0, 1, 0, 0, 0, 0, 1, 0, 1]
    assert h.heights == [100.0, 0.0, 50.0, 0.0, 0.0, 0.0, 0.0, 50.0, 0.0, 50.0]
    # Nearest-rank p50 of 5 values is the 3rd (1.1 s, at 22% of the axis); p95 the 5th (5.0 s, at 100%).
    assert (h.p50_x, h.p95_x) == (22.0, 100.0)
    assert charts.histogram([]) is None
    assert [charts._nice_top(v) for v in (0.03, 0.7, 1.0, 1.2, 2.2, 7, 120)] == [0.05, 1.0, 1.0, 2.0, 2.5, 10, 200]


def test_trend_points_are_placed_oldest_left_best_at_the_top():
    [line] = charts.trend_lines({"m": [(100.0, 0.5, "a"), (150.0, 1.0, "b"), (200.0, 0.0, "c")]}, 100.0, 200.0)
    assert [(p.x, p.y) for p in line.points] == [(0.0, 50.0), (100.0, 0.0), (200.0, 100.0)]
    assert line.path == "0.0,50.0 100.0,0.0 200.0,100.0"


def test_a_plugins_report_section_appears_on_the_page_as_text(tmp_path):
    plugin = tmp_path / "section_plugin.py"
    plugin.write_text("from benchlab import hookimpl\n\n@hookimpl\ndef report_sections(record):\n"
                      "    return ['## Energy', '<b>not bold</b> 42 J per answer']\n")
    out = tmp_path / "out"
    folder = replay_run(tmp_path, out, [two_pack_run(tmp_path, tmp_path / "seed", sizes=(1, 1)).parent.parent / "packs" / "alpha-1"],
                        [{"scenario": "alpha-1/Q000", "content": "word0"}], "--plugin", str(plugin))
    text = (folder / "report.html").read_text()
    assert "&lt;b&gt;not bold&lt;/b&gt; 42 J per answer" in text and "<b>not bold" not in text
    assert re.search(r'<section class="plugin-section"><h3>[^<]*section_plugin\.py</h3>', text)


def test_a_run_that_never_wrote_run_json_is_rendered_from_its_journal(tmp_path):
    folder = two_pack_run(tmp_path, tmp_path / "out", sizes=(3, 2))
    (folder / "run.json").unlink()  # as if the run had been killed before its end
    (folder / "report.html").unlink()
    proc = benchlab("report", str(folder))
    assert proc.returncode == 0, proc.stderr
    text = (folder / "report.html").read_text()
    assert "<dt>State</dt><dd>INCOMPLETE</dd>" in text and "read from journal.jsonl" in text
    rows = json.loads(next(t for tag, a, t in parse(folder / "report.html").blocks if a.get("id") == "data-rows"))["rows"]
    assert len(rows) == 5


def test_a_comparison_page_shows_an_unavailable_model_with_the_command_that_plays_it(tmp_path):
    import socket

    with socket.socket() as sock:  # a port nothing listens on: the model cannot start
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from helpers import exact_scenario, write_pack

    pack = write_pack(tmp_path / "mini", [exact_scenario(f"S{i}", f"Say {i}", str(i)) for i in range(1, 4)], title="Mini")
    (tmp_path / "small.jsonl").write_text("".join(json.dumps({"scenario": f"mini/S{i}", "content": str(i)}) + "\n" for i in range(1, 4)))
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nname = "small"\nbackend = "replay"\nreplay = "small.jsonl"\n\n'
                      f'[[model]]\nname = "down"\nbackend = "openai"\nendpoint = "http://127.0.0.1:{port}"\n')
    out = tmp_path / "out"
    played = benchlab("compare", "--models", str(models), "--pack", str(pack), "--out", str(out), "--no-progress")
    assert played.returncode == 3, played.stderr
    [folder] = out.glob("compare-*")
    written = (folder / "report.html").read_text()  # benchlab compare wrote it at its end
    proc = benchlab("report", folder.name, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = (folder / "report.html").read_text()
    assert text == written  # and report writes the same page again
    assert "UNAVAILABLE: " in text and f"benchlab compare --resume {folder.name.removeprefix('compare-')}" in text
    assert "The complete outputs of every model are in compare.md and report.html." in played.stdout
    assert not (folder / "compare.html").exists()  # the page's former name
    rows = json.loads(next(t for tag, a, t in parse(folder / "report.html").blocks if a.get("id") == "data-rows"))["rows"]
    assert [r["c"][2:] for r in rows] == [["pass", rows[0]["c"][3]]] * 3 and rows[0]["c"][3].startswith("UNAVAILABLE")
    assert all(r["t"][1] is None for r in rows)  # no output to open for the model that never answered


def _blocks(path: Path) -> dict[str, Any]:
    return {a["id"]: json.loads(text) for tag, a, text in parse(path).blocks if a.get("type") == "application/json"}


def test_a_diffs_transcripts_are_each_runs_own_answers_read_from_its_journal(tmp_path):
    """run.json keeps summaries: each side's answer on the diff page comes from that run's journal."""
    out = tmp_path / "out"
    a = two_pack_run(tmp_path, out, sizes=(4, 2), wrong_every=2)
    b = two_pack_run(tmp_path, out, sizes=(4, 2), wrong_every=3)
    assert '"content"' not in (a / "run.json").read_text()  # the answers are in the journal only
    proc = benchlab("report", "--diff", a.name, b.name, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    blocks = _blocks(Path(proc.stdout.strip()))
    rows, shown = blocks["data-rows"]["rows"], blocks["data-transcripts"]
    assert len(rows) == 6 and len(shown) == 12
    for row in rows:
        i = int(row["c"][0].split("/Q")[1])
        for every, number in zip((2, 3), row["t"]):
            assert shown[number]["title"] == row["c"][0]
            assert shown[number]["turns"][0]["response"]["content"] == (f"word{i}" if i % every else f"wrong{i}")


def test_a_negative_controls_folder_has_no_journal_and_its_page_shows_the_junk_from_run_json(tmp_path):
    """The reporter given a record whose folder keeps its results whole in run.json (no journal)."""
    from helpers import exact_scenario, write_pack

    from benchlab.plugins.reporters.html import REPORTER
    from benchlab.records import read_record

    pack = write_pack(tmp_path / "mini-2", [exact_scenario(f"S{i}", f"Say {i}", str(i)) for i in range(2)])
    out = tmp_path / "out"
    played = benchlab("run", "--negative-control", "--pack", str(pack), "--out", str(out), "--no-progress")
    assert played.returncode == 0, played.stderr
    [folder] = [p for p in out.iterdir() if (p / "run.json").is_file()]
    assert not (folder / "journal.jsonl").exists()
    kept = json.loads((folder / "run.json").read_text())["results"]
    REPORTER.write(read_record(folder), folder)
    shown = _blocks(folder / "report.html")["data-transcripts"]
    assert len(shown) == len(kept) > 0
    assert [t["turns"][0]["response"]["content"] for t in shown] == [r["response"]["content"] for r in kept]


def test_a_ladder_timeline_places_each_attempt_by_its_time_against_the_slowest_scenario():
    from benchlab.ladder import AttemptRecord
    from benchlab.model import Check, FailureMode
    from benchlab.plugins.reporters.html.ladder_page import timeline

    def attempt(number, passed, elapsed, answered=True, error=None, mode=None):
        return AttemptRecord(number=number, model=f"m{number}", passed=passed, checks=[Check("c", passed, "")],
                             failure_mode=mode, detail="", latency_s=elapsed, prompt_tokens=None, completion_tokens=None,
                             cost_usd=None, error=error, answered=answered, learning_context=number > 1, started_at="",
                             elapsed_s=elapsed)

    steps = timeline([attempt(1, False, 1.0, answered=False, error="unreachable", mode=FailureMode.ENDPOINT_UNREACHABLE),
                      attempt(2, False, 3.0, mode=FailureMode.WRONG_ANSWER), attempt(3, True, 2.0)], longest_s=8.0)
    # 1/8, 3/8 and 2/8 of the chart, one after another.
    assert [(s.x, s.width, s.verdict) for s in steps] == [(0.0, 12.5, "infra"), (12.5, 37.5, "fail"), (50.0, 25.0, "pass")]
    assert steps[1].label == "attempt 2: m2, checks 0/1, 3.00s"


def _every_part_result():
    """A result with every part a transcript shows: two turns, tool calls (one with unparsed
    arguments), raw bodies repeating the answer and the reasoning, attempts, checks, artifacts."""
    from benchlab.model import Attempt, ChatRequest, ChatResponse, Check, FailureMode, ScenarioResult, ToolCall, Turn, Usage

    long, answer = "step by step " * 10, "the answer is 42 " * 5
    first = ChatRequest(scenario="p/S", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "go"}],
                        tools=[{"type": "function", "function": {"name": "look"}}], max_tokens=99, thinking=True, sampling={"temperature": 0})
    asked = ChatResponse(content="", reasoning=long, tool_calls=[ToolCall("look", {"q": "<b>"}, "c1"), ToolCall("bad", "{x", "c2", "{x")],
                         finish_reason="tool_calls", usage=Usage(1, 2, 3), status_code=200,
                         raw={"choices": [{"message": {"reasoning_content": long, "tool_calls": []}}], "id": long[:10]})
    said = {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "look", "arguments": "{}"}}]}
    second = ChatRequest(scenario="p/S", messages=[*first.messages, said, {"role": "tool", "name": "look", "content": {"found": 1}}],
                         tools=first.tools, max_tokens=99, thinking=True)
    final = ChatResponse(content=answer, finish_reason="stop", status_code=200, raw={"choices": [{"message": {"content": answer}}]})
    return ScenarioResult(
        pack="p", scenario_id="S", passed=False, score=0.5, failure_mode=FailureMode.WRONG_ANSWER, detail="b: no", latency_s=1.5,
        checks=[Check("a", True), Check("b", False, "no")], request=first, response=final, turns=[Turn(first, asked), Turn(second, final)],
        attempts=[Attempt(1, FailureMode.SERVER_ERROR, "busy", 0.25, 503)], artifacts={"stdout": "out\n", "exit": {"code": 1}},
        repeat=2, thinking="on", prompt_variant="terse", timeout_s=30.0, started_at="2026-01-01T00:00:00Z")


def test_a_transcript_is_built_from_the_journal_line_as_parsed_with_every_part_of_the_result():
    """Pages build each transcript from its journal line (no structured result in between); the
    expected data is what the transcript of the structured result was before that change."""
    from benchlab.codec import dumps
    from benchlab.plugins.reporters.html.transcripts import transcript

    result = _every_part_result()
    line = json.loads(dumps(result))
    del line["schema_version"]
    long, answer = "step by step " * 10, "the answer is 42 " * 5
    expected = {
        "title": "p/S", "label": "variant terse, thinking on, repeat 2", "verdict": "fail", "mode": "wrong_answer", "detail": "b: no",
        "latency_s": 1.5, "timeout_s": 30.0, "started_at": "2026-01-01T00:00:00Z",
        "attempts": [{"number": 1, "mode": "server_error", "detail": "busy", "elapsed_s": 0.25, "status_code": 503}],
        "turns": [
            {"request": {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "go"}],
                         "settings": '{"max_tokens": 99, "thinking": true, "sampling": {"temperature": 0}}', "tools": ["look"]},
             "response": {"content": "", "reasoning": long, "tool_calls": [{"name": "look", "arguments": '{"q": "<b>"}'}, {"name": "bad", "arguments": "{x"}],
                          "finish_reason": "tool_calls", "status_code": 200,
                          "raw": {"choices": [{"message": {"reasoning_content": {"benchlab:same-as": "reasoning"}, "tool_calls": []}}], "id": long[:10]},
                          "raw_refs": True}},
            # The second request shows only what it adds: the tool's result.
            {"request": {"messages": [{"role": "tool", "content": '{"found": 1}', "name": "look"}],
                         "settings": '{"max_tokens": 99, "thinking": true, "sampling": {}}'},
             "response": {"content": answer, "reasoning": None, "tool_calls": [], "finish_reason": "stop", "status_code": 200,
                          "raw": {"choices": [{"message": {"content": {"benchlab:same-as": "content"}}}]}, "raw_refs": True}},
        ],
        "checks": [{"name": "a", "ok": True, "detail": ""}, {"name": "b", "ok": False, "detail": "no"}],
        "artifacts": [{"name": "stdout", "text": "out\n", "block": True}, {"name": "exit", "text": '{"code": 1}', "block": False}],
    }
    assert transcript(line) == expected
    assert list(transcript(line)) == list(expected)  # the page's JSON keeps the same order
    assert transcript(result) == expected  # a whole result given in code (a comparison's) reads the same
    summary = transcript(result.summary())  # an exchange that cannot be read back: the verdict and its checks
    assert summary["turns"] == [] and {k: v for k, v in summary.items() if k != "turns"} == {k: v for k, v in expected.items() if k != "turns"}


@pytest.mark.parametrize("count", [0, 1, 63, 64, 65, 200])
def test_a_streamed_block_is_the_json_of_its_lists_whole(count):
    """A data block whose object holds Streams (the run table's rows) is written a chunk at a time,
    and its text is exactly safe_json's of the same object with the lists whole."""
    from benchlab.plugins.reporters.html.page import Stream, _block

    rows = [{"c": [f"p/S{i}", "</script>&<!--\u2028"], "t": [i]} for i in range(count)]
    text = "".join(_block({"columns": 5, "rows": Stream(iter(rows)), "after": {"x": 1}}))
    assert text == safe_json({"columns": 5, "rows": rows, "after": {"x": 1}})
    assert "".join(_block(Stream(iter(rows)))) == safe_json(rows)


def test_with_repeats_a_comparisons_bars_carry_the_interval_clustered_by_scenario(tmp_path):
    """Two models, --repeat 2, 10 scenarios: model a passes 8 both times and 2 once; b passes
    every repeat of all 10. Clustered as on a run's page, not Wilson over the 20 results."""
    from helpers import exact_scenario, write_pack

    from benchlab.plugins.reporters.html.compare_page import compare_page, load_comparison

    pack = write_pack(tmp_path / "rep-10", [exact_scenario(f"S{i}", f"Say {i}", str(i)) for i in range(10)])
    out = tmp_path / "out"
    answers = {"a": lambda i, repeat: str(i) if i < 8 or repeat == 0 else "no", "b": lambda i, repeat: str(i)}
    runs = []
    for model, answer in answers.items():
        lines = [{"scenario": f"rep-10/S{i}", "content": answer(i, repeat)} for i in range(10) for repeat in (0, 1)]
        runs.append(replay_run(tmp_path, out, [pack], lines, "--repeat", "2", "--model", model).name)
    played = benchlab("compare", *runs, "--out", str(out))
    assert played.returncode == 0, played.stderr
    [folder] = out.glob("compare-*")
    [group] = compare_page(*load_comparison(folder)).context["groups"]
    # a: see test_with_repeats_a_packs_bar_carries_its_clustered_95_interval (Wilson over 18/20 would be 69.9-97.2).
    # b: every scenario 1.0, no spread: Wilson over the 10 scenario means (10/10: 72.25-100).
    assert [b["bar"] for b in group["bars"]] == [charts.Bar(90.0, 74.92, 100.0), charts.Bar(100.0, 72.25, 100.0)]
    assert [b["clustered"] for b in group["bars"]] == [True, True]
    assert "clustered by scenario" in (folder / "report.html").read_text()


def test_a_diffs_row_cuts_a_long_detail_with_an_ellipsis(tmp_path):
    from benchlab.diff import diff_runs
    from benchlab.plugins.reporters.html.diff_page import diff_page

    out = tmp_path / "out"
    a = two_pack_run(tmp_path, out, sizes=(1, 1), wrong_every=2)  # Q000 wrong, as in every run here
    b = two_pack_run(tmp_path, out, sizes=(1, 1), wrong_every=2)
    long = load_run(b)
    detail = "exact: " + "x" * 1000  # a verifier's detail may be long: the row shows its start
    long = attrs.evolve(long, results=[attrs.evolve(r, detail=detail) for r in long.results])
    rows = diff_page(diff_runs(load_run(a), long), (a, b)).data["rows"]["rows"]
    assert [r["c"][4] for r in rows] == [detail[:300] + "…"] * 2
    short = diff_page(diff_runs(load_run(a), load_run(b)), (a, b)).data["rows"]["rows"]
    assert not any(r["c"][4].endswith("…") for r in short)


def test_with_two_thinking_arms_the_packs_status_is_shown_once_as_report_md_does(tmp_path):
    """report.md shows one Status per pack (arms side by side); the page's arm rows must not each
    claim the pack's status as their own."""
    from benchlab.plugins.reporters.html.page import write_page

    folder = two_pack_run(tmp_path, tmp_path / "out", sizes=(2, 2))
    record = load_run(folder)
    results = [attrs.evolve(r, thinking=arm) for r in record.results for arm in ("off", "on")]
    record = attrs.evolve(record, results=results)
    packs = run_page(record).context["packs"]
    assert [(p.arm, p.status_rows) for p in packs] == [("off", 2), ("on", 0), ("off", 2), ("on", 0)]
    text = write_page(run_page(record, folder), tmp_path / "arms.html").read_text()
    assert len(re.findall(r'<td class="status" rowspan="2">', text)) == 2
    assert text.count('<td class="status"') == 2
