"""The same scripted model behind every dialect gets the same verdicts.

tests/data/crosspack is played through the real CLI (``benchlab run --backend X
--endpoint URL``) against protocol-faithful local servers that answer from one
script: plain OpenAI, Ollama (native API), vLLM, llama.cpp's llama-server (its
/health and /props over the OpenAI routes), RunPod serverless (native
worker-vLLM jobs and its OpenAI route). Only a dialect's real limits may differ:
worker-vLLM's native job input carries no tools, so its tool scenario fails, and
the run says why.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from helpers import benchlab, run_record
from servers.base import Answer, Script, TestServer, running
from servers.ollama import OllamaServer
from servers.openai_compat import OpenAIChat
from servers.runpod import RunPodServerless
from servers.vllm import VLLMServer

PACK = Path(__file__).parent / "data" / "crosspack"
SCRIPT = Script(
    {
        "What is the capital of France? Answer with one word.": Answer("Paris"),
        "What is 6 times 7?": Answer("6 times 7 is 42."),
        "Name one primary color.": Answer("Blue."),
        "What is the weather in Paris right now?": Answer("", tool_calls=[("get_weather", {"city": "Paris"})]),
        "What is 3+4? Reply with the number only.": Answer("7", reasoning="3 plus 4 is 7, not 9"),
        "What is 2+2?": Answer("2 + 2 = 5"),
        "Write a long story about a lighthouse.": Answer("There once was a keeper who lived alone in a tall lighthouse by the sea and every night he lit the lamp"),
    }
)
EXPECTED = {
    "capital": None,
    "multiply": None,
    "color": None,
    "weather": None,
    "reasoned": None,
    "wrong": "wrong_answer",
    "story": "token_limit",
}
KEY = "rp_test_key"


def plain_openai() -> TestServer:
    server = TestServer()
    OpenAIChat(SCRIPT, model="gpt-test").install(server)
    return server


def llama_cpp() -> TestServer:
    """llama-server as tools/server/README.md documents /health and /props (Qwen3-style template)."""
    server = plain_openai()
    props = {
        "default_generation_settings": {"params": {"temperature": 0.8, "top_k": 40}, "n_ctx": 8192},
        "total_slots": 2,
        "chat_template": "{%- if enable_thinking is defined and enable_thinking is false %}<think></think>{%- endif %}",
        "build_info": "b6000-abcdef0",
    }
    server.route("GET", "/health", lambda r: r.send_json(200, {"status": "ok"}))
    server.route("GET", "/props", lambda r: r.send_json(200, props))
    server.route("GET", "/slots", lambda r: r.send_json(501, {"error": {"code": 501, "message": "This server does not support slots endpoint."}}))
    return server


def verdicts(out: Path) -> tuple[dict[str, str | None], dict]:
    record = run_record(out)
    return {r["scenario_id"]: r["failure_mode"] for r in record["results"]}, record


@pytest.mark.slow
def test_the_same_script_gets_the_same_verdicts_through_every_backend(tmp_path):
    with ExitStack() as stack:
        openai = stack.enter_context(running(plain_openai()))
        ollama = stack.enter_context(running(OllamaServer(SCRIPT, {"qwen3:0.6b": {"capabilities": ["completion", "tools", "thinking"]}})))
        vllm = stack.enter_context(running(VLLMServer(SCRIPT)))
        runpod = stack.enter_context(running(RunPodServerless(SCRIPT, api_key=KEY)))
        llama = stack.enter_context(running(llama_cpp()))
        runs = {
            "openai": ["--backend", "openai", "--endpoint", openai.url + "/v1"],
            "ollama": ["--backend", "ollama", "--endpoint", ollama.url],
            "vllm": ["--backend", "vllm", "--endpoint", vllm.url],
            "runpod-openai": ["--backend", "runpod", "--endpoint", runpod.endpoint + "/openai/v1"],
            "runpod-native": ["--backend", "runpod", "--endpoint", runpod.endpoint],
            "detected-ollama": ["--endpoint", ollama.url],
            "detected-vllm": ["--endpoint", vllm.url],
            "llamacpp": ["--backend", "llamacpp", "--endpoint", llama.url],
            "detected-llamacpp": ["--endpoint", llama.url + "/v1"],
        }
        results = {}
        for name, flags in runs.items():
            out = tmp_path / name
            done = benchlab(
                "run", *flags, "--pack", str(PACK), "--out", str(out), "--format", "json", "--no-progress",
                env={"RUNPOD_API_KEY": KEY, "OPENAI_API_KEY": "", "BENCHLAB_API_KEY": ""},
                timeout=120,
            )
            assert done.returncode == 0, (name, done.stderr)
            results[name] = verdicts(out)
        ollama_paths = ollama.paths()
        vllm_bodies = vllm.bodies("/v1/chat/completions")
    for name, (found, record) in results.items():
        expected = dict(EXPECTED)
        if name == "runpod-native":
            expected["weather"] = "wrong_answer"
        assert found == expected, name
    assert results["detected-ollama"][1]["backend"] == "ollama" and results["detected-vllm"][1]["backend"] == "vllm"
    assert results["detected-llamacpp"][1]["backend"] == "llamacpp"
    native = results["runpod-native"][1]
    assert any("no tools" in w for w in native["warnings"])
    # Dialect traps stayed out of the verdicts: Ollama was never asked on /v1 ...
    assert not any(p.startswith("/v1") for p in ollama_paths)
    # ... reasoning never leaked into answers, and thinking was switched off where it can be.
    for name in ("ollama", "vllm"):
        reasoned = next(r for r in results[name][1]["results"] if r["scenario_id"] == "reasoned")
        assert reasoned["response"]["content"] == "7" and not reasoned["response"]["reasoning"]
    assert all(b.get("chat_template_kwargs", {}).get("enable_thinking") is False for b in vllm_bodies if b["messages"][0]["content"] != "Count from 1 to 40 in words, separated by commas. Output only the words.")
    for name, (_, record) in results.items():
        run_dir = tmp_path / name / record["run_id"]
        assert all(KEY not in f.read_text() for f in run_dir.iterdir() if f.is_file()), name
