"""Playing a scenario from recorded answers, through its real driver and verifier.

Pack proofs and the negative control use this: a multi-turn scenario gets one
recorded answer per model turn, so the verifier sees the whole transcript
(``ctx.turns``) and the runner applies its usual rules (token limit, agent loop).
``rescore`` plays a result's saved answers so (``requests_today``) to see whether
today's pack, driver and tools would send the requests the run sent.
No request leaves the process.
"""

from __future__ import annotations

from typing import Any

from benchlab.backends import Backend, BackendOptions
from benchlab.config import Budgets
from benchlab.model import ChatRequest, ChatResponse, Pack, Scenario, ScenarioResult
from benchlab.plugin_manager import Plugins
from benchlab.recorded import response_from_record
from benchlab.runner import Runner, RunSettings, WorkItem
from benchlab.timeouts import TimeoutPolicy

# A model that has run out of recorded turns stops talking: an empty final answer.
EXHAUSTED = {"content": ""}


class RecordedBackend(Backend):
    """Serves recorded answers in order, one per request; counts what it served."""

    name = "recorded"
    measures_speed = False

    def __init__(self, records: list[dict[str, Any]], *, repeat_last: bool = False) -> None:
        super().__init__(BackendOptions())
        self.records = records
        self.repeat_last = repeat_last
        self.served = 0
        self.model = "recorded"

    async def start(self) -> dict[str, Any]:
        return {}

    async def chat(self, request: ChatRequest) -> ChatResponse:
        if self.served < len(self.records):
            record = self.records[self.served]
        elif self.repeat_last and self.records:
            record = self.records[-1]
        else:
            record = EXHAUSTED
        self.served += 1
        return response_from_record(record)


async def play_recorded(
    pack: Pack,
    scenario: Scenario,
    records: list[dict[str, Any]],
    plugins: Plugins,
    sandbox: Any = None,
    *,
    repeat_last: bool = False,
) -> tuple[ScenarioResult, int]:
    """The result of playing ``records`` as the model's turns, and how many were asked for."""
    backend = RecordedBackend(records, repeat_last=repeat_last)
    settings = RunSettings(budgets=Budgets(retries=0), timeouts=TimeoutPolicy(per_case_s=max(60.0, pack.manifest.default_max_seconds)))
    runner = Runner(plugins, backend, settings, on_result=lambda result: None, sandbox=sandbox)
    result = await runner.play(WorkItem(pack, scenario))
    return result, backend.served


class MoreTurnsThanSaved(Exception):
    """Today's driver asked for a model turn the saved result does not hold."""


def answer_limits(plugins: Plugins, backend_name: str) -> tuple[int, int | None] | None:
    """A backend's answer-length defaults (``default_max_tokens``, ``answer_token_limit``), read
    without constructing it the usual way (that may start a server or read files); None when
    the backend is not installed or its defaults depend on how it was started."""
    try:
        cls = plugins.backends.get(backend_name)
        bare = cls.__new__(cls)
        Backend.__init__(bare, BackendOptions())
        return int(bare.default_max_tokens), bare.answer_token_limit
    except Exception:  # a backend's properties may read state only its start sets: nothing to compare then
        return None


class SavedTurnsBackend(Backend):
    """Serves a result's saved responses in order and keeps every request it is asked: what
    today's driver sends, given the answers the model gave then. Its answer-length defaults
    are the run's backend's, so ``max_tokens`` comes out as the run's did."""

    name = "saved-turns"
    measures_speed = False

    def __init__(self, responses: list[ChatResponse], model: str | None, limits: tuple[int, int | None]) -> None:
        super().__init__(BackendOptions(model=model))
        self.responses = responses
        self.limits = limits
        self.asked: list[ChatRequest] = []

    @property
    def default_max_tokens(self) -> int:
        return self.limits[0]

    @property
    def answer_token_limit(self) -> int | None:
        return self.limits[1]

    async def start(self) -> dict[str, Any]:
        return {}

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.asked.append(request)
        if len(self.asked) > len(self.responses):
            raise MoreTurnsThanSaved
        return self.responses[len(self.asked) - 1]


async def requests_today(item: WorkItem, backend: SavedTurnsBackend, settings: RunSettings, plugins: Plugins) -> str | None:
    """Play ``item`` through today's driver on ``backend``'s saved responses (its ``asked``
    then holds every request sent); None, or why the play did not end as the saved one did."""
    from benchlab.runner import Pacer, ScenarioAborted, Session

    session = Session(item, backend, settings, Pacer(0.0))
    driver = plugins.driver_for(item.scenario)
    if not getattr(driver, "multi_turn", True):
        # A driver that declares one answer sends session.request() (benchlab.protocols.Driver):
        # built directly, without a play, as rescore does this for every result.
        backend.asked.append(session.request())
        return None if len(backend.responses) == 1 else f"today's driver sends one request; the run saved {len(backend.responses)} turns"
    try:
        await driver.play(item.scenario, session)
    except MoreTurnsThanSaved:
        return f"today's driver asks for more than the {len(backend.responses)} model turn(s) the run saved"
    except ScenarioAborted as exc:
        if len(backend.asked) == len(backend.responses):  # stopped where the run's driver stopped it
            return f"the driver stopped it ({exc.failure_mode.value}): that verdict is the driver's, not a verifier's"
        return f"today's driver stops the scenario after {len(backend.asked)} turn(s) ({exc.failure_mode.value})"
    if len(backend.asked) < len(backend.responses):
        return f"today's driver ends after {len(backend.asked)} of the run's {len(backend.responses)} model turns"
    return None
