"""Backend ``llamacpp``: against the real llama-server with SmolLM2-135M (the ``llama_server``
fixture), plus a stand-in for what a real server shows only briefly or only with other
models: the /health 503 while a model loads, and templates with a thinking switch.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from benchlab.backends import BackendOptions
from benchlab.errors import BenchlabError
from benchlab.model import ChatRequest
from benchlab.plugins.backends.llamacpp_backend import LlamaCppBackend, thinking_switch
from benchlab.plugins.backends.ollama_backend import OllamaBackend
from benchlab.plugins.backends.vllm_backend import VLLMBackend
from helpers import ask, play_backend
from servers.base import Answer, Request, Script, TestServer, running
from servers.openai_compat import OpenAIChat

QWEN3_TEMPLATE = "{%- if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>{%- endif %}"
GPT_OSS_TEMPLATE = "Reasoning: {{ reasoning_effort if reasoning_effort is defined else 'medium' }}"


def play(url: str, requests: list[ChatRequest], **options):
    return play_backend(LlamaCppBackend(BackendOptions(endpoint=url, **options)), requests)


@pytest.mark.llama
def test_real_server_probe_reads_props_slots_and_sampling_defaults(llama_server):
    b, facts, _ = play(llama_server, [])
    assert facts["server_kind"] == "llamacpp" and facts["version"].startswith("b")
    assert facts["slots"] == 4 and b.default_concurrency == 4
    assert facts["context_size"] == 8192 and facts["context_total"] == 32768
    assert len(facts["slot_state"]) == 4 and all(s["n_ctx"] == 8192 for s in facts["slot_state"])
    assert facts["sampling_defaults"]["temperature"] == 0.8 and facts["sampling_defaults"]["top_k"] == 40
    assert facts["thinking_support"] == "none" and "<|im_start|>" in facts["chat_template"]
    assert facts["model_listed"] is True and b.model == facts["models"][0]


@pytest.mark.llama
def test_real_server_greedy_answers_repeat_and_a_length_cut_is_reported(llama_server):
    greedy = {"temperature": 0}
    question = "What is the capital of France? Answer in one word."
    _, _, (first, second, cut, streamed) = play(
        llama_server,
        [
            ask(question, sampling=greedy, max_tokens=16, thinking=False),
            ask(question, sampling=greedy, max_tokens=16, thinking=False),
            ask("Write a long poem about the sea.", sampling=greedy, max_tokens=5, thinking=False),
            ask(question, sampling=greedy, max_tokens=16, thinking=False, stream=True),
        ],
    )
    assert first.content and first.content == second.content == streamed.content
    assert first.finish_reason == "stop" and cut.finish_reason == "length"
    assert cut.usage.completion_tokens == 5
    assert streamed.ttft_s is not None and streamed.tokens_per_s


@pytest.mark.llama
def test_detect_recognises_the_real_server_and_the_others_do_not(llama_server):
    async def go():
        async with httpx.AsyncClient(timeout=3) as client:
            return [await cls.detect(llama_server, client) for cls in (LlamaCppBackend, OllamaBackend, VLLMBackend)]

    llama, ollama, vllm = asyncio.run(go())
    assert llama["server_kind"] == "llamacpp" and llama["slots"] == 4
    assert ollama is None and vllm is None


@pytest.mark.llama
def test_real_server_run_with_sampling_from_server_sends_none_and_records_the_defaults(llama_server, tmp_path):
    """The CLI, detection included, against the real llama-server: --sampling-from-server."""
    from helpers import benchlab, exact_scenario, run_record, write_pack

    from servers.relay import Relay

    pack = write_pack(tmp_path / "two", [exact_scenario("A", "Say yes.", "yes"), exact_scenario("B", "Say no.", "no")])
    out = tmp_path / "out"
    with running(Relay(llama_server)) as relay:  # to see the bodies llama-server got
        done = benchlab("run", "--endpoint", relay.url, "--pack", str(pack), "--out", str(out), "--no-progress",
                        "--sampling-from-server", "--max-tokens", "8")
        wire = relay.bodies(r"/chat/completions$")
    assert done.returncode == 0, done.stderr
    record = run_record(out)
    assert record["backend"] == "llamacpp" and record["probe"]["detected"] == "llamacpp"
    assert record["canonical"] is False
    assert record["probe"]["sampling_defaults"]["temperature"] == 0.8 and record["probe"]["sampling_defaults"]["top_k"] == 40
    assert [r["request"]["sampling"] for r in record["results"]] == [{}, {}]
    # the speed probe and both scenarios: no sampling field went over the wire
    assert len(wire) == 3 and all(not ({"temperature", "top_k", "top_p", "min_p", "seed", "repeat_penalty"} & set(b)) for b in wire)
    assert "the server's own defaults (temperature=0.8" in done.stdout


class LoadingLlamaServer(TestServer):
    """llama-server's routes as tools/server/README.md documents them (GET /health: 503
    ``{"error": {"code": 503, "message": "Loading model"}}`` while loading, then 200;
    GET /props; GET /slots; the OpenAI routes), with a chosen chat template."""

    def __init__(self, *, loading_s: float = 0.0, template: str = "", caps: dict | None = None) -> None:
        super().__init__()
        self.ready_at = time.monotonic() + loading_s
        self.template = template
        self.caps = caps or {}
        self.route("GET", "/health", self.health)
        self.route("GET", "/props", self.props)
        OpenAIChat(Script({"hi": Answer("hello", reasoning="greeting")}), model="stand-in", thinking_default=True).install(self)

    def health(self, request: Request) -> None:
        if time.monotonic() < self.ready_at:
            request.send_json(503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}})
        else:
            request.send_json(200, {"status": "ok"})

    def props(self, request: Request) -> None:
        request.send_json(
            200,
            {
                "default_generation_settings": {"params": {"temperature": 0.6, "top_k": 20, "top_p": 0.95, "min_p": 0.0}, "n_ctx": 4096},
                "total_slots": 2,
                "chat_template": self.template,
                "chat_template_caps": self.caps,
                "build_info": "b6000-abcdef0",
            },
        )


def test_start_waits_while_the_model_loads_then_reads_props():
    with running(LoadingLlamaServer(loading_s=0.8)) as srv:
        started = time.perf_counter()
        _, facts, _ = play(srv.url, [])
        health_polls = srv.paths().count("/health")
    assert time.perf_counter() - started >= 0.8 and facts["load_wait_s"] >= 0.8
    assert health_polls >= 3 and facts["slots"] == 2 and facts["context_size"] == 4096
    assert "slot_state" in facts and facts["slot_state"] is None  # /slots disabled: not an error


def test_a_model_that_never_finishes_loading_is_a_clear_error():
    with running(LoadingLlamaServer(loading_s=60)) as srv:
        with pytest.raises(BenchlabError, match=r"still loading its model after 0.5s .*load_timeout_s"):
            play(srv.url, [], settings={"load_timeout_s": 0.5})


def test_the_template_decides_how_thinking_is_switched():
    assert thinking_switch(QWEN3_TEMPLATE, {}) == "enable_thinking"
    assert thinking_switch(GPT_OSS_TEMPLATE, {}) == "reasoning_effort"
    assert thinking_switch("{{ messages }}", {"supports_reasoning_effort": True}) == "reasoning_effort"
    assert thinking_switch("{{ messages }}", {}) == "none"
    with running(LoadingLlamaServer(template=QWEN3_TEMPLATE)) as qwen:
        b, facts, _ = play(qwen.url, [ask("hi", thinking=False), ask("hi", thinking=True), ask("hi")])
        bodies = qwen.bodies("/v1/chat/completions")
    assert facts["thinking_support"] == "enable_thinking"
    assert not any("reasoning-effort" in w for w in b.warnings)
    assert [b.get("chat_template_kwargs") for b in bodies] == [{"enable_thinking": False}, {"enable_thinking": True}, None]
    with running(LoadingLlamaServer(template=QWEN3_TEMPLATE)) as qwen:
        b, _, _ = play(qwen.url, [ask("hi", thinking=True, reasoning_effort="high"), ask("hi", thinking=True, reasoning_effort="high")])
        bodies = qwen.bodies("/v1/chat/completions")
    # This template has no effort knob: nothing is sent, and the run says so once.
    assert all("reasoning_effort" not in x and x["chat_template_kwargs"] == {"enable_thinking": True} for x in bodies)
    assert [w for w in b.warnings if "reasoning-effort high was not applied" in w] and len([w for w in b.warnings if "reasoning-effort" in w]) == 1
    with running(LoadingLlamaServer(template=GPT_OSS_TEMPLATE)) as oss:
        b, _, _ = play(oss.url, [ask("hi", thinking=False), ask("hi", reasoning_effort="high")])
        bodies = oss.bodies("/v1/chat/completions")
    assert [(x["reasoning_effort"], x["chat_template_kwargs"]) for x in bodies] == [
        ("low", {"reasoning_effort": "low"}),
        ("high", {"reasoning_effort": "high"}),
    ]
    assert any("cannot switch reasoning off" in w for w in b.warnings)
    with running(LoadingLlamaServer(template="{{ messages }}")) as plain:
        b, _, (response,) = play(plain.url, [ask("hi", thinking=True)])
        body = plain.bodies("/v1/chat/completions")[0]
    assert "chat_template_kwargs" not in body and response.reasoning == "greeting"
    assert any("no thinking switch" in w for w in b.warnings)


def test_an_offline_proxy_in_front_of_llama_server_is_named_at_the_probe():
    offline = TestServer()
    offline.not_found = lambda r: r.send_html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")  # type: ignore[method-assign]
    with running(offline) as srv:
        with pytest.raises(BenchlabError, match=r"HTTP 502 with an HTML page.*nothing serves the API"):
            play(srv.url, [])
