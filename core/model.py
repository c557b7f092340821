"""The data model: frozen attrs classes, saved through ``benchlab.codec``."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import attrs


class FailureMode(str, enum.Enum):
    """Why a scenario did not pass. One enum for the record, the report and the docs."""

    # content: the model's answer is wrong
    WRONG_ANSWER = "wrong_answer"
    INVALID_JSON = "invalid_json"
    SCHEMA_VIOLATION = "schema_violation"
    MISSING_FIELD = "missing_field"
    VERIFIER_FAIL = "verifier_fail"
    # runaway: the model did not finish
    TOKEN_LIMIT = "token_limit"
    TIMEOUT = "timeout"
    AGENT_LOOP_EXHAUSTED = "agent_loop_exhausted"
    # infrastructure: never the model's fault
    ENDPOINT_UNREACHABLE = "endpoint_unreachable"
    HTTP_ERROR = "http_error"
    SERVER_ERROR = "server_error"
    SANDBOX_ERROR = "sandbox_error"
    SANDBOX_TIMEOUT = "sandbox_timeout"
    # not scored: the scenario could not be attempted here
    DATASET_UNAVAILABLE = "dataset_unavailable"
    SANDBOX_UNAVAILABLE = "sandbox_unavailable"

    @property
    def category(self) -> str:
        return _CATEGORY[self]

    @property
    def is_infrastructure(self) -> bool:
        return self.category == "infrastructure"

    @property
    def is_scored(self) -> bool:
        """Whether a scenario ending this way counts in Pass/Total."""
        return self.category in ("content", "runaway")


_CATEGORY = {
    **dict.fromkeys(
        [
            FailureMode.WRONG_ANSWER,
            FailureMode.INVALID_JSON,
            FailureMode.SCHEMA_VIOLATION,
            FailureMode.MISSING_FIELD,
            FailureMode.VERIFIER_FAIL,
        ],
        "content",
    ),
    **dict.fromkeys(
        [FailureMode.TOKEN_LIMIT, FailureMode.TIMEOUT, FailureMode.AGENT_LOOP_EXHAUSTED], "runaway"
    ),
    **dict.fromkeys(
        [
            FailureMode.ENDPOINT_UNREACHABLE,
            FailureMode.HTTP_ERROR,
            FailureMode.SERVER_ERROR,
            FailureMode.SANDBOX_ERROR,
            FailureMode.SANDBOX_TIMEOUT,
        ],
        "infrastructure",
    ),
    **dict.fromkeys([FailureMode.DATASET_UNAVAILABLE, FailureMode.SANDBOX_UNAVAILABLE], "not_scored"),
}


@attrs.frozen
class VerifierSpec:
    """A scenario's ``verifier`` object: its kind and the rest of its keys."""

    kind: str
    params: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Scenario:
    """One prompt and how its answer is judged. ``id`` is unique inside its pack."""

    id: str
    messages: list[dict[str, Any]]
    verifier: VerifierSpec
    tools: list[dict[str, Any]] | None = None
    response_format: dict[str, Any] | None = None
    driver: str = "chat"
    sampling: dict[str, Any] = attrs.field(factory=dict)
    max_seconds: float | None = None
    max_tokens: int | None = None
    tags: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict)
    line: int = 0


@attrs.frozen
class PackManifest:
    """The contents of ``pack.toml``."""

    id: str
    version: str
    title: str
    dimension: str
    default_thinking: bool
    default_max_seconds: float
    description: str = ""
    floor: float | None = None
    sampling: dict[str, Any] = attrs.field(factory=dict)
    dataset: str | None = None
    # Scenario id pairs whose gold answers are interchangeable (negative control skips them).
    equivalent: list[list[str]] = attrs.field(factory=list)


@attrs.frozen
class Pack:
    """A validated pack: its manifest, its scenarios and where it came from."""

    manifest: PackManifest
    scenarios: list[Scenario]
    path: Path | None
    needs_sandbox: bool = False
    # Why a dataset-backed pack has no scenarios here (its dataset is not installed).
    unavailable: str | None = None

    @property
    def id(self) -> str:
        return self.manifest.id

    def scenario(self, scenario_id: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)


@attrs.frozen
class LoadOptions:
    """What a dataset loader is told about the run.

    ``full_dataset``: every item, not the default subset (``--full-dataset``).
    ``scenario_ids``: the run's ``--scenario`` references (``PACK/ID``); a loader includes
    the items of its own pack named there even when they lie outside its default subset.
    ``settings``: run options contributed for loaders (e.g. which of a dataset's question
    formats to ask in), keyed by names the loader documents; a loader reads the keys it
    knows and ignores the rest.
    """

    full_dataset: bool = False
    scenario_ids: tuple[str, ...] = ()
    settings: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class PackSource:
    """What ``register_packs`` registers: a pack folder, or a loader for a dataset."""

    id: str
    path: Path | None = None
    loader: str | None = None
    summary: str = ""
    modes: tuple[str, ...] = ()


