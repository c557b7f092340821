"""Playing scenarios: bounded concurrency, pacing, per-attempt timeouts, retries, verdicts.

The runner knows no backend, driver or verifier by name: it gets them from the
registries. It hands every finished result to ``on_result`` at once, so the
journal is written before that worker starts its next scenario.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from datetime import datetime, timezone
from typing import Any, Callable

import attrs

from benchlab.backends import Backend
from benchlab.errors import BenchlabError, TransportError
from benchlab.config import Budgets, Thinking
from benchlab.model import (
    DEFAULT_VARIANT,
    Attempt,
    ChatRequest,
    ChatResponse,
    FailureMode,
    Pack,
    ResultKey,
    Scenario,
    ScenarioResult,
    Turn,
    Verdict,
    thinking_arm,
)
from benchlab.pack_loader import verifier_instance
from benchlab.plugin_manager import Plugins
from benchlab.sampling import request_sampling, seed_for_repeat
from benchlab.speed import NO_CHAT_ROUTE, wrong_url_message
from benchlab.timeouts import TimeoutPolicy
from benchlab.verifiers import VerifyContext, verifier_arguments

BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0


@attrs.frozen
class WorkItem:
    """One scenario to play: which prompt variant, with thinking on or off (None: the pack's default), which repeat."""

    pack: Pack
    scenario: Scenario
    repeat: int = 0
    prompt_variant: str = DEFAULT_VARIANT
    thinking: bool | None = None

    @property
    def thinks(self) -> bool:
        return self.pack.manifest.default_thinking if self.thinking is None else self.thinking

    @property
    def key(self) -> ResultKey:
        return ResultKey(self.pack.id, self.scenario.id, self.prompt_variant, thinking_arm(self.thinks), self.repeat)


@attrs.define
class RunSettings:
    """What the runner applies to every scenario: the run's configuration groups, resolved
    against the endpoint (concurrency, context, the backend's answer limit, time budgets)."""

    concurrency: int = 1
    budgets: Budgets = attrs.field(factory=Budgets)
    thinking: Thinking = attrs.field(factory=Thinking)
    # The user's sampling flags, which win over the pack's and scenario's (benchlab/sampling.py);
    # None: send no sampling parameters and let the server's defaults apply.
    sampling: dict[str, Any] | None = attrs.field(factory=dict)
    stream: bool = False
    max_tokens: int | None = None
    extra_body: dict[str, Any] = attrs.field(factory=dict)
    context_cap: int | None = None
    # The backend's cap on answers for its endpoint (Backend.answer_token_limit).
    answer_token_limit: int | None = None
    timeouts: TimeoutPolicy = attrs.field(factory=TimeoutPolicy)


class ScenarioAborted(Exception):
    """No usable response after all retries; the last attempt's failure mode stands."""

    def __init__(self, failure_mode: FailureMode, detail: str) -> None:
        super().__init__(detail)
        self.failure_mode = failure_mode
        self.detail = detail


class StopRun(Exception):
    """Stop playing new scenarios; everything finished is kept."""


class Pacer:
    """Keeps at least ``gap_s`` between request starts (hosted APIs' rate limits)."""

    def __init__(self, gap_s: float) -> None:
        self.gap_s = gap_s
        self._lock = asyncio.Lock()
        self._last = 0.0

    async def wait(self) -> None:
        if self.gap_s <= 0:
            return
        async with self._lock:
            delay = self._last + self.gap_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last = time.monotonic()


class Session:
    """What a driver uses to talk to the endpoint while playing one scenario."""

    def __init__(self, item: WorkItem, backend: Backend, settings: RunSettings, pacer: Pacer) -> None:
        self.item = item
        self.backend = backend
        self.settings = settings
        self.pacer = pacer
        self.thinking = item.thinks
        self.max_tokens = self._max_tokens()
        base = item.scenario.max_seconds or item.pack.manifest.default_max_seconds
        self.timeout_s = settings.timeouts.budget(float(base), self.max_tokens)
        self.turns: list[Turn] = []
        self.attempts: list[Attempt] = []

    @property
    def scenario(self) -> Scenario:
        return self.item.scenario

    def _max_tokens(self) -> int:
        # The user's --max-tokens wins; else the scenario's own budget, capped by the backend's limit.
        answer = self.settings.max_tokens or self.item.scenario.max_tokens or self.backend.default_max_tokens
        if self.settings.answer_token_limit and not self.settings.max_tokens:
            answer = min(answer, self.settings.answer_token_limit)
        total = answer + (self.settings.thinking.max_tokens if self.thinking else 0)
        cap = self.settings.context_cap
        return min(total, cap) if cap else total

    def request(self, messages: list[dict[str, Any]] | None = None) -> ChatRequest:
        """The request for this scenario (or for ``messages`` in a later turn)."""
        scenario, pack = self.item.scenario, self.item.pack
        sampling = seed_for_repeat(request_sampling(pack, scenario.sampling, self.settings.sampling), self.item.repeat)
        return ChatRequest(
            scenario=f"{pack.id}/{scenario.id}",
            messages=messages if messages is not None else scenario.messages,
            model=self.backend.model,
            tools=scenario.tools,
            response_format=scenario.response_format,
            max_tokens=self.max_tokens,
            sampling=sampling,
            stream=self.settings.stream,
            extra_body=self.settings.extra_body,
            thinking=self.thinking,
            reasoning_effort=self.settings.thinking.reasoning_effort,
            prompt_variant=self.item.prompt_variant,
        )

    async def send(self, request: ChatRequest) -> ChatResponse:
        """Send with retries; raise ScenarioAborted when they run out."""
        last: TransportError | None = None
        retries = self.settings.budgets.retries
        for number in range(1, retries + 2):
            await self.pacer.wait()
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.timeout_s):
                    response = await self.backend.chat(request)
            except TimeoutError:
                last = TransportError(
                    FailureMode.TIMEOUT,
                    f"no complete answer within {self.timeout_s:g}s",
                    retryable=self.settings.budgets.retry_on_timeout,
                )
            except TransportError as exc:
                last = exc
            else:
                self.turns.append(Turn(request, response))
                return response
            mode = FailureMode(last.failure_mode)
            self.attempts.append(Attempt(number, mode, last.detail, round(time.perf_counter() - started, 4), last.status_code))
            if not last.retryable or number > retries:
                break
            await asyncio.sleep(_backoff(number, last.retry_after))
        assert last is not None
        self.turns.append(Turn(request, None))
        raise ScenarioAborted(FailureMode(last.failure_mode), last.detail)


