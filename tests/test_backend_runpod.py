"""Backend ``runpod`` against protocol-faithful RunPod servers over real HTTP on 127.0.0.1.

RunPod is a remote service: tests/servers/runpod.py reproduces a serverless
endpoint running worker-vLLM (job operations, queueing, failures, the OpenAI
route) and a pod proxy whose pod is stopped.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from benchlab.backends import BackendOptions, offline_explainer
from benchlab.errors import BenchlabError, TransportError
from benchlab.http import error_from_status
from benchlab.model import ChatRequest
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.backends.runpod_backend import RunPodBackend
from benchlab.plugins.backends.runpod_wire import is_pod_proxy, job_failure, split_endpoint
from helpers import ask, play_backend
from servers.base import Answer, Script, running
from servers.ollama import OllamaServer
from servers.runpod import PodProxyOffline, RunPodServerless

KEY = "rp_test_key"
SCRIPT = Script({"What is 3+4?": Answer("7", reasoning="3 and 4 make 7"), "Tell a story.": Answer("once upon a time there was a tiny model")})


def play(endpoint: str, requests: list[ChatRequest], *, key: str | None = KEY, **settings):
    return play_backend(RunPodBackend(BackendOptions(endpoint=endpoint, api_key=key, settings=settings)), requests)


def test_endpoint_urls_are_normalised_and_pod_urls_recognised():
    assert split_endpoint("https://api.runpod.ai/v2/abc123/runsync") == ("https://api.runpod.ai/v2/abc123", False)
    assert split_endpoint("api.runpod.ai/v2/abc123/status/job-1") == ("https://api.runpod.ai/v2/abc123", False)
    assert split_endpoint("https://api.runpod.ai/v2/abc123/openai/v1/") == ("https://api.runpod.ai/v2/abc123", True)
    assert is_pod_proxy("https://x7k2p9-11434.proxy.runpod.net/api/chat")
    assert not is_pod_proxy("https://api.runpod.ai/v2/abc123")
    with pytest.raises(BenchlabError, match="pod URL, not a serverless endpoint.*--backend ollama, vllm or openai"):
        RunPodBackend(BackendOptions(endpoint="https://x7k2p9-11434.proxy.runpod.net"))


def test_native_runsync_maps_sampling_to_worker_vllm_and_reads_its_output():
    with running(RunPodServerless(SCRIPT)) as srv:
        b, facts, (answer, cut) = play(
            srv.endpoint,
            [
                ask("What is 3+4?", sampling={"temperature": 0, "top_k": 5, "repeat_penalty": 1.1, "seed": 3}, max_tokens=50),
                ask("Tell a story.", max_tokens=4),
            ],
        )
        jobs = srv.bodies("/runsync")
        auth = {e.headers.get("authorization") for e in srv.log}
    assert facts["server_kind"] == "runpod" and facts["route"] == "native" and facts["workers"] == {"idle": 1, "running": 0}
    assert b.model == "Qwen/Qwen3-0.6B"  # named by the worker's OpenAI route, though jobs go native
    assert facts["warmup_s"] >= 0 and jobs[0]["input"]["sampling_params"] == {"max_tokens": 1}
    # vLLM's SamplingParams rejects unknown names (the job would FAIL): repeat_penalty is renamed.
    assert jobs[1]["input"]["sampling_params"] == {"temperature": 0, "top_k": 5, "repetition_penalty": 1.1, "seed": 3, "max_tokens": 50}
    assert jobs[1]["input"]["messages"] == [{"role": "user", "content": "What is 3+4?"}]
    assert (answer.content, answer.finish_reason, answer.usage.completion_tokens) == ("7", "stop", 1)
    # worker-vLLM sends no finish reason: a job that used its whole budget was cut.
    assert (cut.content, cut.finish_reason) == ("once upon a time", "length")
    assert auth == {f"Bearer {KEY}"}
    assert not any(KEY in w for w in b.warnings)


def test_a_job_that_outlives_runsync_is_polled_and_async_mode_polls_status():
    with running(RunPodServerless(SCRIPT, queue_s=0.4, exec_s=0.2, runsync_wait_s=0.1, workers={"idle": 0, "running": 0})) as srv:
        b, _, (sync_answer,) = play(srv.endpoint, [ask("What is 3+4?", max_tokens=20)], warmup=False)
        assert srv.paths("GET").count(f"/v2/{srv.endpoint_id}/health") == 1
        polls_sync = sum(1 for p in srv.paths("GET") if "/status/sync-" in p)
        _, _, (async_answer,) = play(srv.endpoint, [ask("What is 3+4?", max_tokens=20)], warmup=False, mode="async")
        polls_async = sum(1 for p in srv.paths("GET") if "/status/" in p and "/status/sync-" not in p)
    assert sync_answer.content == async_answer.content == "7"
    assert polls_sync >= 1 and polls_async >= 1
    assert any("no RunPod worker was up" in w for w in b.warnings)


def test_failed_timed_out_and_abandoned_jobs():
    with running(RunPodServerless(SCRIPT, fail_jobs=1)) as srv:
        with pytest.raises(TransportError) as caught:
            play(srv.endpoint, [ask("What is 3+4?")], warmup=False)
    assert caught.value.failure_mode.value == "server_error" and caught.value.retryable
    assert "the RunPod job failed: CUDA error" in caught.value.detail

    with running(RunPodServerless(SCRIPT, exec_s=5.0, runsync_wait_s=0.05)) as srv:

        async def abandon():
            b = RunPodBackend(BackendOptions(endpoint=srv.endpoint, api_key=KEY, settings={"warmup": False}))
            try:
                await b.start()
                async with asyncio.timeout(0.5):  # what the runner does at its per-attempt limit
                    await b.chat(ask("What is 3+4?"))
            finally:
                await b.aclose()

        with pytest.raises(TimeoutError):
            asyncio.run(abandon())
        assert len(srv.cancelled) == 1 and srv.jobs[srv.cancelled[0]]["status"] == "CANCELLED"


def test_warmup_absorbs_a_cold_start_and_a_stuck_one_is_a_clear_error():
    with running(RunPodServerless(SCRIPT, queue_s=0.6, runsync_wait_s=0.1, workers={"idle": 0, "running": 0})) as srv:
        _, facts, (answer,) = play(srv.endpoint, [ask("What is 3+4?", max_tokens=20)])
    assert facts["warmup_s"] >= 0.6 and answer.content == "7"
    with running(RunPodServerless(SCRIPT, queue_s=30, runsync_wait_s=0.1)) as srv:
        with pytest.raises(BenchlabError, match=r"no worker answered a warm-up job within 0.5s"):
            play(srv.endpoint, [], warmup_timeout_s=0.5)


def test_native_route_says_what_it_cannot_send():
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with running(RunPodServerless(SCRIPT, worker_thinks=True)) as srv:
        b, _, (response,) = play(srv.endpoint, [ask("What is 3+4?", tools=[tool], thinking=True, max_tokens=50, reasoning_effort="low")], warmup=False)
        job = srv.bodies("/runsync")[0]["input"]
    assert "tools" not in job and "thinking" not in job and "reasoning_effort" not in str(job)
    assert any("no reasoning_effort" in w for w in b.warnings)
    assert (response.content, response.reasoning) == ("7", "3 and 4 make 7")
    assert any("no tools" in w and "route=openai" in w for w in b.warnings)
    assert any("no thinking" in w for w in b.warnings)


def test_openai_route_by_url_or_setting():
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with running(RunPodServerless(SCRIPT)) as srv:
        _, facts, (by_url,) = play(srv.endpoint + "/openai/v1", [ask("What is 3+4?", max_tokens=20, tools=[tool])])
        sampled = ask("What is 3+4?", max_tokens=20, sampling={"temperature": 0, "repeat_penalty": 1.1})
        _, _, (by_setting,) = play(srv.endpoint, [sampled], route="openai", warmup=False)
        chats = srv.bodies("/openai/v1/chat/completions")
    assert facts["route"] == "openai" and facts["models"] == ["Qwen/Qwen3-0.6B"]
    assert by_url.content == by_setting.content == "7"
    assert chats[1]["tools"] == [tool] and chats[1]["model"] == "Qwen/Qwen3-0.6B"
    # worker-vLLM's OpenAI route is vLLM's server: its name for the repeat penalty
    assert chats[2]["repetition_penalty"] == 1.1 and "repeat_penalty" not in chats[2]
    assert not any("/runsync" in p for p in srv.paths())


def test_key_comes_from_the_environment_and_a_refused_key_is_one_line(monkeypatch):
    with running(RunPodServerless(SCRIPT)) as srv:
        monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
        with pytest.raises(BenchlabError, match="set RUNPOD_API_KEY or pass --api-key"):
            play(srv.endpoint, [], key=None)
        monkeypatch.setenv("RUNPOD_API_KEY", "wrong")
        with pytest.raises(BenchlabError, match=r"RunPod refused the key .*HTTP 401") as caught:
            play(srv.endpoint, [], key=None)
        assert "wrong" not in str(caught.value)
        monkeypatch.setenv("RUNPOD_API_KEY", KEY)
        _, facts, _ = play(srv.endpoint, [], key=None, warmup=False)
    assert facts["server_kind"] == "runpod"


@pytest.mark.parametrize("status", [404, 502])
def test_an_offline_pod_is_endpoint_unreachable_not_a_model_failure(status):
    with running(PodProxyOffline(status)) as srv:
        started = time.perf_counter()
        for backend in ("ollama", "vllm", "llamacpp", "openai"):
            with pytest.raises(BenchlabError, match=rf"HTTP {status} with an HTML page"):
                asyncio.run(_start(backend, srv.url))
        assert time.perf_counter() - started < 5
        # A request that meets the offline page mid-run gets the same classification from core/http.py.
        with pytest.raises(TransportError) as caught:
            asyncio.run(_chat_only("openai", srv.url))
        assert caught.value.failure_mode.value == "endpoint_unreachable"
        assert f"HTTP {status} with an HTML page" in caught.value.detail
    page = "<!DOCTYPE html><html><body>pod not running</body></html>"
    # The RunPod backend explains its proxy's page through core's hook for every backend (offline_explainer).
    explain = offline_explainer(load_plugins())
    error = error_from_status(status, page, {"content-type": "text/html"}, "https://x7k2p9-11434.proxy.runpod.net/api/chat", explain)
    assert error.failure_mode.value == "endpoint_unreachable"
    assert "the RunPod pod x7k2p9 is offline or not serving port 11434" in error.detail
    assert error.retryable is (status == 502)


async def _chat_only(name: str, url: str) -> None:
    b = load_plugins([]).backends.get(name)(BackendOptions(endpoint=url, model="m"))
    try:
        await b.chat(ask("What is 3+4?"))
    finally:
        await b.aclose()


async def _start(name: str, url: str, chat: bool = False) -> dict:
    b = load_plugins([]).backends.get(name)(BackendOptions(endpoint=url, model="m"))
    try:
        facts = await b.start()
        if chat:
            await b.chat(ask("What is 3+4?"))
        return facts
    finally:
        await b.aclose()


POD_URL = "http://x7k2p9-11434.proxy.runpod.net"


def via(server_url: str):
    """A client that sends every request to ``server_url`` as an HTTP forward proxy.

    *.proxy.runpod.net cannot be resolved here; the proxy lets a pod-shaped URL reach
    the local stand-in unchanged (absolute-form request line, Host header kept), so
    the backend sees exactly the URL a user would pass (http, as TLS cannot be faked).
    """
    import httpx

    return httpx.AsyncClient(proxy=server_url, trust_env=False)


async def _through_pod(backend_cls, server_url: str, *, chat: bool, **settings) -> tuple[dict, object]:
    # As core builds them: with what every installed backend can say about an offline page.
    b = backend_cls(BackendOptions(endpoint=POD_URL, settings=settings, explain_offline=offline_explainer(load_plugins())))
    b._client = via(server_url)
    try:
        facts = await b.start()
        return facts, (await b.chat(ask("What is 3+4?", max_tokens=20)) if chat else None)
    finally:
        await b.aclose()


def test_a_pod_url_goes_through_the_backend_of_the_server_on_the_pod():
    """Pod URLs are not special-cased by the backends: a pod serving Ollama goes through
    ``ollama`` (native routes, no /v1), one serving an OpenAI server through ``openai``;
    only ``runpod`` (serverless) refuses the URL and detection does not claim it."""
    from benchlab.plugins.backends.ollama_backend import OllamaBackend
    from benchlab.plugins.backends.openai_backend import OpenAIBackend
    from servers.openai_compat import OpenAIChat
    from servers.base import TestServer

    with running(OllamaServer(SCRIPT)) as pod:
        facts, answer = asyncio.run(_through_pod(OllamaBackend, pod.url, chat=True, warmup=False))
        hosts = {e.headers.get("host") for e in pod.log}
        paths = pod.paths()
    assert facts["server_kind"] == "ollama" and answer.content == "7"
    assert hosts == {"x7k2p9-11434.proxy.runpod.net"} and "/api/chat" in paths and not any(p.startswith("/v1") for p in paths)
    openai_pod = TestServer()
    OpenAIChat(SCRIPT, model="m").install(openai_pod)
    with running(openai_pod):
        facts, answer = asyncio.run(_through_pod(OpenAIBackend, openai_pod.url, chat=True))
    assert facts["models"] == ["m"] and answer.content == "7"
    assert asyncio.run(RunPodBackend.detect(POD_URL, None)) is None


def test_an_offline_pod_is_named_at_the_probe():
    """The pod proxy's HTML page at start-up names the pod and its port, for the backend of the pod."""
    from benchlab.plugins.backends.ollama_backend import OllamaBackend

    with running(PodProxyOffline(502)) as proxy:
        with pytest.raises(BenchlabError, match="the RunPod pod x7k2p9 is offline or not serving port 11434"):
            asyncio.run(_through_pod(OllamaBackend, proxy.url, chat=False))


def test_terminal_job_states_map_to_failure_modes():
    timed_out = job_failure({"id": "j", "status": "TIMED_OUT", "error": "execution timeout exceeded"}, 200)
    cancelled = job_failure({"id": "j", "status": "CANCELLED"}, 200)
    failed = job_failure({"id": "j", "status": "FAILED", "error": {"message": "worker OOM"}}, 200)
    assert (timed_out.failure_mode.value, timed_out.retryable) == ("timeout", False)
    assert (cancelled.failure_mode.value, cancelled.retryable) == ("http_error", False)
    assert (failed.failure_mode.value, failed.retryable, failed.detail) == ("server_error", True, "the RunPod job failed: worker OOM")
