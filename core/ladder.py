"""The escalation ladder: each scenario goes to the cheapest model first, then up the list,
every attempt carrying the earlier attempts' failed checks, until one is fully accepted.

``benchlab ladder --models FILE`` (the models file's order is the ladder) plays each selected
scenario at most ``max_attempts`` times. Attempt k goes to model ``(k - 1) // per_model``
(the last model repeats once the list runs out). From attempt 2 on, the last user message
gains the learning context: every earlier attempt's failed checks, with the model and the
check's detail (``learning=False`` leaves it out). A scenario stops at the first attempt
whose verdict passes (every check accepted) or at the cap. An attempt that got no answer
(unreachable model, timeout, a server error), an empty one, or one the sandbox could not judge
uses up its place all the same; those that were not judged teach nothing and are left out of
the learning context.

Everything is kept in the run folder as it happens, so a killed ladder resumes where it
stopped: ``ladder/<pack>/<scenario>/attempt_N.txt`` (the raw answer) and ``attempt_N.json``
(model, every check's verdict, latency, tokens, cost, error), and ``ladder.json`` (the
configuration and, per scenario, the models tried, who accepted, attempts, time).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any, Callable

import attrs

from benchlab.codec import with_version, write_json
from benchlab.config import Budgets, RunConfig, SandboxRequest, Selection
from benchlab.errors import BenchlabError
from benchlab.model import Check, FailureMode, Pack, Scenario, ScenarioResult

LADDER_FILE = "ladder.json"
ATTEMPTS_DIR = "ladder"
DEFAULT_MAX_ATTEMPTS = 6
LEARNING_HEADER = "Earlier attempts at this task were rejected. Fix every one of these problems:"
_SAFE_PART = re.compile(r"[^A-Za-z0-9._-]")


@attrs.frozen
class LadderConfig:
    """What a ladder run was asked to do; saved in ladder.json so ``--resume`` needs nothing else."""

    models: list[dict[str, Any]]  # ModelSpec.public(): no key, endpoints without credentials
    selection: Selection
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    per_model: int = 1
    learning: bool = True
    budgets: Budgets = attrs.field(factory=Budgets)
    sandbox: SandboxRequest = attrs.field(factory=SandboxRequest)
    out: str = "results"
    plugins: list[str] = attrs.field(factory=list)


@attrs.frozen
class AttemptRecord:
    """One attempt, as attempt_N.json holds it."""

    number: int
    model: str
    passed: bool
    checks: list[Check]
    failure_mode: FailureMode | None
    detail: str
    latency_s: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    # Why no judgeable answer came (unreachable, timeout, empty answer), else None.
    error: str | None
    # Whether an answer came back at all (False: the attempt could not be made).
    answered: bool
    learning_context: bool
    started_at: str
    elapsed_s: float

    @property
    def checks_passed(self) -> str:
        return f"{sum(c.ok for c in self.checks)}/{len(self.checks)}" if self.checks else "-"


@attrs.frozen
class ScenarioLadder:
    """One scenario's way up the ladder (a row of ladder.json)."""

    pack: str
    scenario_id: str
    models_tried: list[str]
    accepted_by: str | None
    attempts: int
    total_s: float
    checks_passed: list[str]
    cost_usd: float | None
    finished: bool  # accepted, or the cap reached


