"""``benchlab run`` through the real CLI: bad input caught before any request, flag values,
progress lines, the Quality: line, and what reaches the server (tests/servers) or disk."""

from __future__ import annotations

import json
import re
import socket
from datetime import datetime, timezone
from pathlib import Path

from benchlab import __version__
from benchlab.recorded import FIELDS
from helpers import REPO, benchlab, exact_scenario, one_error_line, only_run_dir, run_record, write_pack
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat


def mini_pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "mini", [exact_scenario("A", "Say OK", "OK"), exact_scenario("B", "Say no", "no")],
                      title="Mini")


def openai_server(**options) -> TestServer:
    server = TestServer()
    OpenAIChat(Script({"Say OK": Answer("OK"), "Say no": Answer("yes")}), model="m", **options).install(server)
    return server


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_bad_out_is_one_line_before_any_request(tmp_path):
    a_file = tmp_path / "taken.txt"
    a_file.write_text("not a folder")
    server = openai_server()
    with running(server):
        for out in (a_file, a_file / "sub"):
            # No --backend: detection would be the first thing to touch the server.
            proc = benchlab("run", "--endpoint", server.url, "--pack", str(mini_pack(tmp_path)), "--out", str(out))
            line = one_error_line(proc)
            assert line.startswith(f"benchlab: error: --out {out}: "), line
    assert server.log == [], [e.path for e in server.log]
    assert a_file.read_text() == "not a folder"


def test_a_bad_out_stops_the_embedded_default_before_it_starts(tmp_path):
    """No --endpoint means backend local: the --out error must come before any build or server start."""
    a_file = tmp_path / "taken.txt"
    a_file.write_text("")
    proc = benchlab("run", "--quick", "--out", str(a_file), timeout=60)
    assert one_error_line(proc).startswith(f"benchlab: error: --out {a_file}: ")
    assert "llama" not in proc.stderr


