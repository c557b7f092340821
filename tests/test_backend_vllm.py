"""Backend ``vllm`` against a protocol-faithful vLLM server over real HTTP on 127.0.0.1.

vLLM needs a GPU: tests/servers/vllm.py reproduces its documented OpenAI server
and extras (/version, max_model_len, chat_template_kwargs, reasoning_content).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from benchlab.backends import BackendOptions
from benchlab.errors import BenchlabError
from benchlab.model import ChatRequest
from benchlab.plugins.backends.vllm_backend import VLLMBackend
from helpers import ask, play_backend
from servers.base import Answer, Script, running
from servers.ollama import OllamaServer
from servers.openai_compat import OpenAIChat
from servers.base import TestServer
from servers.vllm import VLLMServer

SCRIPT = Script({"What is 3+4?": Answer("7", reasoning="3 and 4 make 7"), "Give JSON.": Answer('{"ok": true}')})
SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}}


def play(url: str, requests: list[ChatRequest], **options) -> tuple[VLLMBackend, dict, list]:
    return play_backend(VLLMBackend(BackendOptions(endpoint=url, **options)), requests)


def test_probe_reads_version_models_and_max_model_len():
    with running(VLLMServer(SCRIPT, max_model_len=40960)) as srv:
        b, facts, _ = play(srv.url + "/v1", [])
    assert facts["server_kind"] == "vllm" and facts["version"] == "0.9.2"
    assert facts["models"] == ["Qwen/Qwen3-0.6B"] and facts["model_listed"] is True and b.model == "Qwen/Qwen3-0.6B"
    assert facts["context_size"] == 40960
    assert facts["thinking_support"] == "chat_template_kwargs" and facts["structured_output"] == "response_format"


def test_thinking_switch_goes_through_chat_template_kwargs_and_reasoning_stays_apart():
    with running(VLLMServer(SCRIPT)) as srv:
        _, _, (on, off, default) = play(srv.url, [ask("What is 3+4?", thinking=True), ask("What is 3+4?", thinking=False), ask("What is 3+4?")])
        bodies = srv.bodies("/v1/chat/completions")
    assert bodies[0]["chat_template_kwargs"] == {"enable_thinking": True, "thinking": True}
    assert bodies[1]["chat_template_kwargs"] == {"enable_thinking": False, "thinking": False}
    assert "chat_template_kwargs" not in bodies[2]
    assert (on.content, on.reasoning) == ("7", "3 and 4 make 7")
    assert (off.content, off.reasoning) == ("7", None)
    # Left to the server, this Qwen3-style template thinks: it is recorded, not hidden.
    assert default.reasoning == "3 and 4 make 7"


def test_newer_reasoning_field_and_streaming_keep_reasoning_apart():
    with running(VLLMServer(SCRIPT, version="0.11.0", reasoning_field="reasoning")) as srv:
        _, _, (plain, streamed) = play(srv.url, [ask("What is 3+4?", thinking=True), ask("What is 3+4?", thinking=True, stream=True)])
    assert (plain.content, plain.reasoning) == ("7", "3 and 4 make 7")
    assert (streamed.content, streamed.reasoning) == ("7", "3 and 4 make 7")
    assert streamed.ttft_s is not None and streamed.usage.completion_tokens == 6


def test_sampling_names_are_vllms_and_extra_body_wins():
    with running(VLLMServer(SCRIPT)) as srv:
        sampling = {"temperature": 0, "top_k": 20, "min_p": 0.1, "repeat_penalty": 1.05}
        play(srv.url, [ask("What is 3+4?", sampling=sampling, reasoning_effort="low", extra_body={"top_k": 1, "chat_template_kwargs": {"custom": 1}}, thinking=False)])
        body = srv.bodies("/v1/chat/completions")[0]
    assert body["repetition_penalty"] == 1.05 and "repeat_penalty" not in body
    assert body["min_p"] == 0.1 and body["top_k"] == 1 and body["reasoning_effort"] == "low"
    assert body["chat_template_kwargs"] == {"enable_thinking": False, "thinking": False, "custom": 1}


@pytest.mark.parametrize(
    ("version", "setting", "field"),
    [
        ("0.9.2", None, "response_format"),
        ("0.5.4", None, "guided_json"),
        ("0.11.0", "structured_outputs", "structured_outputs"),
        ("0.9.2", "guided_json", "guided_json"),
    ],
)
def test_structured_output_goes_in_the_field_the_version_knows(version, setting, field):
    settings = {"structured_output": setting} if setting else {}
    with running(VLLMServer(SCRIPT, version=version)) as srv:
        _, facts, (response,) = play(srv.url, [ask("Give JSON.", response_format=SCHEMA_FORMAT)], settings=settings)
        body = srv.bodies("/v1/chat/completions")[0]
        assert srv.chat.structured == [field]
    schema = SCHEMA_FORMAT["json_schema"]["schema"]
    expected = {"response_format": SCHEMA_FORMAT, "guided_json": schema, "structured_outputs": {"json": schema}}[field]
    assert body[field] == expected and facts["structured_output"] == field
    assert response.content == '{"ok": true}'


def test_a_bad_setting_and_a_refused_key_are_one_line_errors():
    with pytest.raises(BenchlabError, match="structured_output='grammar'"):
        VLLMBackend(BackendOptions(endpoint="http://127.0.0.1:9", settings={"structured_output": "grammar"}))
    with running(VLLMServer(SCRIPT, api_key="vk-1")) as srv:
        with pytest.raises(BenchlabError, match=r"refused the request \(HTTP 401\)"):
            play(srv.url, [])
        _, facts, (response,) = play(srv.url, [ask("What is 3+4?", thinking=False)], api_key="vk-1")
    assert facts["context_size"] == 32768 and response.content == "7"


def test_detect_recognises_vllm_but_not_ollama_or_another_server_with_version():
    other = TestServer()
    other.route("GET", "/version", lambda r: r.send_json(200, {"version": "1.0"}))
    OpenAIChat(SCRIPT, owned_by="sglang").install(other)
    with running(VLLMServer(SCRIPT)) as vllm, running(OllamaServer(SCRIPT)) as ollama, running(other) as sglang:

        async def go():
            async with httpx.AsyncClient(timeout=3) as client:
                return [await VLLMBackend.detect(u, client) for u in (vllm.url, ollama.url, sglang.url)]

        found = asyncio.run(go())
    assert found == [{"server_kind": "vllm", "version": "0.9.2"}, None, None]
