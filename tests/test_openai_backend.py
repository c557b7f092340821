"""The generic openai backend against a protocol-faithful OpenAI server (tests/servers)."""

from __future__ import annotations

import asyncio
import json

from benchlab.backends import BackendOptions
from benchlab.model import ChatRequest
from benchlab.plugins.backends.openai_backend import OpenAIBackend
from helpers import benchlab, exact_scenario, run_record, write_pack
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat


class IgnoresStream(OpenAIChat):
    """Some servers ignore ``stream: true`` and answer one plain JSON body."""

    def respond(self, request, body, answer):
        super().respond(request, {**body, "stream": False}, answer)


def script() -> Script:
    return Script({"Say OK": Answer("OK"), "Name a colour": Answer("blue", reasoning="hmm")})


def ask(backend: OpenAIBackend, prompt: str, stream: bool):
    request = ChatRequest(scenario="p/s", messages=[{"role": "user", "content": prompt}], stream=stream, max_tokens=32)

    async def go():
        try:
            await backend.start()
            return await backend.chat(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_a_streamed_request_answered_with_plain_json_is_a_complete_response():
    server = TestServer()
    IgnoresStream(script(), model="m").install(server)
    with running(server):
        response = ask(OpenAIBackend(BackendOptions(endpoint=server.url)), "Say OK", stream=True)
    assert response.content == "OK" and response.finish_reason == "stop"
    assert isinstance(response.raw, dict) and response.raw["object"] == "chat.completion"


def test_streaming_measures_time_to_first_token_and_keeps_reasoning_apart():
    server = TestServer()
    OpenAIChat(script(), model="m", thinking_default=True).install(server)
    with running(server):
        response = ask(OpenAIBackend(BackendOptions(endpoint=server.url + "/v1")), "Name a colour", stream=True)
    assert response.content == "blue" and response.reasoning == "hmm"
    assert response.ttft_s is not None and response.ttft_s <= response.total_s
    assert response.usage is not None and response.usage.total_tokens


def test_the_key_is_sent_and_never_saved(tmp_path):
    server = TestServer()
    OpenAIChat(script(), model="m", api_key="sk-test-secret-123").install(server)
    pack = write_pack(tmp_path / "mini", [exact_scenario("A", "Say OK", "OK")])
    out = tmp_path / "out"
    with running(server):
        denied = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                          env={"OPENAI_API_KEY": "", "BENCHLAB_API_KEY": ""})
        assert denied.returncode == 1 and "--api-key" in denied.stderr
        done = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                        "--no-progress", env={"BENCHLAB_API_KEY": "sk-test-secret-123"})
    assert done.returncode == 0, done.stderr
    assert run_record(out)["results"][0]["passed"] is True
    for path in out.rglob("*"):
        if path.is_file():
            assert "sk-test-secret-123" not in path.read_text(errors="replace"), path
    assert "sk-test-secret-123" not in done.stdout + done.stderr


def test_a_model_the_server_does_not_list_is_a_warning(tmp_path):
    server = TestServer()
    OpenAIChat(script(), model="m").install(server)
    pack = write_pack(tmp_path / "mini", [exact_scenario("A", "Say OK", "OK")])
    out = tmp_path / "out"
    with running(server):
        done = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--model", "other", "--pack", str(pack),
                        "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    record = run_record(out)
    assert any("'other' is not in the server's list" in w for w in record["warnings"])
    assert json.dumps(record["results"][0]["request"]).count('"other"') == 1
