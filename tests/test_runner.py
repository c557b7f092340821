"""The runner: retries, timeouts, pacing, token limits and stopping, driven through
benchlab's own Backend interface by a scripted backend (a test double of our own
interface, not of any external API; HTTP-level behaviour is tested against real
servers in test_transport_faults.py and the e2e tests)."""

from __future__ import annotations

import attrs

import asyncio
import time
from typing import Any

import pytest

from benchlab.backends import Backend, BackendOptions
from benchlab.errors import TransportError
from benchlab.model import ChatRequest, ChatResponse, FailureMode, Pack, PackManifest, Scenario, Usage, VerifierSpec
from benchlab.plugin_manager import load_plugins
from benchlab.config import Budgets, Thinking
from benchlab.runner import Runner, RunSettings, StopRun, WorkItem
from benchlab.timeouts import TimeoutPolicy


class ScriptedBackend(Backend):
    """Answers each request with the next scripted step: a ChatResponse, a TransportError or a delay."""

    def __init__(self, script: list[Any]) -> None:
        super().__init__(BackendOptions())
        self.script = list(script)
        self.requests: list[tuple[float, ChatRequest]] = []

    async def start(self) -> dict[str, Any]:
        return {}

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append((time.monotonic(), request))
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, float):
            await asyncio.sleep(step)
            return ChatResponse(content="late", finish_reason="stop", total_s=step)
        if isinstance(step, Exception):
            raise step
        return step


def make_pack(n: int = 1, expected: str = "yes", **manifest: Any) -> Pack:
    scenarios = [
        Scenario(id=f"S{i}", messages=[{"role": "user", "content": f"q{i}"}], verifier=VerifierSpec("exact", {"expected": expected}))
        for i in range(n)
    ]
    fields = dict(id="p", version="1", title="P", dimension="d", default_thinking=False, default_max_seconds=5.0)
    fields.update(manifest)
    return Pack(PackManifest(**fields), scenarios, None)


@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


def play(plugins, backend, pack, settings=None):
    results = []
    runner = Runner(plugins, backend, settings or RunSettings(), results.append)
    asyncio.run(runner.run([WorkItem(pack, s) for s in pack.scenarios]))
    return results, runner


def ok(text="yes", **kw):
    return ChatResponse(content=text, finish_reason="stop", total_s=0.01, **kw)


def test_retries_then_passes_and_keeps_the_failed_attempts(plugins, monkeypatch):
    monkeypatch.setattr("benchlab.runner.BACKOFF_BASE_S", 0.001)
    backend = ScriptedBackend([TransportError(FailureMode.SERVER_ERROR, "HTTP 500", retryable=True, status_code=500), ok()])
    [result], _ = play(plugins, backend, make_pack())
    assert result.passed
    assert [(a.number, a.failure_mode, a.status_code) for a in result.attempts] == [(1, FailureMode.SERVER_ERROR, 500)]
    assert len(backend.requests) == 2


def test_when_retries_run_out_the_last_failure_mode_stands(plugins, monkeypatch):
    monkeypatch.setattr("benchlab.runner.BACKOFF_BASE_S", 0.001)
    backend = ScriptedBackend([
        TransportError(FailureMode.SERVER_ERROR, "HTTP 503", retryable=True),
        TransportError(FailureMode.SERVER_ERROR, "HTTP 502", retryable=True),
        TransportError(FailureMode.ENDPOINT_UNREACHABLE, "refused", retryable=True),
    ])
    [result], _ = play(plugins, backend, make_pack(), RunSettings(budgets=Budgets(retries=2)))
    assert not result.passed
    assert result.failure_mode == FailureMode.ENDPOINT_UNREACHABLE
    assert len(result.attempts) == 3 and len(backend.requests) == 3


def test_non_retryable_error_is_not_retried(plugins):
    backend = ScriptedBackend([TransportError(FailureMode.HTTP_ERROR, "HTTP 400 bad request", status_code=400)])
    [result], _ = play(plugins, backend, make_pack())
    assert result.failure_mode == FailureMode.HTTP_ERROR and len(backend.requests) == 1


def test_retry_after_is_honoured(plugins):
    backend = ScriptedBackend([TransportError(FailureMode.HTTP_ERROR, "429", retryable=True, retry_after=0.3), ok()])
    [result], _ = play(plugins, backend, make_pack())
    gap = backend.requests[1][0] - backend.requests[0][0]
    assert result.passed and gap >= 0.29


def test_timeout_is_per_attempt_and_not_retried_by_default(plugins):
    backend = ScriptedBackend([0.5])
    settings = RunSettings(timeouts=TimeoutPolicy(per_case_s=0.1))
    [result], _ = play(plugins, backend, make_pack(), settings)
    assert result.failure_mode == FailureMode.TIMEOUT and len(backend.requests) == 1
    assert result.timeout_s == 0.1


def test_retry_on_timeout_opt_in(plugins, monkeypatch):
    monkeypatch.setattr("benchlab.runner.BACKOFF_BASE_S", 0.001)
    backend = ScriptedBackend([0.5, ok()])
    settings = RunSettings(budgets=Budgets(retry_on_timeout=True), timeouts=TimeoutPolicy(per_case_s=0.1))
    [result], _ = play(plugins, backend, make_pack(), settings)
    assert result.passed and result.attempts[0].failure_mode == FailureMode.TIMEOUT