@attrs.frozen
class ToolCall:
    """A function call the model asked for. ``arguments`` is parsed JSON when it parses."""

    name: str
    arguments: Any
    id: str | None = None
    arguments_raw: str | None = None


@attrs.frozen
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


@attrs.frozen
class ChatRequest:
    """What benchlab asked for, normalised (the backend maps it to its wire format).

    ``sampling`` uses canonical names: temperature, top_p, top_k, min_p,
    repeat_penalty, seed. ``thinking`` is None (leave the server's default),
    True or False; each backend maps it to its own switch.
    """

    scenario: str
    messages: list[dict[str, Any]]
    model: str | None = None
    tools: list[dict[str, Any]] | None = None
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    sampling: dict[str, Any] = attrs.field(factory=dict)
    stream: bool = False
    extra_body: dict[str, Any] = attrs.field(factory=dict)
    thinking: bool | None = None
    reasoning_effort: str | None = None


@attrs.frozen
class ChatResponse:
    """What came back, normalised. ``raw`` is the body as received."""

    content: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = attrs.field(factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    ttft_s: float | None = None
    total_s: float | None = None
    tokens_per_s: float | None = None
    status_code: int | None = None
    raw: Any = None


@attrs.frozen
class Check:
    """One checked property of an answer."""

    name: str
    ok: bool
    detail: str = ""


@attrs.frozen
class Verdict:
    """A verifier's judgement of one answer."""

    passed: bool
    score: float
    failure_mode: FailureMode | None = None
    detail: str = ""
    checks: list[Check] = attrs.field(factory=list)
    # What a verifier wants kept beside the verdict (e.g. a sandboxed program's capped output).
    artifacts: dict[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_checks(
        cls, checks: list[Check], failure_mode: FailureMode = FailureMode.VERIFIER_FAIL
    ) -> Verdict:
        """Pass when every check is ok; the score is the fraction that are."""
        if not checks:
            return cls(False, 0.0, failure_mode, "no checks ran", [])
        ok = sum(c.ok for c in checks)
        failed = [c for c in checks if not c.ok]
        detail = "; ".join(f"{c.name}: {c.detail}" if c.detail else c.name for c in failed)
        return cls(not failed, ok / len(checks), failure_mode if failed else None, detail, list(checks))

    @classmethod
    def fail(cls, failure_mode: FailureMode, detail: str, checks: list[Check] | None = None) -> Verdict:
        return cls(False, 0.0, failure_mode, detail, list(checks or []))


@attrs.frozen
class Attempt:
    """One try at a request that did not produce a response (kept before the final verdict)."""

    number: int
    failure_mode: FailureMode
    detail: str
    elapsed_s: float
    status_code: int | None = None


@attrs.frozen
class Turn:
    """One request and its response inside a multi-turn scenario."""

    request: ChatRequest
    response: ChatResponse | None


@attrs.frozen
class ScenarioResult:
    """Everything known about one played scenario."""

    pack: str
    scenario_id: str
    # Failed transport attempts, saved ahead of the final verdict that follows them
    # (keyword-only, so positional construction still starts with the verdict).
    attempts: list[Attempt] = attrs.field(factory=list, kw_only=True)
    passed: bool
    score: float
    failure_mode: FailureMode | None
    detail: str
    latency_s: float | None
    checks: list[Check] = attrs.field(factory=list)
    request: ChatRequest | None = None
    response: ChatResponse | None = None
    turns: list[Turn] = attrs.field(factory=list)
    ttft_s: float | None = None
    repeat: int = 0
    started_at: str = ""
    timeout_s: float | None = None
    # Which form of the scenario was played: "" normally, the junk kind under --negative-control.
    variant: str = ""
    artifacts: dict[str, Any] = attrs.field(factory=dict)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.pack, self.scenario_id, self.repeat)


@attrs.frozen
class PackSummary:
    """Per-pack aggregate of a run. ``pass_count``, not ``passed``: that key means a scenario verdict."""

    pack: str
    title: str
    version: str
    pass_count: int
    total: int
    score: float | None
    p50_s: float | None
    p95_s: float | None
    status: str
    floor: float | None = None
    infrastructure_failures: int = 0
    not_scored: int = 0
    scenarios: int = 0
    # Selected but never played (the run stopped early or was interrupted).
    unplayed: int = 0


@attrs.frozen
class RunRecord:
    """The full record of a run, saved as ``run.json``."""

    run_id: str
    benchlab_version: str
    started_at: str
    finished_at: str
    backend: str
    endpoint: str | None
    model: str | None
    mode: str
    config: dict[str, Any]
    probe: dict[str, Any]
    packs: list[PackSummary]
    results: list[ScenarioResult]
    warnings: list[str] = attrs.field(factory=list)
    complete: bool = True
    canonical: bool = True
    stop_reason: str | None = None
