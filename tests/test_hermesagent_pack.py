"""Pack hermesagent-20: its manifest and scenarios, its deterministic tools (``tools.py``), and
its proof transcripts played through the real ``tool_loop`` driver: the real CLI runs the
gold transcripts (20/20), the alternative ones (20/20) and the near-misses (0/20, each at its
named check), the gold transcripts also come turn by turn from a protocol-faithful OpenAI
server over HTTP, the negative control lets no junk through, and multi-turn junk (another
scenario's whole gold transcript, the gold actions with a junk final answer, a model that
never stops calling tools) fails every scenario."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import importlib.util
import json
import re
import statistics
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.backends import BackendOptions
from benchlab.model import FailureMode, ScenarioResult
from benchlab.negative_control import PLAUSIBLE_JSON, REFUSAL
from benchlab.pack_loader import resolve_pack
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.backends.replay_backend import ReplayBackend
from benchlab.config import Budgets
from benchlab.runner import Runner, RunSettings, WorkItem
from helpers import REPO, benchlab, full_results, run_record
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat

PACK_ID = "hermesagent-20"
FOLDER = REPO / "packs" / PACK_ID
PROOFS = FOLDER / "proofs.jsonl"
IDS = [f"HA-{n:02d}" for n in range(1, 21)]


@pytest.fixture(scope="module")
def plugins():
    return load_plugins([])


@pytest.fixture(scope="module")
def pack(plugins):
    return resolve_pack(PACK_ID, plugins.packs, plugins.verifiers, plugins.drivers)


def load_tools_module() -> Any:
    spec = importlib.util.spec_from_file_location("hermesagent_tools_under_test", FOLDER / "tools.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


T = load_tools_module()


def proof_cases(kind: str) -> dict[str, dict[str, Any]]:
    """Scenario id -> its proof case of ``kind`` (gold, alternative, near_miss) in proofs.jsonl."""
    cases = [json.loads(line) for line in PROOFS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {c["scenario"]: c for c in cases if c["kind"] == kind}


def transcripts(kind: str) -> dict[str, list[dict[str, Any]]]:
    """Scenario id -> the recorded responses of one kind of proof, in turn order."""
    return {sid: case["turns"] for sid, case in proof_cases(kind).items()}


def replay_file(path: Path, kind: str) -> Path:
    """The proofs of one kind as a --replay file: one line per turn, in turn order."""
    rows = [{**turn, "scenario": f"{PACK_ID}/{sid}"} for sid, turns in transcripts(kind).items() for turn in turns]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def called(lines: list[dict[str, Any]]) -> list[str]:
    return [c["function"]["name"] for line in lines for c in line.get("tool_calls", [])]


# --- the pack ----------------------------------------------------------------------------------


def test_manifest_and_registration(plugins, pack) -> None:
    m = pack.manifest
    assert (m.title, m.dimension, m.floor, m.default_thinking, m.default_max_seconds) == (
        "HermesAgent-20", "multi-step agent tool use: chained calls, recall, delegation", 0.6, False, 180)
    assert "floor" in m.description and len(m.description) > 300
    assert plugins.packs.get(PACK_ID).modes == ("full",)
    assert [s.id for s in pack.scenarios] == IDS
    assert {(s.driver, s.verifier.kind) for s in pack.scenarios} == {("tool_loop", "agent_trace")}


def test_every_offered_tool_is_implemented_and_every_proof_calls_only_offered_tools(pack) -> None:
    for scenario in pack.scenarios:
        offered = {t["function"]["name"] for t in scenario.tools}
        assert offered <= set(T.TOOLS), scenario.id
        params = scenario.verifier.params
        expected = {c["name"] for c in params.get("calls", []) + params.get("forbidden", [])} | set(params.get("max_calls_per_tool", {}))
        assert expected <= offered, scenario.id
        for kind in ("gold", "alternative", "near_miss"):
            assert set(called(transcripts(kind)[scenario.id])) <= offered, (kind, scenario.id)


def test_the_pack_covers_each_kind_of_agent_work(pack) -> None:
    tags = {tag: [s.id for s in pack.scenarios if tag in s.tags] for s in pack.scenarios for tag in s.tags}
    for tag in ("chained", "recall", "cron", "artifact", "delegation", "error-recovery", "restraint", "derived-argument"):
        assert tags.get(tag), tag
    kinds = {key for s in pack.scenarios for key in s.verifier.params}
    assert kinds >= {"calls", "order", "forbidden", "max_calls", "max_calls_per_tool", "state", "answer"}


# --- the tools ---------------------------------------------------------------------------------


SESSION = [
    ("web_search", {"query": "Lakeside Robotics Fair 2024"}), ("fetch_page", {"url": "https://quill.example/releases"}),
    ("search_orders", {"customer": "DANA.WHITFIELD@example.com"}), ("get_order", {"order_id": "ORD-57102"}),
    ("memory_store", {"key": "k", "value": "v"}), ("memory_recall", {"key": "k"}), ("memory_search", {"query": ""}),
    ("cron_add", {"name": "j", "schedule": "5 4 * * sun", "command": "/bin/true"}), ("cron_list", {}),
    ("write_file", {"path": "./a//b.txt", "content": "hi"}), ("list_files", {"path": "a"}), ("read_file", {"path": "a/b.txt"}),
    ("create_artifact", {"title": "t", "mime_type": "application/json", "content": "[1, 2]"}),
    ("delegate_task", {"agent": "analyst", "task": "mean of: 1, 2, 4"}), ("delegate_task", {"agent": "researcher", "task": "old mill chimney"}),
    ("calculate", {"expression": "(3 + 4) * 2.5"}), ("delete_file", {"path": "a/b.txt"}),
]


def play(session: list[tuple[str, dict[str, Any]]], state: dict[str, Any]) -> list[Any]:
    return [T.TOOLS[name](copy.deepcopy(arguments), state) for name, arguments in session]


def test_tools_are_deterministic_and_their_results_are_json() -> None:
    first_state: dict[str, Any] = {}
    second_state: dict[str, Any] = {}
    first, second = play(SESSION, first_state), play(SESSION, second_state)
    assert first == second and first_state == second_state
    assert json.loads(json.dumps(first)) == first
    # a fresh module gives the same answers: nothing is kept between plays outside ``state``
    fresh, fresh_state = load_tools_module(), {}
    assert [fresh.TOOLS[name](copy.deepcopy(arguments), fresh_state) for name, arguments in SESSION] == first
    assert first_state["files"] == {} and first_state["memory"] == {"k": "v"} and len(first_state["cron"]["jobs"]) == 1


ARG_VALUES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.lists(st.integers(), max_size=3)
ARGS = st.dictionaries(st.sampled_from(["query", "url", "customer", "order_id", "key", "value", "name", "schedule", "command",
                                        "id", "path", "content", "title", "mime_type", "agent", "task", "expression"]),
                       ARG_VALUES | st.sampled_from(["analyst", "researcher", "application/json", "*/5 * * * *", "/bin/x", "1/0", "2**99"]),
                       max_size=5)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(T.TOOLS)), arguments=ARGS)
def test_any_arguments_give_a_json_result_or_an_error_the_driver_shows(name: str, arguments: dict[str, Any]) -> None:
    state = {"files": {"a.txt": "x"}, "memory": {"k": "v"}, "cron": {"jobs": []}}
    try:
        result = T.TOOLS[name](arguments, state)
    except (KeyError, TypeError, ValueError) as exc:
        assert str(exc)
        return
    json.dumps(result, default=str)


def test_a_wrong_url_gives_another_page_or_a_404() -> None:
    right = T.fetch_page({"url": "https://lakesidefair.example/news/2024-recap-7f3a"}, {})
    other = T.fetch_page({"url": "https://lakesidefair.example/news/2023-recap-c81d"}, {})
    typo = T.fetch_page({"url": "https://lakesidefair.example/news/2024-recap"}, {})
    assert right["status"] == other["status"] == 200 and "18,430" in right["text"] and "18,430" not in other["text"]
    assert typo == {"url": "https://lakesidefair.example/news/2024-recap", "status": 404, "text": "Not Found"}
    moved = T.fetch_page({"url": "https://heritage.example/towers/harbor-light"}, {})
    assert moved["status"] == 301 and T.fetch_page({"url": moved["moved_to"]}, {})["status"] == 200


def test_every_search_result_can_be_fetched_and_snippets_hold_no_answer() -> None:
    for query in ("lakeside robotics fair", "harbor light tower height", "old mill chimney", "quill cli release"):
        results = T.web_search({"query": query}, {})["results"]
        assert results
        for result in results:
            assert T.fetch_page({"url": result["url"]}, {})["status"] in (200, 301)
            assert not re.search(r"18,430|16,905|\b47 metres|38\.5|3\.8\.1", result["snippet"])
    assert T.web_search({"query": "zebra migration"}, {})["results"] == []


def test_orders_memory_and_files_answer_wrong_arguments_visibly() -> None:
    assert T.get_order({"order_id": "ORD-99999"}, {}) == {"order_id": "ORD-99999", "found": False}
    with pytest.raises(ValueError, match="ORD-12345"):
        T.get_order({"order_id": "58213"}, {})
    state = {"memory": {"studio_wifi_password": "kelp-orbit-42", "home_wifi_password": "x"}}
    assert T.memory_recall({"key": "studio_wifi"}, state) == {"key": "studio_wifi", "found": False, "value": None}
    found = T.memory_search({"query": "Wi-Fi"}, state)
    assert found["keys"] == ["home_wifi_password", "studio_wifi_password"] and "kelp" not in json.dumps(found)
    files = {"files": {"config.yml": "a", "sub/x.md": "b"}}
    with pytest.raises(ValueError, match=r"no such file: config.yaml; files in .: config.yml$"):
        T.read_file({"path": "config.yaml"}, files)
    assert T.read_file({"path": "./sub//x.md"}, files)["content"] == "b"
    with pytest.raises(ValueError, match="not valid JSON"):
        T.create_artifact({"title": "t", "mime_type": "application/json", "content": "{oops"}, {})


@pytest.mark.parametrize("schedule, reason", [
    ("0 0 6 ? * MON-FRI", "expected 5 fields"), ("* * * *", "got 4"), ("60 * * * *", "minute: 60 is out of range 0-59"),
    ("0 24 * * *", "hour: 24 is out of range 0-23"), ("0 0 0 * *", "day_of_month: 0 is out of range 1-31"),
    ("0 0 * 13 *", "month: 13"), ("0 0 * * 8", "day_of_week: 8"), ("5/10 * * * *", "a step needs a range"),
    ("*/0 * * * *", "step '0'"), ("0 17-9 * * *", "runs backwards"), ("0 9 * * mon-fry", "'fry' is not a number or a name"),
    ("0,,5 * * * *", "empty list item"), ("@fortnightly", "expected 5 fields"),
])
def test_a_malformed_schedule_is_an_error_that_says_why(schedule: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        T.cron_add({"name": "j", "schedule": schedule, "command": "/bin/true"}, {})


def test_equivalent_schedules_expand_alike() -> None:
    same = [("*/15 9-17 * * 1-5", "0,15,30,45 9-17 * * MON-FRI"), ("30 2 * * 0", "30 02 * * 7"), ("30 2 * * SUN", "30 2 * * sun"),
            ("@daily", "0 0 * * *"), ("0 0 1-31 * *", "0 0 * * *"), ("0 */6 * * *", "0 0,6,12,18 * * *")]
    for a, b in same:
        assert T.parse_schedule(a) == T.parse_schedule(b), (a, b)
    # cron's rule: with both day fields restricted, either one is enough
    assert T.parse_schedule("0 0 13 * 5")["day_rule"] == "either" and T.parse_schedule("0 0 13 * *")["day_rule"] == "both"


def _brute_next(schedule: str, now: dt.datetime) -> str:
    """The next firing found by trying every minute: an independent oracle for ``next_run``."""
    minute, hour, dom, month, dow = schedule.split()
    def ok(value: int, field: str) -> bool:
        return field == "*" or value in {int(x) for x in field.split(",")}
    moment = now.replace(second=0) + dt.timedelta(minutes=1)
    for _ in range(60 * 24 * 40):
        weekday = moment.isoweekday() % 7
        days = (ok(moment.day, dom) or ok(weekday, dow)) if dom != "*" and dow != "*" else (ok(moment.day, dom) and ok(weekday, dow))
        if ok(moment.minute, minute) and ok(moment.hour, hour) and ok(moment.month, month) and days:
            return moment.isoformat(timespec="minutes")
        moment += dt.timedelta(minutes=1)
    raise AssertionError("no run within 40 days")


@pytest.mark.parametrize("schedule", ["30 2 * * 0", "0,15,30,45 9,10,11 * * 1,2,3,4,5", "15 6 * * *", "0 0 13 * 5", "0 8 4 * *",
                                      "59 23 * * 6", "0 12 31 * *", "5 8 * 3 1"])
def test_next_run_matches_a_minute_by_minute_search(schedule: str) -> None:
    now = dt.datetime(2025, 3, 3, 8, 0)
    state: dict[str, Any] = {"now": now.isoformat()}
    result = T.cron_add({"name": "j", "schedule": schedule, "command": "/bin/true"}, state)
    assert result["next_run"] == _brute_next(schedule, now)


def test_cron_rejects_relative_or_unknown_programs_and_duplicate_names_and_unknown_ids() -> None:
    state: dict[str, Any] = {"executables": ["/opt/scripts/report.py"]}
    with pytest.raises(ValueError, match="not an absolute path.*/opt/scripts/report.py"):
        T.cron_add({"name": "r", "schedule": "15 6 * * *", "command": "python3 report.py"}, state)
    with pytest.raises(ValueError, match="/opt/x.py does not exist"):
        T.cron_add({"name": "r", "schedule": "15 6 * * *", "command": "/opt/x.py"}, state)
    added = T.cron_add({"name": "r", "schedule": "15 6 * * *", "command": "/usr/bin/python3 /opt/scripts/report.py"}, state)
    assert re.fullmatch(r"job-[0-9a-f]{6}", added["id"]) and added["next_run"] == "2025-03-04T06:15"
    with pytest.raises(ValueError, match="already exists"):
        T.cron_add({"name": "r", "schedule": "0 7 * * *", "command": "/opt/scripts/report.py"}, state)
    with pytest.raises(ValueError, match="no job with id 'job-000000'"):
        T.cron_remove({"id": "job-000000"}, state)
    assert T.cron_remove({"id": added["id"]}, state) == {"removed": added["id"], "name": "r"} and state["cron"]["jobs"] == []


def test_delegation_answers_are_computed_from_the_task() -> None:
    data = [212, 180, 305, 199, 260, 231]
    result = T.delegate_task({"agent": "analyst", "task": "median and max of these 6 times (ms): " + ", ".join(map(str, data))}, {})
    assert result["numbers"] == data and result["results"] == {"median": statistics.median(data), "max": max(data)}
    fewer = T.delegate_task({"agent": "analyst", "task": "median of: " + ", ".join(map(str, data[:-1]))}, {})
    assert fewer["results"]["median"] == statistics.median(data[:-1]) != result["results"]["median"]
    assert "47 metres" in T.delegate_task({"agent": "Researcher", "task": "How tall is the Harbor Light tower?"}, {})["finding"]
    assert "38.5" in T.delegate_task({"agent": "researcher", "task": "Old Mill chimney height"}, {})["finding"]
    with pytest.raises(ValueError, match="available: analyst, researcher"):
        T.delegate_task({"agent": "coder", "task": "x"}, {})


@pytest.mark.parametrize("expression, expected", [("47 * 3.28084", 154.1995), ("2 ** 10", 1024), ("(1 + 2) * -3", -9), ("7 // 2 + 7 % 2", 4), ("3^2", 9)])
def test_calculate(expression: str, expected: float) -> None:
    assert T.calculate({"expression": expression}, {})["result"] == expected


@pytest.mark.parametrize("expression", ["__import__('os')", "x + 1", "(1).real", "len([1])", "1/0", "9**9**9", "(-8) ** 0.5", "1e308 * 10", "", "1 +"])
def test_calculate_refuses_anything_but_finite_arithmetic(expression: str) -> None:
    with pytest.raises(ValueError):
        T.calculate({"expression": expression}, {})


# --- the proof transcripts through the real CLI ------------------------------------------------------


def cli_run(tmp_path: Path, kind: str) -> dict[str, Any]:
    out = tmp_path / f"results-{kind}"
    replay = replay_file(tmp_path / f"{kind}.jsonl", kind)
    result = benchlab("run", "--pack", PACK_ID, "--replay", str(replay), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    record = run_record(out)
    record["results"] = full_results(out)  # with each result's turns, from the journal
    record["stdout"] = result.stdout
    return record


def served_turns(result: dict[str, Any]) -> int:
    return len(result["turns"]) or 1


@pytest.mark.parametrize("kind", ["gold", "alternative"])
def test_real_cli_run_passes_every_gold_and_alternative_transcript(tmp_path: Path, kind: str) -> None:
    record = cli_run(tmp_path, kind)
    assert [(p["pack"], p["pass_count"], p["total"]) for p in record["packs"]] == [(PACK_ID, 20, 20)]
    assert all(r["passed"] and r["score"] == 1.0 for r in record["results"]), [r["detail"] for r in record["results"] if not r["passed"]]
    assert "HermesAgent-20 20/20" in record["stdout"]
    # every recorded line was played: no transcript ended early behind the driver's back
    lines = transcripts(kind)
    assert {r["scenario_id"]: served_turns(r) for r in record["results"]} == {sid: len(lines[sid]) for sid in IDS}


def test_gold_transcripts_meet_tool_errors_only_where_the_scenario_is_about_recovering(tmp_path: Path, pack) -> None:
    record = cli_run(tmp_path, "gold")
    recovering = {s.id for s in pack.scenarios if "error-recovery" in s.tags}
    met_an_error = set()
    for result in record["results"]:
        messages = result["turns"][-1]["request"]["messages"] if result["turns"] else []
        outcomes = [json.loads(m["content"]) for m in messages if m["role"] == "tool"]
        if any("error" in o or o.get("status") in (301, 404) for o in outcomes):
            met_an_error.add(result["scenario_id"])
            assert "error" not in outcomes[-1] and outcomes[-1].get("status") != 301, result["scenario_id"]
    assert met_an_error == recovering


def _calls_as_written(lines: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [(c["function"]["name"], c["function"]["arguments"]) for line in lines for c in line.get("tool_calls", [])]


def test_each_alternative_takes_other_calls_or_writes_them_otherwise() -> None:
    """Other orders, other arguments or arguments sent as an object rather than a JSON string, not only other words."""
    gold, alternative = transcripts("gold"), transcripts("alternative")
    for sid in IDS:
        assert gold[sid][-1]["content"] != alternative[sid][-1]["content"], sid
        if _calls_as_written(gold[sid]):
            assert _calls_as_written(gold[sid]) != _calls_as_written(alternative[sid]), sid


def test_real_cli_run_fails_every_near_miss_at_its_named_check(tmp_path: Path) -> None:
    named = proof_cases("near_miss")
    assert sorted(named) == IDS and all(v["fails_check"] and v["why"] for v in named.values())
    record = cli_run(tmp_path, "near_miss")
    assert [(p["pass_count"], p["total"]) for p in record["packs"]] == [(0, 20)]
    for result in record["results"]:
        failed = [c["name"] for c in result["checks"] if not c["ok"]]
        assert named[result["scenario_id"]]["fails_check"] in failed, (result["scenario_id"], failed)
        assert result["failure_mode"] == "wrong_answer"
        # a near-miss is near: most checks still hold
        assert result["score"] >= 0.5, (result["scenario_id"], result["score"])


def test_real_cli_negative_control_lets_no_junk_through(tmp_path: Path) -> None:
    result = benchlab("run", "--pack", PACK_ID, "--negative-control", "--out", str(tmp_path / "neg"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    counts = re.search(r"^\| HermesAgent-20 \| (\d+) \| (\d+) \|", result.stdout, re.MULTILINE)
    # empty, echo, refusal, plausible JSON, a wrong tool call, endless tool calls and the 19 other
    # scenarios' gold transcripts for each of 20 scenarios; the gold actions with three junk answers
    # where the gold transcript has actions
    with_actions = sum(len(turns) > 1 for turns in transcripts("gold").values())
    assert counts and int(counts.group(1)) == 20 * (6 + 19) + 3 * with_actions and counts.group(2) == "0", result.stdout


# --- multi-turn junk, played through the real driver ------------------------------------------------


def play_replay(plugins, pack, rows: list[dict[str, Any]], path: Path, max_turns: int | None = None) -> dict[str, ScenarioResult]:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    backend = ReplayBackend(BackendOptions(replay_file=str(path)))
    results: list[ScenarioResult] = []
    runner = Runner(plugins, backend, RunSettings(concurrency=4, budgets=Budgets(retries=0)), results.append)
    asyncio.run(runner.run([WorkItem(pack, s) for s in pack.scenarios]))
    return {r.scenario_id: r for r in results}


def as_scenario(lines: list[dict[str, Any]], sid: str) -> list[dict[str, Any]]:
    return [{**line, "scenario": f"{PACK_ID}/{sid}"} for line in lines]


def test_no_scenario_passes_with_another_scenarios_gold_transcript(plugins, pack, tmp_path: Path) -> None:
    gold = transcripts("gold")
    passes = []
    for shift in range(1, len(IDS)):
        rows = [row for n, sid in enumerate(IDS) for row in as_scenario(gold[IDS[(n + shift) % len(IDS)]], sid)]
        results = play_replay(plugins, pack, rows, tmp_path / f"shift-{shift}.jsonl")
        assert len(results) == 20
        passes += [(sid, IDS[(IDS.index(sid) + shift) % len(IDS)]) for sid, r in results.items() if r.passed]
    assert passes == []


@pytest.mark.parametrize("junk", ["", "echo", REFUSAL, PLAUSIBLE_JSON])
def test_the_gold_actions_with_a_junk_final_answer_fail(plugins, pack, tmp_path: Path, junk: str) -> None:
    gold = transcripts("gold")
    rows = []
    for scenario in pack.scenarios:
        final = scenario.messages[-1]["content"] if junk == "echo" else junk
        rows += as_scenario(gold[scenario.id][:-1], scenario.id) + [{"scenario": f"{PACK_ID}/{scenario.id}", "content": final}]
    results = play_replay(plugins, pack, rows, tmp_path / "junk.jsonl")
    assert [sid for sid, r in results.items() if r.passed] == []
    assert all(r.failure_mode is FailureMode.WRONG_ANSWER for r in results.values())


def test_a_model_that_never_stops_calling_tools_exhausts_the_loop(plugins, pack, tmp_path: Path) -> None:
    rows = [{"scenario": f"{PACK_ID}/{s.id}", "content": "",
             "tool_calls": [{"id": "x", "type": "function", "function": {"name": s.tools[0]["function"]["name"], "arguments": "{}"}}]}
            for s in pack.scenarios]
    results = play_replay(plugins, pack, rows, tmp_path / "loop.jsonl")
    assert {r.failure_mode for r in results.values()} == {FailureMode.AGENT_LOOP_EXHAUSTED}


# --- the gold transcripts over HTTP, turn by turn -----------------------------------------------------


class TranscriptScript(Script):
    """A scripted agent: the reply to a conversation is the next turn of its scenario's transcript,
    found by the last user message and the number of assistant turns since it."""

    def __init__(self, pack: Any, lines: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__({})
        self.turns = {s.messages[-1]["content"]: lines[s.id] for s in pack.scenarios}

    def answer(self, messages: list[dict[str, Any]]) -> Answer:
        last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
        turn = sum(m.get("role") == "assistant" for m in messages[last_user:])
        transcript = self.turns.get(messages[last_user]["content"])
        if transcript is None or turn >= len(transcript):
            return self.default
        line = transcript[turn]
        calls = [(c["function"]["name"], c["function"]["arguments"] if isinstance(c["function"]["arguments"], dict)
                  else json.loads(c["function"]["arguments"])) for c in line.get("tool_calls", [])]
        return Answer(line.get("content", ""), tool_calls=calls)


def test_gold_transcripts_from_an_openai_server_pass_and_the_server_sees_every_tool_result(tmp_path: Path, pack) -> None:
    server = TestServer()
    OpenAIChat(TranscriptScript(pack, transcripts("gold")), model="agent-test").install(server)
    with running(server):
        out = tmp_path / "http"
        done = benchlab("run", "--backend", "openai", "--endpoint", server.url + "/v1", "--pack", PACK_ID, "--out", str(out),
                        "--no-progress", "--concurrency", "2", env={"OPENAI_API_KEY": "", "BENCHLAB_API_KEY": ""}, timeout=300)
        # the backend's own speed probe carries no tools; every scenario turn does
        bodies = [b for b in server.bodies("/v1/chat/completions") if b.get("tools")]
    assert done.returncode == 0, done.stdout + done.stderr
    record = run_record(out)
    assert [(p["pass_count"], p["total"]) for p in record["packs"]] == [(20, 20)], [r["detail"] for r in record["results"] if not r["passed"]]
    assert len(bodies) == sum(len(lines) for lines in transcripts("gold").values())
    for body in bodies:
        messages = body["messages"]
        for index, message in enumerate(messages):
            if message["role"] == "assistant" and message.get("tool_calls"):
                # every call of a turn is answered, in order, by a tool message with its id
                answered = messages[index + 1: index + 1 + len(message["tool_calls"])]
                assert [m["role"] for m in answered] == ["tool"] * len(message["tool_calls"])
                assert [m["tool_call_id"] for m in answered] == [c["id"] for c in message["tool_calls"]]
    results = [b["messages"][-1]["content"] for b in bodies if b["messages"][-1]["role"] == "tool"]
    assert any("PW-4471-8830" in content for content in results)  # HA-03's tracking number came from get_order