def _backoff(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    return min(BACKOFF_BASE_S * 2 ** (attempt - 1), BACKOFF_MAX_S) * (0.75 + random.random() * 0.5)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Runner:
    """Plays work items on ``settings.concurrency`` workers.

    ``on_result`` may raise StopRun (a spend guard, a fatal thinking check): the
    workers then finish what they hold and take nothing new. A first result whose
    chat request got 404/405 before any request was answered ends the run with a
    BenchlabError (after it is journaled): the base URL is wrong, and every other
    scenario would fail alike.
    """

    def __init__(
        self,
        plugins: Plugins,
        backend: Backend,
        settings: RunSettings,
        on_result: Callable[[ScenarioResult], None],
        sandbox: Any = None,
    ) -> None:
        self.plugins = plugins
        self.sandbox = sandbox
        self.backend = backend
        self.settings = settings
        self.on_result = on_result
        self.pacer = Pacer(settings.budgets.request_delay_s)
        self.stop_reason: str | None = None
        # Set once any chat request of the run was answered (the URL serves chat).
        self.answered = False

    async def run(self, items: list[WorkItem]) -> None:
        queue: asyncio.Queue[WorkItem] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)
        count = max(1, min(self.settings.concurrency, len(items)))
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(count)]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()

    async def _worker(self, queue: asyncio.Queue[WorkItem]) -> None:
        while self.stop_reason is None:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            result = await self.play(item)
            try:
                self.on_result(result)
            except StopRun as stop:
                self.stop_reason = str(stop)
            self._check_route(result)

    def _check_route(self, result: ScenarioResult) -> None:
        if self.answered:
            return
        if result.response is not None or any(t.response is not None for t in result.turns):
            self.answered = True
        elif result.attempts and result.attempts[-1].status_code in NO_CHAT_ROUTE:
            raise BenchlabError(wrong_url_message(self.backend.endpoint_label, result.attempts[-1].detail))

    async def play(self, item: WorkItem) -> ScenarioResult:
        scenario = item.scenario
        session = Session(item, self.backend, self.settings, self.pacer)
        started_at = now_iso()
        response: ChatResponse | None = None
        try:
            driver = self.plugins.driver_for(scenario)
            response = await driver.play(scenario, session)
        except ScenarioAborted as exc:
            verdict = Verdict.fail(exc.failure_mode, exc.detail)
        except Exception as exc:  # a backend or driver bug costs one scenario, not the run
            verdict = Verdict.fail(FailureMode.HTTP_ERROR, f"internal error while playing the scenario: {exc!r}")
        else:
            verdict = await self.judge(item, response, session)
        request = session.turns[0].request if session.turns else None
        answered = [t.response for t in session.turns if t.response is not None]
        latency = sum(r.total_s or 0.0 for r in answered) if answered else None
        first = session.turns[0].response if session.turns else None
        return ScenarioResult(
            pack=item.pack.id,
            scenario_id=scenario.id,
            passed=verdict.passed,
            score=verdict.score,
            failure_mode=verdict.failure_mode,
            detail=verdict.detail,
            latency_s=round(latency, 4) if latency is not None else None,
            checks=verdict.checks,
            artifacts=verdict.artifacts,
            attempts=session.attempts,
            request=request,
            response=response,
            turns=session.turns if len(session.turns) > 1 else [],
            ttft_s=first.ttft_s if first is not None else None,
            repeat=item.repeat,
            started_at=started_at,
            timeout_s=session.timeout_s,
            prompt_variant=item.prompt_variant,
            thinking=thinking_arm(session.thinking),
        )

    async def judge(self, item: WorkItem, response: ChatResponse, session: Session) -> Verdict:
        return await judge(self.plugins, item, response, session.turns, self.sandbox, session.max_tokens)


