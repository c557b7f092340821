"""Backend ``ollama`` against a protocol-faithful Ollama server over real HTTP on 127.0.0.1.

Ollama itself cannot run here (no model registry, no network): tests/servers/ollama.py
reproduces its documented API, including cold loads and inline thinking.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import pytest

from benchlab.codec import SCHEMA_VERSION
from benchlab.backends import BackendOptions
from benchlab.errors import BenchlabError, TransportError
from benchlab.model import ChatRequest
from benchlab.plugins.backends.ollama_backend import OllamaBackend
from helpers import ask
from servers.base import Answer, Script, running
from servers.ollama import OllamaServer
from servers.vllm import VLLMServer

WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
}
SCRIPT = Script(
    {
        "What is 3+4?": Answer("7", reasoning="three plus four makes 7, not 9"),
        "Weather in Paris?": Answer("", tool_calls=[("get_weather", {"city": "Paris"})]),
        "Tell a story.": Answer("once upon a time there was a small model that talked too much"),
        "Give JSON.": Answer('{"ok": true}'),
    }
)
MODELS = {
    "qwen3:0.6b": {"capabilities": ["completion", "tools", "thinking"], "parameters": 'temperature 0.6\ntop_k 20\ntop_p 0.95\nnum_ctx 8192\nstop "<|im_end|>"'},
    "llama3.2:latest": {"capabilities": ["completion", "tools"]},
}


def backend(url: str, **settings) -> OllamaBackend:
    api_key = settings.pop("api_key", None)
    model = settings.pop("model", "qwen3:0.6b")
    return OllamaBackend(BackendOptions(endpoint=url, model=model, api_key=api_key, settings=settings))


async def started(b: OllamaBackend) -> dict:
    return await b.start()


def test_probe_reports_modelfile_defaults_capabilities_and_warms_a_cold_model():
    with running(OllamaServer(SCRIPT, MODELS, load_delay_s=0.6)) as srv:

        async def go():
            b = backend(srv.url)
            facts = await b.start()
            response = await b.chat(ask("What is 3+4?", thinking=False, max_tokens=20))
            await b.aclose()
            return b, facts, response

        b, facts, response = asyncio.run(go())
    assert facts["server_kind"] == "ollama" and facts["version"] == "0.9.6"
    assert facts["models"] == ["qwen3:0.6b", "llama3.2:latest"] and facts["model_listed"] is True
    assert facts["model_digest"] == srv.digest("qwen3:0.6b")  # /api/tags' digest of the model asked for
    assert facts["sampling_defaults"] == {"temperature": 0.6, "top_k": 20, "top_p": 0.95, "stop": ["<|im_end|>"]}
    assert facts["context_size"] == 8192 and facts["context_trained"] == 40960
    assert facts["thinking_support"] == "think" and facts["tools_support"] is True
    # The cold load happened in the warm-up, before any timing: not in the scenario.
    assert facts["load_s"] == pytest.approx(0.6) and facts["warmup_s"] >= 0.6
    assert response.ttft_s is not None and response.ttft_s < 0.5
    assert not any("reloaded" in w for w in b.warnings)
    warmup = srv.bodies("/api/chat")[0]
    assert warmup["messages"][0]["content"] != "What is 3+4?" and warmup["options"]["num_predict"] == 1
    assert all(not p.startswith("/v1") for p in srv.paths()), srv.paths()


def test_request_maps_sampling_thinking_tools_format_and_keep_alive():
    with running(OllamaServer(SCRIPT, MODELS)) as srv:

        async def go():
            b = backend(srv.url, num_ctx=4096, keep_alive="1h", warmup=False)
            await b.start()
            sampling = {"temperature": 0, "top_p": 0.9, "top_k": 5, "min_p": 0.05, "repeat_penalty": 1.1, "seed": 7}
            await b.chat(ask("Give JSON.", sampling=sampling, max_tokens=64, thinking=False, response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}))
            await b.chat(ask("Weather in Paris?", tools=[WEATHER_TOOL], thinking=True, reasoning_effort="high"))
            await b.aclose()

        asyncio.run(go())
        first, second = srv.bodies("/api/chat")
    assert first["options"] == {"temperature": 0, "top_p": 0.9, "top_k": 5, "min_p": 0.05, "repeat_penalty": 1.1, "seed": 7, "num_predict": 64, "num_ctx": 4096}
    assert first["think"] is False and first["keep_alive"] == "1h" and first["stream"] is True
    assert first["format"] == {"type": "object"}
    assert second["tools"] == [WEATHER_TOOL] and second["think"] == "high"
    assert "temperature" not in second.get("options", {})


def test_a_reasoning_effort_with_thinking_off_is_not_applied_and_says_so():
    with running(OllamaServer(SCRIPT, MODELS)) as srv:

        async def go(thinking):
            b = backend(srv.url, warmup=False)
            await b.start()
            await b.chat(ask("What is 3+4?", thinking=thinking, reasoning_effort="low"))
            await b.aclose()
            return b.warnings

        applied, ignored = asyncio.run(go(True)), asyncio.run(go(False))
        bodies = srv.bodies("/api/chat")
    assert [x["think"] for x in bodies] == ["low", False]
    assert not any("reasoning-effort" in w for w in applied)
    assert any("--reasoning-effort low was not applied: thinking is off" in w for w in ignored)


def test_reasoning_is_kept_apart_whether_the_server_splits_it_or_inlines_it():
    with running(OllamaServer(SCRIPT, MODELS)) as srv:

        async def go():
            b = backend(srv.url, warmup=False)
            await b.start()
            on = await b.chat(ask("What is 3+4?", thinking=True))
            default = await b.chat(ask("What is 3+4?"))  # no think: this server inlines <think>
            off = await b.chat(ask("What is 3+4?", thinking=False))
            await b.aclose()
            return on, default, off

        on, default, off = asyncio.run(go())
        bodies = srv.bodies("/api/chat")
    assert (on.content, on.reasoning) == ("7", "three plus four makes 7, not 9")
    assert (default.content, default.reasoning) == ("7", "three plus four makes 7, not 9")
    assert "<think>" in default.raw and "think" not in bodies[1]
    assert (off.content, off.reasoning) == ("7", None)
    assert on.usage.completion_tokens == 8 and on.tokens_per_s == pytest.approx(50.0)


def test_tool_calls_come_back_as_objects_and_history_goes_in_ollamas_format():
    with running(OllamaServer(SCRIPT, MODELS)) as srv:

        async def go():
            b = backend(srv.url, warmup=False)
            await b.start()
            call = await b.chat(ask("Weather in Paris?", tools=[WEATHER_TOOL]))
            history = [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "18C and sunny"},
                {"role": "user", "content": "Tell a story."},
            ]
            follow = await b.chat(ChatRequest(scenario="pack/case", messages=history, tools=[WEATHER_TOOL]))
            await b.aclose()
            return call, follow

        call, follow = asyncio.run(go())
        sent = srv.bodies("/api/chat")[-1]["messages"]
    assert [(c.name, c.arguments) for c in call.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert call.finish_reason == "tool_calls"
    # The server 400s on string arguments, as Ollama does: the history was converted.
    assert follow.content.startswith("once upon a time")
    assert sent[1]["tool_calls"] == [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]
    assert sent[2] == {"role": "tool", "content": "18C and sunny", "tool_name": "get_weather"}


def test_done_reason_length_becomes_finish_reason_length():
    with running(OllamaServer(SCRIPT, MODELS)) as srv:

        async def go():
            b = backend(srv.url, warmup=False)
            await b.start()
            response = await b.chat(ask("Tell a story.", max_tokens=4))
            await b.aclose()
            return response

        response = asyncio.run(go())
    assert response.finish_reason == "length" and response.content == "once upon a time"


def test_untagged_model_matches_latest_and_unknown_model_is_one_clear_error():
    with running(OllamaServer(SCRIPT, MODELS)) as srv:
        b = backend(srv.url, model="llama3.2", warmup=False)
        facts = asyncio.run(b.start())
        assert facts["model_listed"] is True and facts["thinking_support"] == "none"
        with pytest.raises(BenchlabError, match=r"model 'mistral' is not on .*available: qwen3:0.6b, llama3.2:latest.*ollama pull mistral"):
            asyncio.run(backend(srv.url, model="mistral").start())


def test_thinking_asked_of_a_model_without_it_runs_without_and_says_so():
    with running(OllamaServer(SCRIPT, MODELS)) as srv:

        async def go():
            b = backend(srv.url, model="llama3.2:latest", warmup=False)
            await b.start()
            response = await b.chat(ask("What is 3+4?", thinking=True))
            await b.aclose()
            return b, response

        b, response = asyncio.run(go())
        assert "think" not in srv.bodies("/api/chat")[-1]
    assert response.content == "7"
    assert any("no thinking capability" in w for w in b.warnings)


def test_a_cold_load_is_not_a_timeout_but_a_stalled_first_token_is():
    """Without a warm-up, a first-token limit longer than the load lets it through (and warns);
    a shorter one reports a timeout that names the likely cause."""
    with running(OllamaServer(SCRIPT, MODELS, load_delay_s=1.0)) as srv:

        async def go(limit: float):
            b = backend(srv.url, warmup=False, first_token_timeout_s=limit)
            try:
                await b.start()
                return b, await b.chat(ask("What is 3+4?", thinking=False))
            finally:
                await b.aclose()

        with pytest.raises(TransportError) as caught:
            asyncio.run(go(0.3))
        assert caught.value.failure_mode.value == "timeout" and "first token" in caught.value.detail
        time.sleep(1.0)  # the abandoned load finishes server-side
        srv.loaded.clear()
        b, response = asyncio.run(go(5.0))
    assert response.content == "7" and response.ttft_s >= 1.0
    assert any("(re)loaded the model" in w and "pack/case" in w for w in b.warnings)


def test_hosted_ollama_needs_the_bearer_key():
    async def probe(url: str, key: str | None) -> dict:
        b = backend(url, api_key=key, warmup=False)
        try:
            return await b.start()
        finally:
            await b.aclose()

    with running(OllamaServer(SCRIPT, MODELS, api_key="sk-ollama-123")) as srv:
        with pytest.raises(BenchlabError, match="OLLAMA_API_KEY"):
            asyncio.run(probe(srv.url, None))
        facts = asyncio.run(probe(srv.url, "sk-ollama-123"))
        assert facts["server_kind"] == "ollama"
        assert srv.log[-1].headers["authorization"] == "Bearer sk-ollama-123"


def test_unreachable_server_fails_fast_with_one_line():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    started_at = time.perf_counter()
    with pytest.raises(BenchlabError, match=r"cannot reach http://127.0.0.1:\d+.*Is the server running"):
        asyncio.run(backend(f"http://127.0.0.1:{port}").start())
    assert time.perf_counter() - started_at < 5


def test_an_error_line_mid_stream_is_a_server_error():
    server = OllamaServer(SCRIPT, MODELS)

    def failing_chat(request):
        request.start_stream("application/x-ndjson")
        request.write(json.dumps({"model": "qwen3:0.6b", "message": {"role": "assistant", "content": "7"}, "done": False}) + "\n")
        request.write(json.dumps({"error": "model runner has unexpectedly stopped"}) + "\n")
        request.end_stream()

    async def go(url: str) -> None:
        b = backend(url, warmup=False)
        try:
            await b.start()
            await b.chat(ask("What is 3+4?"))
        finally:
            await b.aclose()

    server.routes = [r for r in server.routes if r[1].pattern != r"/api/chat\Z"]
    server.route("POST", "/api/chat", failing_chat)
    with running(server) as srv:
        with pytest.raises(TransportError) as caught:
            asyncio.run(go(srv.url))
    assert caught.value.failure_mode.value == "server_error" and "unexpectedly stopped" in caught.value.detail
    assert caught.value.retryable


def test_detect_recognises_ollama_and_nothing_else():
    with running(OllamaServer(SCRIPT, MODELS)) as ollama, running(VLLMServer(SCRIPT)) as vllm:

        async def go():
            async with httpx.AsyncClient(timeout=3) as client:
                return await OllamaBackend.detect(ollama.url, client), await OllamaBackend.detect(vllm.url, client)

        found, absent = asyncio.run(go())
    assert found == {"server_kind": "ollama", "version": "0.9.6"}
    assert absent is None


def test_benchlab_probe_prints_what_the_ollama_server_says():
    """`benchlab probe` (detection, then the Ollama backend's start) prints context, thinking and sampling defaults."""
    from helpers import benchlab

    with running(OllamaServer(SCRIPT, MODELS)) as srv:
        text = benchlab("probe", srv.url, "--model", "qwen3:0.6b", "--no-speed")
        as_json = benchlab("probe", srv.url, "--model", "qwen3:0.6b", "--no-speed", "--json")
    assert text.returncode == 0, text.stderr
    lines = dict(line.split(None, 1) for line in text.stdout.splitlines() if line.strip())
    assert lines["backend"] == "ollama" and lines["server_kind"] == "ollama" and lines["version"] == "0.9.6"
    assert lines["context_size"] == "8192" and lines["thinking_support"] == "think"
    assert json.loads(lines["sampling_defaults"]) == {"temperature": 0.6, "top_k": 20, "top_p": 0.95, "stop": ["<|im_end|>"]}
    facts = json.loads(as_json.stdout)
    assert facts["detected"] == "ollama" and facts["models"] == ["qwen3:0.6b", "llama3.2:latest"]
    assert facts["schema_version"] == SCHEMA_VERSION


def test_the_run_records_the_weights_digest_and_a_resume_after_a_re_pull_is_refused(tmp_path):
    """The digest is part of the server fingerprint in run.json; pulling the same tag again with
    other weights (another digest) between a run and its resume is refused before any request."""
    from helpers import benchlab, exact_scenario, one_error_line, run_record, write_pack

    pack = write_pack(tmp_path / "two-2", [exact_scenario("S1", "What is 3+4?", "7"), exact_scenario("S2", "Give JSON.", '{"ok": true}')])
    out = tmp_path / "out"
    models = {name: dict(config) for name, config in MODELS.items()}
    with running(OllamaServer(SCRIPT, models)) as srv:
        first = benchlab("run", "--endpoint", srv.url, "--model", "qwen3:0.6b", "--pack", str(pack), "--out", str(out),
                         "--no-progress", "--measured-tps", "50", "--concurrency", "1", "--max-total-tokens", "1",
                         "-o", "warmup=false")
        assert first.returncode == 3, first.stderr  # the spend guard leaves a scenario to resume
        record = run_record(out)
        pulled = srv.digest("qwen3:0.6b")
        assert record["probe"]["server"]["model_digest"] == pulled
        models["qwen3:0.6b"]["digest"] = "f" * 64  # `ollama pull qwen3:0.6b` fetched other weights
        asked = len(srv.bodies("/api/chat"))
        line = one_error_line(benchlab("run", "--resume", record["run_id"], "--out", str(out), "--max-total-tokens", "100000"))
        assert len(srv.bodies("/api/chat")) == asked
    assert f"model digest {'f' * 64!r} (recorded: {pulled!r})" in line
