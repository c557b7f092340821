"""Playing a scenario from recorded answers, through its real driver and verifier.

Pack proofs and the negative control use this: a multi-turn scenario gets one
recorded answer per model turn, so the verifier sees the whole transcript
(``ctx.turns``) and the runner applies its usual rules (token limit, agent loop).
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
