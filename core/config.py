"""RunConfig: everything that decides what a run does, saved with the run.

It holds no secret: the API key travels in ``BackendOptions`` only, so that
``--resume`` can rebuild a run from its journal without the key ever touching disk.
"""

from __future__ import annotations

from typing import Any

import attrs


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
    timeout_s: float | None = None
    retries: int = 2
    replay: str | None = None
    plugins: list[str] = attrs.field(factory=list)
    repeat: int = 1
