"""Run options end to end through the CLI against protocol-faithful servers (tests/servers):
thinking checks, sampling and canonical runs, time budgets, pacing, the spend guard, probe."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from benchlab.speed import PROBE_PROMPT
from benchlab.timeouts import TimeoutPolicy
from helpers import benchlab, exact_scenario, run_record, write_pack
from servers.base import Answer, Script, TestServer, running, silent_listener
from servers.ollama import OllamaServer
from servers.openai_compat import OpenAIChat
from servers.vllm import VLLMServer

QUESTIONS = {f"Say {w}": Answer(w, reasoning=f"they want {w}") for w in ("one", "two", "three", "four")}


def pack(tmp_path: Path, **manifest) -> Path:
    scenarios = [exact_scenario(f"S{n}", q, a.content) for n, (q, a) in enumerate(QUESTIONS.items(), start=1)]
    return write_pack(tmp_path / "words-4", scenarios, **manifest)


def openai_server(**options) -> TestServer:
    server = TestServer()
    OpenAIChat(Script(QUESTIONS), model="m", **options).install(server)
    return server


def run(server: TestServer, tmp_path: Path, *args: str, manifest: dict | None = None):
    out = tmp_path / "out"
    proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack(tmp_path, **(manifest or {}))),
                    "--out", str(out), "--no-progress", *args)
    record = run_record(out) if list(out.glob("*/run.json")) else None
    return proc, record


def bodies(server: TestServer) -> list[dict]:
    return server.bodies(r"/chat/completions$")


def test_thinking_forced_on_is_sent_and_kept_apart(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--enable-thinking", "--thinking-max-tokens", "100", "--max-tokens", "20")
    assert proc.returncode == 0, proc.stderr
    scenario_bodies = [b for b in bodies(server) if b["messages"][0]["content"].startswith("Say")]
    assert all(b["chat_template_kwargs"] == {"enable_thinking": True} and b["max_tokens"] == 120 for b in scenario_bodies)
    assert all(r["passed"] and r["response"]["reasoning"].startswith("they want") for r in record["results"])
    assert not any("silent" in w or "contaminated" in w for w in record["warnings"])


def test_contaminated_thinking_is_a_warning_and_strict_makes_it_fatal(tmp_path):
    server = openai_server(thinking_default=True)  # the server thinks unless told not to
    with running(server):
        proc, record = run(server, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert any("contaminated" in w for w in record["warnings"])
        assert "contaminated" in proc.stdout
        strict, strict_record = run(server, tmp_path / "strict", "--strict-thinking")
    assert strict.returncode == 1 and "--strict-thinking" in strict.stderr
    assert len(strict_record["results"]) == 4  # the whole pack was played and saved before failing


def test_silent_thinking_is_reported(tmp_path):
    server = TestServer()
    OpenAIChat(Script({q: Answer(a.content) for q, a in QUESTIONS.items()}), model="m").install(server)
    with running(server):
        proc, record = run(server, tmp_path, manifest={"default_thinking": True})
    assert proc.returncode == 0
    assert any("silent" in w for w in record["warnings"])


def test_canonical_runs_are_greedy_and_overrides_are_marked(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path)
        assert record["canonical"] is True and "Sampling: canonical" in proc.stdout
        assert all(b["temperature"] == 0 for b in bodies(server))
        with server.lock:
            server.log.clear()
        proc, record = run(server, tmp_path / "hot", "--temperature", "0.7", "--top-k", "20", "--seed", "5")
    assert proc.returncode == 0
    assert record["canonical"] is False and "NON-CANONICAL" in proc.stdout and "non-canonical sampling" in proc.stdout
    scenario_bodies = [b for b in bodies(server) if b["messages"][0]["content"].startswith("Say")]
    assert all((b["temperature"], b["top_k"], b["seed"]) == (0.7, 20, 5) for b in scenario_bodies)


def test_sampling_from_server_sends_none_and_records_the_servers_defaults(tmp_path):
    models = {"m:latest": {"capabilities": ["completion"], "parameters": "temperature 0.6\ntop_k 20"}}
    server = OllamaServer(Script(QUESTIONS), models)
    with running(server):
        out = tmp_path / "out"
        proc = benchlab("run", "--backend", "ollama", "--endpoint", server.url, "--model", "m", "--pack", str(pack(tmp_path)),
                        "--out", str(out), "--no-progress", "--sampling-from-server")
    assert proc.returncode == 0, proc.stderr
    record = run_record(out)
    assert record["canonical"] is False
    chats = [b for b in server.bodies(r"^/api/chat$") if b["messages"][0]["content"].startswith("Say")]
    assert chats and all(not (set(c.get("options") or {}) & {"temperature", "top_p", "top_k", "seed"}) for c in chats)
    assert record["probe"]["sampling_defaults"] == {"temperature": 0.6, "top_k": 20}
    assert "the server's own defaults (temperature=0.6, top_k=20)" in proc.stdout


def test_time_budgets_follow_the_measured_speed_and_are_recorded(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--measured-tps", "2", "--reference-tps", "30", "--max-tokens", "10")
        assert proc.returncode == 0
        assert record["probe"]["tokens_per_s"] == 2
        # the pack default (30 s) scaled by 30/2, under the default ceiling
        assert {r["timeout_s"] for r in record["results"]} == {450.0}
        proc, record = run(server, tmp_path / "fixed", "--timeout-per-case", "7")
    assert {r["timeout_s"] for r in record["results"]} == {7.0}


def test_request_delay_spaces_requests(tmp_path):
    server = openai_server()
    with running(server):
        proc, _ = run(server, tmp_path, "--request-delay", "0.5", "--concurrency", "4", "--measured-tps", "50")
    assert proc.returncode == 0
    with server.lock:
        times = sorted(e.at for e in server.log if e.path.endswith("/chat/completions"))
    # The client spaces request starts by 0.5 s; the server's arrival times carry scheduling jitter.
    assert len(times) == 4 and all(b - a >= 0.4 for a, b in zip(times, times[1:]))
    assert times[-1] - times[0] >= 3 * 0.5 - 0.05


def test_spend_guard_stops_cleanly_and_keeps_what_finished(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--max-total-tokens", "1", "--concurrency", "1", "--measured-tps", "50")
    assert proc.returncode == 3  # scenarios left unplayed
    assert record["complete"] is False and record["stop_reason"].startswith("spend guard")
    assert len(record["results"]) == 1
    assert any("--resume" in w for w in record["warnings"])


def test_probe_prints_what_is_behind_a_url():
    server = openai_server(thinking_default=False)
    with running(server):
        proc = benchlab("probe", server.url, "--json", "--no-speed")
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    assert facts["backend"] == "openai" and facts["models"] == ["m"] and facts["model"] == "m"


def test_probe_of_nothing_fails_fast_in_one_line():
    proc = benchlab("probe", "http://127.0.0.1:9", timeout=20)
    assert proc.returncode == 1 and proc.stderr.startswith("benchlab: error: cannot reach") and "Traceback" not in proc.stderr


def probe_requests(server: TestServer) -> int:
    return sum(1 for b in bodies(server) if b["messages"][0]["content"] == PROBE_PROMPT)


def test_the_speed_probe_measures_and_budgets_follow_its_measure(tmp_path):
    """No --measured-tps: one probe request measures the speed, run.json records it, budgets use it."""
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--max-tokens", "10")
    assert proc.returncode == 0, proc.stderr
    assert probe_requests(server) == 1
    tps = record["probe"]["tokens_per_s"]
    assert isinstance(tps, (int, float)) and tps > 0
    expected = TimeoutPolicy(measured_tps=tps).budget(30.0, 10)
    assert {r["timeout_s"] for r in record["results"]} == {expected}


@pytest.mark.parametrize("flags", [("--measured-tps", "20"), ("--timeout-per-case", "9")], ids=["measured-tps", "timeout-per-case"])
def test_measured_tps_and_timeout_per_case_send_no_probe_request(tmp_path, flags):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, *flags)
    assert proc.returncode == 0, proc.stderr
    assert probe_requests(server) == 0 and len(bodies(server)) == 4


def test_a_failed_speed_probe_falls_back_to_the_pack_defaults_with_a_warning(tmp_path):
    """The probe's request gets a 500 (retried by nothing: the probe is one request); scenarios still run."""
    server = TestServer()
    chat = OpenAIChat(Script(QUESTIONS), model="m")
    server.route("GET", "/v1/models", chat.models)

    def chat_or_fail(request):
        if request.json["messages"][0]["content"] == PROBE_PROMPT:
            request.send_json(500, {"error": {"message": "probe refused"}})
        else:
            chat.chat(request)

    server.route("POST", "/v1/chat/completions", chat_or_fail)
    with running(server):
        proc, record = run(server, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert record["probe"]["tokens_per_s"] is None
    assert {r["timeout_s"] for r in record["results"]} == {30.0}
    assert any("speed probe failed" in w and "pack defaults" in w for w in record["warnings"])
    assert sum(r["passed"] for r in record["results"]) == 4


@pytest.mark.parametrize("flags", [(), ("--measured-tps", "20")], ids=["speed-probe", "first-scenario"])
def test_a_wrong_base_url_stops_before_the_pack_with_one_line(tmp_path, flags):
    """Every route answers a JSON 404 (a URL with a wrong path): exit 1, one line, no pack played."""
    server = TestServer()
    with running(server):
        proc, _ = run(server, tmp_path, "--concurrency", "1", *flags)
        chats = [p for p in server.paths("POST") if p.endswith("/chat/completions")]
    assert proc.returncode == 1, proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("benchlab: error:")]
    assert len(errors) == 1 and "nothing serves chat requests" in errors[0] and "check the base URL" in errors[0]
    assert "Traceback" not in proc.stderr and "Quality:" not in proc.stdout
    # the speed probe's request, or the first scenario's: never the whole pack
    assert len(chats) == 1


