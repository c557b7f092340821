"""What a backend says about its endpoint, end to end through the CLI.

A backend may cap answers (``answer_token_limit``), say that its requests in flight
share one decode speed (``shares_decoding``: time budgets then assume each its share),
shorten the speed probe (``speed_probe_tokens``) and give the report's reader a notice.
The backend here is an ``openai`` backend with those properties, loaded from a
``--plugin`` file, against the protocol-faithful OpenAI server of tests/servers.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from benchlab.speed import PROBE_PROMPT
from benchlab.timeouts import TimeoutPolicy
from helpers import benchlab, exact_scenario, run_record, write_pack
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat

NOTICE = "Read me first: this endpoint runs a toy model."
PLUGIN = textwrap.dedent(
    f'''
    from benchlab import hookimpl
    from benchlab.plugins.backends.openai_backend import OpenAIBackend


    class SmallModel(OpenAIBackend):
        name = "small-model"
        shares_decoding = True

        @property
        def answer_token_limit(self):
            return 40

        @property
        def speed_probe_tokens(self):
            return 12

        @property
        def notice(self):
            return {NOTICE!r}


    @hookimpl
    def register_backends(register):
        register("small-model", SmallModel, summary="an openai backend with limits")
    '''
)


def run(tmp_path: Path, server: TestServer, *flags: str, backend: str = "small-model"):
    plugin = tmp_path / "small_model.py"
    plugin.write_text(PLUGIN)
    scenarios = [exact_scenario("S1", "Say one", "one"), {**exact_scenario("S2", "Say two", "two"), "max_tokens": 1024}]
    pack = write_pack(tmp_path / "words-2", scenarios, default_max_seconds=5)
    out = tmp_path / "out"
    proc = benchlab("run", "--plugin", str(plugin), "--backend", backend, "--endpoint", server.url, "--pack", str(pack),
                    "--out", str(out), "--no-progress", "--concurrency", "2", *flags)
    assert proc.returncode == 0, proc.stderr
    return proc, run_record(out), out


def server() -> TestServer:
    test_server = TestServer()
    OpenAIChat(Script({"Say one": Answer("one"), "Say two": Answer("two")}), model="m").install(test_server)
    return test_server


def test_answers_are_capped_and_time_budgets_assume_a_share_of_the_speed(tmp_path: Path) -> None:
    with running(srv := server()):
        _, record, _ = run(tmp_path, srv, "--measured-tps", "100")
    sent = {b["messages"][0]["content"]: b["max_tokens"] for b in srv.bodies(r"/chat/completions$")}
    # S2 asks for 1,024 tokens and S1 gets the backend's default; both are cut to the limit.
    assert sent == {"Say one": 40, "Say two": 40}
    assert {r["request"]["max_tokens"] for r in record["results"]} == {40}
    # Two requests in flight share the measured 100 tokens/s: each budget assumes 50.
    shared = TimeoutPolicy(measured_tps=100, sharing=2).budget(5.0, 40)
    assert shared > TimeoutPolicy(measured_tps=100).budget(5.0, 40)
    assert {r["timeout_s"] for r in record["results"]} == {shared}


def test_the_speed_probe_asks_for_the_backends_token_count(tmp_path: Path) -> None:
    with running(srv := server()):
        _, record, _ = run(tmp_path, srv)
    probes = [b for b in srv.bodies(r"/chat/completions$") if b["messages"][0]["content"] == PROBE_PROMPT]
    assert [b["max_tokens"] for b in probes] == [12]
    assert record["probe"]["tokens_per_s"]


def test_max_tokens_lifts_the_answer_limit(tmp_path: Path) -> None:
    with running(srv := server()):
        run(tmp_path, srv, "--max-tokens", "300", "--measured-tps", "100")
    sent = {b["messages"][0]["content"]: b["max_tokens"] for b in srv.bodies(r"/chat/completions$")}
    assert sent == {"Say one": 300, "Say two": 300}  # the flag wins over a scenario's own max_tokens too


def test_the_notice_opens_the_report_and_is_recorded(tmp_path: Path) -> None:
    with running(srv := server()):
        proc, record, out = run(tmp_path, srv, "--measured-tps", "100")
    assert record["notice"] == NOTICE
    body = proc.stdout.splitlines()
    assert body[0].startswith("## benchlab ") and body[2] == NOTICE, proc.stdout[:400]
    report = next(out.glob("*/report.md")).read_text().splitlines()
    assert report[2] == NOTICE
    assert NOTICE not in record["warnings"]


def test_a_backend_without_a_notice_adds_no_paragraph(tmp_path: Path) -> None:
    with running(srv := server()):
        proc, record, _ = run(tmp_path, srv, "--measured-tps", "100", backend="openai")
    assert record["notice"] is None
    assert proc.stdout.splitlines()[2].startswith("Sampling: ")
    assert {b["max_tokens"] for b in srv.bodies(r"/chat/completions$")} == {2048, 1024}
    assert {r["timeout_s"] for r in record["results"]} == {TimeoutPolicy(measured_tps=100).budget(5.0, 2048),
                                                           TimeoutPolicy(measured_tps=100).budget(5.0, 1024)}
