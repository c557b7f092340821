"""The data model: frozen attrs classes, saved through ``benchlab.codec``."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Any, Callable, NamedTuple

import attrs

from benchlab.config import RunConfig
from benchlab.repeat_stats import RepeatSummary


# The prompt variant every scenario has: its own messages.
DEFAULT_VARIANT = "default"


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
    """A scenario's ``verifier`` object: its kind and the rest of its keys.

    ``parsed`` is what the verifier's ``verify`` receives (its typed params, or the dict
    for a verifier of the older style), set by the pack loader; None in a spec built in
    code, whose params are then parsed when first judged.
    """

    kind: str
    params: dict[str, Any] = attrs.field(factory=dict)
    parsed: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Scenario:
    """One prompt and how its answer is judged. ``id`` is unique inside its pack."""

    id: str
    messages: list[dict[str, Any]]
    verifier: VerifierSpec
    tools: list[dict[str, Any]] | None = None
    response_format: dict[str, Any] | None = None
    driver: str | None = None  # None: the driver registered with the role "default" (one request)
    sampling: dict[str, Any] = attrs.field(factory=dict)
    max_seconds: float | None = None
    max_tokens: int | None = None
    tags: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict)
    line: int = 0
    # Named prompt variants: NAME -> {"messages": [...]} or {"append": "text"} (checked by the pack loader).
    variants: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def with_variant(self, name: str) -> Scenario:
        """This scenario asked with prompt variant ``name`` (``default``: as it is)."""
        if name == DEFAULT_VARIANT:
            return self
        if name not in self.variants:
            raise KeyError(name)
        spec = self.variants[name]
        if "messages" in spec:
            return attrs.evolve(self, messages=list(spec["messages"]))
        return attrs.evolve(self, messages=appended(self.messages, spec["append"]))


# What joins a variant's ``append`` text to the last user message.
APPEND_SEPARATOR = "\n\n"


def appended(messages: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """``messages`` with ``text`` added to the end of the last user message (a new text part
    when its content is a list of parts)."""
    index = max(i for i, m in enumerate(messages) if m.get("role") == "user")
    message = dict(messages[index])
    content = message.get("content")
    if isinstance(content, list):
        message["content"] = [*content, {"type": "text", "text": text}]
    else:
        message["content"] = f"{content or ''}{APPEND_SEPARATOR}{text}"
    return [*messages[:index], message, *messages[index + 1:]]


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

    # id -> scenario, built on first lookup (a linear search per lookup made re-scoring quadratic).
    _by_id: dict[str, Scenario] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def scenario(self, scenario_id: str) -> Scenario | None:
        if not self._by_id and self.scenarios:
            self._by_id.update((s.id, s) for s in reversed(self.scenarios))  # the first of a repeated id wins, as before
        return self._by_id.get(scenario_id)


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
class RunOption:
    """An option a plugin adds to ``run`` (and every command that plays packs) for its pack loaders.

    ``--FLAG VALUE`` reaches loaders as ``LoadOptions.settings[name]`` (the registered name)
    and is recorded in the run's selection, so a resume reloads the packs the same way.
    ``multiple``: the flag repeats and the setting is the list of its values (default empty).
    ``convert``: called on each value as the command line is read; it returns the value to
    record (e.g. a path made absolute, so a resume finds it from anywhere) or raises
    ``BenchlabError`` with the one line the user sees.
    """

    flag: str
    help: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    multiple: bool = False
    convert: Callable[[str], str] | None = None


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
    # The scenario's prompt variant these messages come from (a recorded-answers backend tells variants apart by it).
    prompt_variant: str = DEFAULT_VARIANT


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


class ResultKey(NamedTuple):
    """What identifies one result in a run, and pairs it with its twin in another run:
    journal, resume, diff, baselines and reports all use it."""

    pack: str
    scenario_id: str
    prompt_variant: str = DEFAULT_VARIANT
    thinking: str = "off"  # the thinking arm: "off" or "on"
    repeat: int = 0


def thinking_arm(thinking: bool) -> str:
    return "on" if thinking else "off"


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
    # Under --negative-control, the kind of junk that was played ("" otherwise).
    junk_kind: str = ""
    artifacts: dict[str, Any] = attrs.field(factory=dict)
    # The prompt variant played ("default": the scenario's own messages) and the thinking arm.
    prompt_variant: str = DEFAULT_VARIANT
    thinking: str = "off"

    @property
    def key(self) -> ResultKey:
        return ResultKey(self.pack, self.scenario_id, self.prompt_variant, self.thinking, self.repeat)

    def summary(self, journal_offset: int | None = None) -> ResultSummary:
        """The verdict without the raw exchange, as ``run.json`` keeps it; ``journal_offset``
        is where this result's full line starts in ``journal.jsonl``."""
        responses = [t.response for t in self.turns] if self.turns else [self.response]
        tokens = sum((r.usage.total_tokens or 0) for r in responses if r is not None and r.usage is not None)
        final = self.response
        checks = [_shared_check(c) for c in self.checks]
        return ResultSummary(
            pack=self.pack, scenario_id=self.scenario_id, prompt_variant=self.prompt_variant, thinking=self.thinking,
            repeat=self.repeat, passed=self.passed, score=_shared_float(self.score), failure_mode=self.failure_mode, detail=self.detail,
            latency_s=self.latency_s, checks=checks, attempts=self.attempts or _NO_ATTEMPTS, ttft_s=self.ttft_s,
            # Results started in the same second share one string (a run keeps one summary per result).
            started_at=sys.intern(self.started_at), timeout_s=_shared_float(self.timeout_s), junk_kind=self.junk_kind,
            artifacts=self.artifacts or _NO_ARTIFACTS,
            answered=final is not None, reasoned=final is not None and bool((final.reasoning or "").strip()),
            tokens=tokens, journal_offset=journal_offset,
        )