class ProxiedVLLM(VLLMServer):
    """vLLM behind an nginx that forwards only /v1/*: everything else is nginx's HTML 404 page."""

    def not_found(self, request):
        request.send_html(404, "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>")

    def __init__(self, script):
        super().__init__(script)
        self.routes = [r for r in self.routes if r[1].pattern.startswith("/v1")]


def test_an_optional_route_answering_an_html_404_is_absent_not_fatal(tmp_path):
    server = ProxiedVLLM(Script(QUESTIONS))
    with running(server):
        probe = benchlab("probe", server.url + "/v1", "--backend", "vllm", "--json", "--no-speed")
        out = tmp_path / "out"
        proc = benchlab("run", "--backend", "vllm", "--endpoint", server.url + "/v1", "--pack", str(pack(tmp_path)),
                        "--out", str(out), "--no-progress", "--measured-tps", "50")
        asked = server.paths("GET")
    assert "/version" in asked  # the optional route was asked, and answered nginx's page
    assert probe.returncode == 0, probe.stderr
    facts = json.loads(probe.stdout)
    assert facts["backend"] == "vllm" and facts["version"] is None and facts["models"] == ["Qwen/Qwen3-0.6B"]
    assert any("GET /version answered HTTP 404" in w for w in facts["warnings"])
    assert proc.returncode == 0, proc.stderr
    assert sum(r["passed"] for r in run_record(out)["results"]) == 4