def test_length_cut_is_token_limit_even_if_the_text_would_pass(plugins):
    backend = ScriptedBackend([ChatResponse(content="yes", finish_reason="length", total_s=0.01)])
    [result], _ = play(plugins, backend, make_pack())
    assert not result.passed and result.failure_mode == FailureMode.TOKEN_LIMIT
    assert "max_tokens=" in result.detail


def test_empty_content_is_a_content_verdict(plugins):
    backend = ScriptedBackend([ok("")])
    [result], _ = play(plugins, backend, make_pack())
    assert result.failure_mode == FailureMode.WRONG_ANSWER


def test_concurrency_limit_is_respected(plugins):
    in_flight = peak = 0

    class Counting(ScriptedBackend):
        async def chat(self, request):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1
            return ok()

    results, _ = play(plugins, Counting([ok()]), make_pack(12), RunSettings(concurrency=3))
    assert len(results) == 12 and peak == 3


def test_request_delay_spaces_request_starts(plugins):
    backend = ScriptedBackend([ok()])
    play(plugins, backend, make_pack(4), RunSettings(concurrency=4, budgets=Budgets(request_delay_s=0.1)))
    starts = [t for t, _ in backend.requests]
    assert all(b - a >= 0.095 for a, b in zip(starts, starts[1:]))


def test_stop_run_from_on_result_stops_taking_new_work(plugins):
    seen = []

    def on_result(result):
        seen.append(result)
        if len(seen) == 2:
            raise StopRun("spend guard")

    runner = Runner(plugins, ScriptedBackend([ok()]), RunSettings(concurrency=1), on_result)
    pack = make_pack(6)
    asyncio.run(runner.run([WorkItem(pack, s) for s in pack.scenarios]))
    assert len(seen) == 2 and runner.stop_reason == "spend guard"


def test_request_carries_greedy_sampling_thinking_and_budget(plugins):
    backend = ScriptedBackend([ok()])
    pack = make_pack(default_thinking=True, sampling={"top_k": 1})
    play(plugins, backend, pack, RunSettings(thinking=Thinking(max_tokens=1000), max_tokens=100, context_cap=900))
    request = backend.requests[0][1]
    assert request.sampling == {"temperature": 0, "top_k": 1}
    assert request.thinking is True
    assert request.max_tokens == 900  # 100 + 1000, capped by the context


def test_max_tokens_flag_wins_over_the_scenario_and_the_backend_limit(plugins):
    pack = make_pack(1)
    pack = Pack(pack.manifest, [attrs.evolve(pack.scenarios[0], max_tokens=1024)], None)
    for settings, expected in (
        (RunSettings(), 1024),  # the scenario's own budget
        (RunSettings(answer_token_limit=256), 256),  # capped by the backend's limit for its model
        (RunSettings(max_tokens=50, answer_token_limit=256), 50),  # --max-tokens is the user's word
        (RunSettings(max_tokens=2000, answer_token_limit=256), 2000),
    ):
        backend = ScriptedBackend([ok()])
        play(plugins, backend, pack, settings)
        assert backend.requests[0][1].max_tokens == expected, settings


def test_user_sampling_flags_win_over_the_pack_and_the_scenario(plugins):
    backend = ScriptedBackend([ok()])
    pack = make_pack(2, sampling={"temperature": 0.7, "top_k": 40})
    tuned = attrs.evolve(pack.scenarios[1], sampling={"temperature": 0.3, "top_p": 0.5})
    pack = Pack(pack.manifest, [pack.scenarios[0], tuned], None)
    play(plugins, backend, pack, RunSettings(sampling={"temperature": 0.1}))
    by_scenario = {request.scenario: request.sampling for _, request in backend.requests}
    assert by_scenario == {
        f"{pack.id}/{pack.scenarios[0].id}": {"temperature": 0.1, "top_k": 40},
        f"{pack.id}/{tuned.id}": {"temperature": 0.1, "top_k": 40, "top_p": 0.5},
    }


def test_sampling_from_server_sends_nothing(plugins):
    backend = ScriptedBackend([ok()])
    play(plugins, backend, make_pack(sampling={"top_k": 1}), RunSettings(sampling=None))
    assert backend.requests[0][1].sampling == {}


def test_a_crashing_verifier_costs_one_scenario(plugins, tmp_path):
    backend = ScriptedBackend([ChatResponse(content="x", finish_reason="stop", usage=Usage(1, 1, 2))])
    pack = make_pack()
    bad = Scenario(id="B", messages=[{"role": "user", "content": "q"}], verifier=VerifierSpec("regex", {"pattern": "("}))
    pack = Pack(pack.manifest, [bad, *pack.scenarios], None)
    results, _ = play(plugins, backend, pack)
    assert {r.scenario_id: r.failure_mode for r in results}["B"] == FailureMode.VERIFIER_FAIL
    assert len(results) == 2