_CHECKS: dict[tuple[str, bool], Check] = {}
_FLOATS: dict[float, float] = {}


def _shared_float(value: float | None) -> float | None:
    """One float object per value for the few values most results share (scores, time budgets)."""
    if value is None:
        return None
    return _FLOATS.setdefault(value, value) if len(_FLOATS) < 4096 else value


# Shared by every summary without attempts or artifacts (summaries are frozen: nothing writes into them).
_NO_ATTEMPTS: list[Attempt] = []
_NO_ARTIFACTS: dict[str, Any] = {}


def _shared_check(check: Check) -> Check:
    """One ``Check`` object per (name, ok) when it has no detail: most results of a pack pass
    the same checks, and a run keeps one summary per result."""
    if check.detail:
        return check
    return _CHECKS.setdefault((check.name, check.ok), check) if len(_CHECKS) < 4096 else check


# What a result's journal line holds beyond its summary: the raw exchange with the endpoint.
EXCHANGE_FIELDS = ("request", "response", "turns")


@attrs.frozen
class ResultSummary:
    """One result as ``run.json`` keeps it: the verdict and its facts, without the raw exchange.

    Requests, responses and turns (the bulk of a run: kilobytes per answer) live only in
    ``journal.jsonl``; ``journal_offset`` says where this result's full line starts there
    (``benchlab.journal.JournalReader`` reads it back). Records of schema 2 and before held
    the full results; read back, their offset is None and the reader finds the line by key.
    """

    pack: str
    scenario_id: str
    # Failed transport attempts first, as in the journal (keyword-only, like ScenarioResult's).
    attempts: list[Attempt] = attrs.field(factory=list, kw_only=True)
    passed: bool
    score: float
    failure_mode: FailureMode | None
    detail: str
    latency_s: float | None = None
    prompt_variant: str = DEFAULT_VARIANT
    thinking: str = "off"
    repeat: int = 0
    checks: list[Check] = attrs.field(factory=list)
    ttft_s: float | None = None
    started_at: str = ""
    timeout_s: float | None = None
    junk_kind: str = ""
    artifacts: dict[str, Any] = attrs.field(factory=dict)
    # A final response came back, and it carried reasoning (the thinking check reads these).
    answered: bool = False
    reasoned: bool = False
    tokens: int = 0  # total tokens of every response (the spend guard's count)
    journal_offset: int | None = None

    @property
    def key(self) -> ResultKey:
        return ResultKey(self.pack, self.scenario_id, self.prompt_variant, self.thinking, self.repeat)


def as_summaries(results: Any) -> list[ResultSummary]:
    """``results`` as summaries: a full ``ScenarioResult`` given in code is summarised (no offset)."""
    return [r if isinstance(r, ResultSummary) else r.summary() for r in results]