@pytest.mark.parametrize("backend", ["openai", "ollama", "llamacpp", "vllm"])
def test_an_endpoint_that_never_answers_fails_in_under_5_s(tmp_path, backend):
    """A listener that accepts connections and never replies: the probe gives up in time, one line.

    The time spent waiting is the run's wall time minus that of the same command against a closed
    port (refused at once): interpreter start-up on a loaded machine is not the probe's waiting.
    """
    def timed(url: str, out: str):
        started = time.perf_counter()
        proc = benchlab("run", "--backend", backend, "--endpoint", url, "--pack", str(pack(tmp_path)),
                        "--out", str(tmp_path / out), "--no-progress", timeout=60)
        return proc, time.perf_counter() - started

    with silent_listener() as url:
        proc, elapsed = timed(url, "silent")
    refused, start_up = timed(f"http://127.0.0.1:{closed_port()}", "refused")
    assert proc.returncode == 1 and proc.stderr.startswith("benchlab: error: cannot reach"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert refused.returncode == 1, refused.stderr
    # the requirement: the probe gives up within 5 s of waiting on a silent server
    assert elapsed - start_up < 5.0, (elapsed, start_up)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_detection_routes_answering_405_count_as_absent():
    """An OpenAI server whose /api/version, /props and /version exist only for POST (GET: 405)."""
    server = openai_server()
    for path in ("/api/version", "/props", "/version"):
        server.route("POST", path, lambda r: r.send_json(200, {}))
    with running(server):
        proc = benchlab("probe", server.url, "--json", "--no-speed")
        asked = server.paths("GET")
    assert {"/api/version", "/props", "/version"} <= set(asked)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["backend"] == "openai"


def test_an_unknown_reasoning_effort_is_one_line_before_any_request(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--reasoning-effort", "extreme")
        seen = server.paths()
    assert proc.returncode == 1 and record is None and seen == []
    assert proc.stderr.strip() == "benchlab: error: --reasoning-effort 'extreme': use low, medium or high"


def test_reasoning_effort_and_no_thinking_reach_the_request(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--reasoning-effort", "HIGH", "--no-thinking", "--measured-tps", "50")
    assert proc.returncode == 0, proc.stderr
    assert all(b["reasoning_effort"] == "high" and b["chat_template_kwargs"] == {"enable_thinking": False} for b in bodies(server))
    assert record["config"]["thinking"]["reasoning_effort"] == "high"


def sampled_pack(tmp_path: Path) -> Path:
    folder = pack(tmp_path)
    with (folder / "pack.toml").open("a") as toml:
        toml.write("\n[sampling]\ntemperature = 0.7\ntop_k = 40\n")
    return folder


def test_sampling_flags_win_over_a_packs_sampling_and_the_report_says_who_set_what(tmp_path):
    server = openai_server()
    with running(server):
        out = tmp_path / "out"
        base = ("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(sampled_pack(tmp_path)), "--no-progress", "--measured-tps", "50")
        packed = benchlab(*base, "--out", str(out / "pack"))
        packed_bodies = bodies(server)
        with server.lock:
            server.log.clear()
        flagged = benchlab(*base, "--out", str(out / "flag"), "--temperature", "0.2")
        flagged_bodies = bodies(server)
    assert packed.returncode == 0 and flagged.returncode == 0, packed.stderr + flagged.stderr
    assert all((b["temperature"], b["top_k"]) == (0.7, 40) for b in packed_bodies)
    record = run_record(out / "pack")
    assert record["canonical"] is False
    assert "Sampling: NON-CANONICAL (pack words-4 [sampling] sets temperature=0.7, top_k=40)" in packed.stdout
    assert "non-canonical sampling" in packed.stdout.splitlines()[-1]
    # The user's flag wins over the pack's; the pack's other keys stay.
    assert all((b["temperature"], b["top_k"]) == (0.2, 40) for b in flagged_bodies)
    assert "Sampling: NON-CANONICAL (temperature=0.2; pack words-4 [sampling] sets temperature=0.7, top_k=40)" in flagged.stdout


def test_sampling_keys_in_extra_body_make_the_run_non_canonical(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--extra-body", '{"top_k": 5, "max_completion_tokens": 64}', "--measured-tps", "50")
        _, plain = run(server, tmp_path / "plain", "--extra-body", '{"max_completion_tokens": 64}', "--measured-tps", "50")
    assert proc.returncode == 0, proc.stderr
    assert record["canonical"] is False and "--extra-body sets top_k=5" in proc.stdout
    assert plain["canonical"] is True


def test_the_other_sampling_flags_and_the_ceiling_reach_the_request_and_the_record(tmp_path):
    server = openai_server()
    with running(server):
        proc, record = run(server, tmp_path, "--top-p", "0.9", "--min-p", "0.05", "--repeat-penalty", "1.1",
                           "--measured-tps", "1", "--timeout-ceiling-s", "42")
    assert proc.returncode == 0, proc.stderr
    assert all((b["top_p"], b["min_p"], b["repeat_penalty"], b["temperature"]) == (0.9, 0.05, 1.1, 0) for b in bodies(server))
    # 1 tok/s would give hours: the ceiling caps every budget
    assert {r["timeout_s"] for r in record["results"]} == {42.0}
    assert record["canonical"] is False


@pytest.mark.parametrize(("flag", "expected"), [((), 1), (("--retry-on-timeout",), 2)], ids=["default", "retry-on-timeout"])
def test_timeouts_are_retried_only_on_request(tmp_path, flag, expected):
    from servers.faults import FaultServer

    slow = write_pack(tmp_path / "slow", [exact_scenario("S", "fault: slow", "ok")])
    server = FaultServer(Script({}), slow_s=1.0)
    with running(server):
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(slow), "--out", str(tmp_path / "out"),
                        "--no-progress", "--timeout-per-case", "0.4", "--retries", "1", *flag)
        seen = server.attempts["fault: slow"]
    assert proc.returncode == 0, proc.stderr
    result = run_record(tmp_path / "out")["results"][0]
    assert result["failure_mode"] == "timeout" and seen == expected and len(result["attempts"]) == expected


def test_credentials_in_the_url_and_a_key_together_are_one_error_line_before_any_request(tmp_path):
    """user:password in --endpoint goes as HTTP Basic auth, which would replace the key's Bearer header
    without a word: with both, nothing is sent and one line says to give one (naming neither secret)."""
    from helpers import one_error_line
    from servers.openai_compat import OpenAIChat

    server = TestServer()
    OpenAIChat(Script({"Say one": Answer("one")}), model="m").install(server)
    pack = write_pack(tmp_path / "one-1", [exact_scenario("S1", "Say one", "one")])
    models = tmp_path / "models.toml"
    with running(server):
        endpoint = server.url.replace("http://", "http://user:pw-url-secret@")
        models.write_text(f'[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "{endpoint}"\napi_key_env = "URL_TEST_KEY"\n')
        run = benchlab("run", "--backend", "openai", "--endpoint", endpoint, "--api-key", "sk-flag-secret", "--pack", str(pack),
                       "--out", str(tmp_path / "out"), "--no-progress")
        line = one_error_line(run)
        assert "holds user:password (sent as HTTP Basic auth) and a key is given too" in line
        compare = benchlab("compare", "--models", str(models), "--pack", str(pack), "--out", str(tmp_path / "cmp"), "--no-progress",
                           env={"URL_TEST_KEY": "sk-env-secret"})
        line = one_error_line(compare)
        assert f"{models}:5: api_key_env: the endpoint holds user:password" in line
        for proc in (run, compare):
            assert not any(secret in proc.stdout + proc.stderr for secret in ("pw-url-secret", "sk-flag-secret", "sk-env-secret"))
        assert server.log == []