def model_for_attempt(number: int, model_names: list[str], per_model: int) -> str:
    """Attempt ``number`` (from 1) goes to this model: each ``per_model`` times, the last one repeating."""
    index = min((number - 1) // per_model, len(model_names) - 1)
    return model_names[index]


def learning_context(previous: list[AttemptRecord]) -> str:
    """The failed checks of every earlier attempt, which model and the detail; "" when there are none.
    An attempt that got no answer taught nothing about the task and is left out."""
    lines = []
    for attempt in previous:
        failed = [c for c in attempt.checks if not c.ok]
        if not attempt.answered or not judged(attempt):
            continue
        if not failed and attempt.error:
            lines.append(f"- attempt {attempt.number} ({attempt.model}): {attempt.error}")
        for check in failed:
            lines.append(f"- attempt {attempt.number} ({attempt.model}): {check.name}: {check.detail}".rstrip(": "))
    return "\n".join([LEARNING_HEADER, *lines]) if lines else ""


def judged(attempt: AttemptRecord) -> bool:
    """Whether the verdict is on the model (not a sandbox or server that failed to judge it)."""
    return attempt.failure_mode is None or attempt.failure_mode.is_scored


def with_learning(scenario: Scenario, context: str) -> Scenario:
    """The scenario with ``context`` appended to its last user message."""
    if not context:
        return scenario
    messages = [dict(m) for m in scenario.messages]
    last = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    if last is None or not isinstance(messages[last].get("content"), str):
        messages.append({"role": "user", "content": context})
    else:
        messages[last]["content"] = f"{messages[last]['content']}\n\n{context}"
    return attrs.evolve(scenario, messages=messages)


def attempt_folder(run_dir: Path, pack: str, scenario_id: str) -> Path:
    return run_dir / ATTEMPTS_DIR / _SAFE_PART.sub("_", pack) / _SAFE_PART.sub("_", scenario_id)


def read_attempts(folder: Path) -> list[AttemptRecord]:
    """The attempts saved in ``folder``, in order (a resume continues after the last)."""
    from benchlab.codec import converter

    found = []
    number = 1
    while (folder / f"attempt_{number}.json").is_file():
        data = json.loads((folder / f"attempt_{number}.json").read_text(encoding="utf-8"))
        data.pop("schema_version", None)
        data.pop("answer_file", None)
        found.append(converter.structure(data, AttemptRecord))
        number += 1
    return found


def save_attempt(folder: Path, attempt: AttemptRecord, raw: str) -> None:
    """attempt_N.txt (the raw answer), then attempt_N.json: the JSON is the commit a resume reads."""
    folder.mkdir(parents=True, exist_ok=True)
    text_file = folder / f"attempt_{attempt.number}.txt"
    partial = text_file.with_name(f".{text_file.name}.partial")
    partial.write_text(raw, encoding="utf-8")
    partial.replace(text_file)
    write_json(folder / f"attempt_{attempt.number}.json", attempt, answer_file=text_file.name)


def summarize(pack: str, scenario_id: str, attempts: list[AttemptRecord], max_attempts: int) -> ScenarioLadder:
    accepted = next((a for a in attempts if a.passed), None)
    costs = [a.cost_usd for a in attempts if a.cost_usd is not None]
    return ScenarioLadder(
        pack=pack, scenario_id=scenario_id, models_tried=[a.model for a in attempts],
        accepted_by=accepted.model if accepted else None, attempts=len(attempts),
        total_s=round(sum(a.elapsed_s for a in attempts), 3), checks_passed=[a.checks_passed for a in attempts],
        cost_usd=round(sum(costs), 6) if costs else None,
        finished=accepted is not None or len(attempts) >= max_attempts,
    )


def write_ladder(run_dir: Path, run_id: str, config: LadderConfig, rows: list[ScenarioLadder], started_at: str) -> None:
    from benchlab.codec import unstructure

    write_json(run_dir / LADDER_FILE, {"run_id": run_id, "started_at": started_at, "config": unstructure(config),
                                       "scenarios": [unstructure(r) for r in rows]})


def read_ladder(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((run_dir / LADDER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchlabError(f"{run_dir / LADDER_FILE}: cannot read the ladder run ({exc})") from None
    return data


def ladder_folder(ref: str, out: Path) -> Path | None:
    """The ladder run folder ``ref`` names (a run id under ``out`` or a path), or None."""
    for candidate in (out / ref, Path(ref)):
        if (candidate / LADDER_FILE).is_file():
            return candidate
    return None


class Ladder:
    """Plays the ladder for the selected scenarios; see the module docstring."""

    def __init__(self, config: LadderConfig, specs: list[Any], plugins: Any, run_dir: Path, run_id: str,
                 started_at: str, say: Callable[[str], None]) -> None:
        self.config = config
        self.specs = {s.name: s for s in specs}
        self.names = [s.name for s in specs]
        self.plugins = plugins
        self.run_dir = run_dir
        self.run_id = run_id
        self.started_at = started_at
        self.say = say
        self.backends: dict[str, Any] = {}
        self.settings: dict[str, Any] = {}
        self.sandbox: Any = None
        self.rows: list[ScenarioLadder] = []
        self.unmade = 0  # attempts that could not be made (no answer came)

    async def run(self, items: list[tuple[Pack, Scenario]]) -> list[ScenarioLadder]:
        from benchlab.runner import WorkItem

        try:
            if any(pack.needs_sandbox for pack, _ in items):
                self.sandbox = await self._sandbox()
            self.rows = [summarize(p.id, s.id, read_attempts(attempt_folder(self.run_dir, p.id, s.id)), self.config.max_attempts)
                         for p, s in items]
            self._write()
            for index, (pack, scenario) in enumerate(items):
                attempts = read_attempts(attempt_folder(self.run_dir, pack.id, scenario.id))
                self.unmade += sum(not a.answered or not judged(a) for a in attempts)
                while not any(a.passed for a in attempts) and len(attempts) < self.config.max_attempts:
                    attempt = await self._attempt(WorkItem(pack, scenario), attempts)
                    attempts.append(attempt)
                    self.rows[index] = summarize(pack.id, scenario.id, attempts, self.config.max_attempts)
                    self._write()
        finally:
            for backend in self.backends.values():
                await backend.aclose()
            if self.sandbox is not None:
                self.sandbox.close()
        return self.rows

    def _write(self) -> None:
        write_ladder(self.run_dir, self.run_id, self.config, self.rows, self.started_at)

    async def _sandbox(self) -> Any:
        from benchlab.sandbox_choice import choose_for_run

        choice = self.config.sandbox
        setup = await asyncio.to_thread(choose_for_run, self.plugins, choice.name, choice.unsafe_local, 1)
        if setup.provider is None:
            self.say(f"no sandbox: {setup.unavailable}; scenarios that run code are not judged")
            return None
        await asyncio.to_thread(setup.provider.prepare, self.say)
        return setup.provider

    async def _backend(self, name: str) -> tuple[Any, Any]:
        """The started backend of model ``name`` and its run settings; raises BenchlabError when unreachable."""
        if name in self.backends:
            return self.backends[name], self.settings[name]
        from benchlab.run import settings_for
        from benchlab.run_command import backend_options

        spec = self.specs[name]
        config = RunConfig(target=spec.target(), selection=self.config.selection, budgets=self.config.budgets,
                           sandbox=self.config.sandbox, out=self.config.out, plugins=self.config.plugins)
        options = backend_options(config, spec.endpoint, spec.api_key(), self.plugins)
        backend = self.plugins.backends.get(spec.backend)(options)
        try:
            probe = await backend.start()
        except BaseException:
            await backend.aclose()
            raise
        self.backends[name] = backend
        # No speed probe: budgets are the packs' own, scaled only by --measured-tps or set by --timeout-per-case.
        self.settings[name] = settings_for(config, backend, probe, self.config.budgets.measured_tps)
        return backend, self.settings[name]

    async def _attempt(self, item: Any, previous: list[AttemptRecord]) -> AttemptRecord:
        from benchlab.runner import Runner, now_iso

        number = len(previous) + 1
        name = model_for_attempt(number, self.names, self.config.per_model)
        context = learning_context(previous) if self.config.learning else ""
        work = attrs.evolve(item, scenario=with_learning(item.scenario, context))
        folder = attempt_folder(self.run_dir, item.pack.id, item.scenario.id)
        started_at, started = now_iso(), time.perf_counter()
        self.say(f"{item.pack.id}/{item.scenario.id}: attempt {number} -> {name}")
        try:
            backend, settings = await self._backend(name)
        except BenchlabError as exc:
            attempt = AttemptRecord(number, name, False, [], FailureMode.ENDPOINT_UNREACHABLE, str(exc), None, None, None,
                                    None, f"endpoint_unreachable: {exc}", False, bool(context), started_at,
                                    round(time.perf_counter() - started, 3))
            self.unmade += 1
            save_attempt(folder, attempt, "")
            self.say(f"  {name}: unreachable: {exc}")
            return attempt
        result = await Runner(self.plugins, backend, settings, lambda _: None, sandbox=self.sandbox).play(work)
        attempt = self._record(number, name, result, bool(context), started_at, round(time.perf_counter() - started, 3))
        self.unmade += not attempt.answered or not judged(attempt)
        save_attempt(folder, attempt, result.response.content if result.response is not None else "")
        verdict = "accepted" if attempt.passed else attempt.error or f"{attempt.checks_passed} checks passed"
        self.say(f"  {name}: {verdict}")
        return attempt

    def _record(self, number: int, name: str, result: ScenarioResult, context: bool, started_at: str, elapsed: float) -> AttemptRecord:
        response = result.response
        usage = response.usage if response is not None else None
        prompt = usage.prompt_tokens if usage else None
        completion = usage.completion_tokens if usage else None
        price = self.specs[name].price
        cost = price.cost(prompt or 0, completion or 0) if price is not None and usage is not None else None
        answered = response is not None
        error = None
        if not answered:
            mode = result.failure_mode.value if result.failure_mode else "no answer"
            error = f"{mode}: {result.detail}"
        elif not (response.content or "").strip() and not response.tool_calls:
            error = "empty answer"
        elif result.failure_mode is not None and not result.failure_mode.is_scored:
            error = f"not judged: {result.failure_mode.value}: {result.detail}"
        return AttemptRecord(number, name, result.passed, list(result.checks), result.failure_mode, result.detail,
                             result.latency_s, prompt, completion, round(cost, 6) if cost is not None else None, error,
                             answered, context, started_at, elapsed)


def table_markdown(rows: list[ScenarioLadder]) -> str:
    """The stdout table: scenario, accepted by, attempts, checks passed per attempt, time, cost."""
    lines = ["| Scenario | Accepted by | Attempts | Checks passed per attempt | Time | Cost |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        cost = f"${row.cost_usd:.4f}" if row.cost_usd is not None else "-"
        accepted = row.accepted_by or ("none" if row.finished else "unfinished")
        lines.append(f"| {row.pack}/{row.scenario_id} | {accepted} | {row.attempts} | {' · '.join(row.checks_passed) or '-'} "
                     f"| {row.total_s:.1f}s | {cost} |")
    return "\n".join(lines) + "\n"


def ladder_json(run_dir: Path) -> str:
    return json.dumps(with_version(read_ladder(run_dir)), ensure_ascii=False, indent=1) + "\n"