@attrs.frozen
class ArmSummary:
    """One thinking arm of a pack: its Pass/Total and the statistics of its repeats
    (benchlab.repeat_stats; None when the arm has no scored scenario)."""

    pass_count: int
    total: int
    score: float | None
    repeats: int  # the most repeats any scenario of the arm was played
    stats: RepeatSummary | None = None


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
    # Per thinking arm ("off", "on"): every statistic apart, so --thinking both never pools its arms.
    arms: dict[str, ArmSummary] = attrs.field(factory=dict)
    # Where a dataset-backed pack's items came from (its manifest's ``dataset``: version, file, sha256).
    dataset: str | None = None


@attrs.frozen
class ServerFingerprint:
    """Who answered: enough to tell whether two runs talked to the same model on the same server."""

    kind: str | None = None  # server_kind: ollama, llamacpp, vllm, ...
    version: str | None = None
    build: str | None = None
    model: str | None = None
    model_digest: str | None = None  # the server's digest of the weights (Ollama)
    model_file: str | None = None  # the weights file, when benchlab started the server
    chat_template_sha256: str | None = None


@attrs.frozen
class SandboxCandidate:
    """A sandbox provider the run did not use, and why."""

    provider: str
    available: bool | None
    reason: str
    fix: str | None = None


@attrs.frozen
class SandboxFacts:
    """Which sandbox ran the run's code (None: none could), and why the others did not."""

    provider: str | None
    reason: str
    not_chosen: list[SandboxCandidate] = attrs.field(factory=list)
    unconfined: bool = False


@attrs.frozen
class ProbeFacts:
    """What the run learnt of its endpoint before the first scenario, and how it was played.

    ``extra`` keeps whatever else a backend reported (``Backend.start``'s other keys).
    """

    server: ServerFingerprint = attrs.field(factory=ServerFingerprint)
    detected: str | None = None
    models: list[str] | None = None
    model_listed: bool | None = None
    context_size: int | None = None
    slots: int | None = None
    thinking_support: str | None = None
    sampling_defaults: dict[str, Any] | None = None
    chat_template: str | None = None
    tokens_per_s: float | None = None
    concurrency: int | None = None
    sandbox: SandboxFacts | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ReportSection:
    """Markdown lines a plugin adds to the run's report (the ``report_sections`` hook)."""

    plugin: str
    lines: list[str]


@attrs.frozen
class Rescore:
    """When a run's saved answers were judged again, and by which benchlab and pack versions."""

    at: str
    benchlab_version: str
    pack_versions: dict[str, str] = attrs.field(factory=dict)
    not_rescorable: int = 0  # results that kept their verdict

    def describe(self) -> str:
        """``at T by benchlab V (packs p 1.0, ...)``: how readers name the re-scoring."""
        packs = ", ".join(f"{pack} {version}" for pack, version in self.pack_versions.items())
        return f"at {self.at} by benchlab {self.benchlab_version}" + (f" (packs {packs})" if packs else "")


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
    config: RunConfig
    probe: ProbeFacts
    packs: list[PackSummary]
    # One summary per result key; the raw exchanges are in the journal (ResultSummary says how to get them).
    results: list[ResultSummary] = attrs.field(converter=as_summaries)
    warnings: list[str] = attrs.field(factory=list)
    complete: bool = True
    canonical: bool = True
    # What set sampling besides the user's flags (a pack, a scenario, --extra-body): why the run is not canonical.
    non_canonical_sources: list[str] = attrs.field(factory=list)
    stop_reason: str | None = None
    # The backend's word to the reader (Backend.notice), shown first in reports.
    notice: str | None = None
    elapsed_s: float | None = None
    sections: list[ReportSection] = attrs.field(factory=list)
    rescored: list[Rescore] = attrs.field(factory=list)
    # The command that plays what this run did not score (unplayed, infrastructure failures), exactly
    # as it must be typed; None when every scenario has a verdict.
    resume_hint: str | None = None
    # The journal's size in bytes when this record was written: a journal grown past it holds
    # results this record lacks (a resume that was interrupted). None in records before it.
    journal_bytes: int | None = None

    @property
    def rescored_text(self) -> str | None:
        """The last re-scoring as readers show it (``at T by benchlab V (packs ...)``); None if never re-scored."""
        if not self.rescored:
            return None
        times = f"; re-scored {len(self.rescored)} times" if len(self.rescored) > 1 else ""
        return self.rescored[-1].describe() + times


# Saved results are structured by hand-written hooks (a module of their own; they need the classes above).
from benchlab.result_structure import register_hooks  # noqa: E402

register_hooks()
