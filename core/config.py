"""RunConfig: everything that decides what a run does, saved with the run.

It holds no secret: the API key travels in ``BackendOptions`` only, so that
``--resume`` can rebuild a run from its journal without the key ever touching disk.
"""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.timeouts import DEFAULT_CEILING_S, DEFAULT_REFERENCE_TPS


@attrs.frozen
class RunConfig:
    backend: str
    endpoint: str | None
    model: str | None
    packs: list[str]
    mode: str
    scenarios: list[str] = attrs.field(factory=list)
    concurrency: int | None = None
    out: str = "results"
    stream: bool = False
    max_tokens: int | None = None
    extra_body: dict[str, Any] = attrs.field(factory=dict)
    retries: int = 2
    replay: str | None = None
    plugins: list[str] = attrs.field(factory=list)
    repeat: int = 1
    # thinking: None = each pack's default
    thinking: bool | None = None
    thinking_max_tokens: int = 16384
    reasoning_effort: str | None = None
    strict_thinking: bool = False
    # sampling: user overrides (canonical runs have none) or the server's own defaults
    sampling: dict[str, Any] = attrs.field(factory=dict)
    sampling_from_server: bool = False
    # time budgets and pacing
    timeout_per_case_s: float | None = None
    measured_tps: float | None = None
    reference_tps: float = DEFAULT_REFERENCE_TPS
    timeout_ceiling_s: float = DEFAULT_CEILING_S
    retry_on_timeout: bool = False
    request_delay_s: float = 0.0
    max_total_tokens: int | None = None
    settings: dict[str, Any] = attrs.field(factory=dict)
    # sandbox for packs that run model-written code: None = the best that can run now
    sandbox: str | None = None
    unsafe_local: bool = False
    # dataset packs: every item instead of the default subset
    full_dataset: bool = False

    @property
    def canonical(self) -> bool:
        """Greedy sampling chosen by benchlab: comparable across rigs and runs."""
        return not self.sampling and not self.sampling_from_server