async def judge(
    plugins: Plugins, item: WorkItem, response: ChatResponse, turns: list[Turn], sandbox: Any, max_tokens: int | None
) -> Verdict:
    """The verdict on ``response`` (the last of ``turns``): the scenario's verifier, then the
    token-limit rule. A run judges each answer so, and ``rescore`` judges saved answers again."""
    scenario = item.scenario
    verifier = verifier_instance(plugins.verifiers, scenario.verifier.kind)
    ctx = VerifyContext(scenario=scenario, pack=item.pack, turns=turns, sandbox=sandbox)
    try:
        verdict = verifier.verify(verifier_arguments(verifier, scenario.verifier), response, ctx)
        if inspect.isawaitable(verdict):
            verdict = await verdict
    except Exception as exc:  # a verifier bug is reported, never fatal to the run
        verdict = Verdict.fail(FailureMode.VERIFIER_FAIL, f"verifier {scenario.verifier.kind!r} crashed: {exc!r}")
    if response.finish_reason == "length":
        # A cut answer is never a pass: the verifier may be judging half of it.
        cut = f"the answer was cut at the token limit (max_tokens={max_tokens})"
        detail = f"{cut}; {verdict.detail}".rstrip("; ")
        verdict = attrs.evolve(verdict, passed=False, score=0.0, failure_mode=FailureMode.TOKEN_LIMIT, detail=detail)
    return verdict