def test_a_bad_scenario_is_named_before_the_endpoint_is_contacted(tmp_path):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    proc = benchlab("run", "--endpoint", endpoint, "--quick", "--scenario", "toolcall-15/TC-99", "--out", str(tmp_path / "o"))
    line = one_error_line(proc)
    assert "toolcall-15/TC-99" in line and "no scenario 'TC-99'" in line, line
    assert "reach" not in line
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def quick_replay(tmp_path: Path, near_misses: set[str]) -> Path:
    """A replay file for the two quick packs: each scenario's gold proof, or its near-miss if
    named; one line per model turn (tool_loop scenarios record several)."""
    rows: dict[str, list[dict]] = {}
    for pack_id in ("toolcall-15", "instructfollow-15"):
        for line in (REPO / "packs" / pack_id / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            key = f"{pack_id}/{case['scenario']}"
            wanted = "near_miss" if key in near_misses else "gold"
            if case["kind"] == wanted and key not in rows:
                rows[key] = [{"scenario": key, **{k: v for k, v in t.items() if k in FIELDS and k != "scenario"}}
                             for t in case.get("turns", [case])]
    path = tmp_path / "quick.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for turns in rows.values() for r in turns), encoding="utf-8")
    return path


def test_quick_run_prints_progress_lines_and_the_full_quality_line(tmp_path):
    replay = quick_replay(tmp_path, {"toolcall-15/TC-03", "instructfollow-15/IF-02", "instructfollow-15/IF-07"})
    proc = benchlab("run", "--quick", "--replay", str(replay), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    # Not a terminal: one plain line per scenario on stderr, numbered 1..30 in finishing order.
    progress = [line for line in proc.stderr.splitlines() if line.startswith("[")]
    pattern = re.compile(r"\[(\d+)/30\] (toolcall-15|instructfollow-15) ((?:TC|IF)-\d\d) (pass|fail \(\w+\)) (\d+\.\d\ds)")
    matches = [pattern.fullmatch(line) for line in progress]
    assert all(matches) and [int(m.group(1)) for m in matches] == list(range(1, 31)), progress
    verdicts = {f"{m.group(2)}/{m.group(3)}": m.group(4) for m in matches}
    assert len(verdicts) == 30
    assert {k for k, v in verdicts.items() if v != "pass"} == {"toolcall-15/TC-03", "instructfollow-15/IF-02", "instructfollow-15/IF-07"}
    record = run_record(tmp_path / "out")
    today = record["started_at"][:10]
    assert today == datetime.now(timezone.utc).strftime("%Y-%m-%d")
    expected = f"Quality: ToolCall-15 14/15 (93%) · InstructFollow-15 13/15 (87%) (benchlab {__version__}, --quick, {today})"
    assert proc.stdout.splitlines()[-1] == expected
    assert (only_run_dir(tmp_path / "out") / "quality.txt").read_text(encoding="utf-8") == expected + "\n"

    quiet = benchlab("run", "--quick", "--replay", str(replay), "--out", str(tmp_path / "quiet"), "--no-progress")
    assert quiet.returncode == 0, quiet.stderr
    assert not [line for line in quiet.stderr.splitlines() if line.startswith("[")], quiet.stderr
    assert quiet.stdout.splitlines()[-1] == expected


def test_bad_flag_values_are_one_line_and_exit_1(tmp_path):
    replay = quick_replay(tmp_path, set())
    cases = {
        ("--format", "xml"): "--format: unknown reporter 'xml' (available: html, json, junit, md, quality-line)",
        ("--backend", "nope"): "unknown backend 'nope'",
        ("--concurrency", "0"): "Invalid value for '--concurrency'",
        ("--extra-body", "[1]"): "--extra-body: expected a JSON object, got list",
    }
    for flag, message in cases.items():
        proc = benchlab("run", "--quick", "--replay", str(replay), "--out", str(tmp_path / "out"), *flag)
        assert message in one_error_line(proc), (flag, proc.stderr)
    assert not list((tmp_path / "out").glob("*/journal.jsonl"))


def test_extra_body_and_api_key_reach_the_server_and_the_key_reaches_no_file(tmp_path):
    secret = "sk-flag-secret-456"
    server = openai_server(api_key=secret)
    out = tmp_path / "out"
    extra = {"custom_knob": 7, "chat_template_kwargs": {"my_flag": True}}
    with running(server):
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(mini_pack(tmp_path)),
                        "--out", str(out), "--api-key", secret, "--extra-body", json.dumps(extra), "--timeout-per-case", "30",
                        env={"BENCHLAB_API_KEY": "", "OPENAI_API_KEY": ""})
    assert proc.returncode == 0, proc.stderr
    chats = [e for e in server.log if e.path == "/v1/chat/completions"]
    assert len(chats) == 2
    assert all(e.headers["authorization"] == f"Bearer {secret}" for e in server.log)
    assert all(e.body["custom_knob"] == 7 and e.body["chat_template_kwargs"]["my_flag"] is True for e in chats)
    record = run_record(out)
    assert [r["passed"] for r in record["results"]] == [True, False]
    assert record["config"]["target"]["extra_body"] == extra
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"run.json", "journal.jsonl", "report.md", "report.html", "quality.txt"}
    for path in files:
        assert secret not in path.read_text(errors="replace"), path
    assert secret not in proc.stdout + proc.stderr


def test_the_speed_probe_never_reuses_a_scenario_prompt(tmp_path):
    """The speed probe stays on (no --timeout-per-case or --measured-tps): every scenario prompt
    reaches the server exactly once, and the probe's own request is none of them."""
    server = openai_server()
    out = tmp_path / "out"
    with running(server):
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(mini_pack(tmp_path)),
                        "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert run_record(out)["probe"]["tokens_per_s"], "the speed probe did not run"
    prompts = [m["content"] for body in server.bodies(r"/chat/completions$") for m in body["messages"] if m["role"] == "user"]
    scenario_prompts = ["Say OK", "Say no"]
    assert sorted(p for p in prompts if p in scenario_prompts) == scenario_prompts
    others = [p for p in prompts if p not in scenario_prompts]
    assert others and not any(s in p for p in others for s in scenario_prompts), others
