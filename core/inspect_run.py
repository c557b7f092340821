"""``benchlab inspect RUN``: a saved run read back, from its summary down to one verdict's transcript.

Works on a finished run (``run.json``) and on the journal of an interrupted one. Listings
read only the result summaries; ``--full`` reads the shown results' raw exchanges from the
journal, by offset (``full_results``). Model
output is shown as it was received: in markdown, inside fences longer than any backtick
run it holds, so nothing a model wrote can end the block or pass for report text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from benchlab.codec import unstructure
from benchlab.errors import BenchlabError
from benchlab.model import FailureMode, ResultSummary, RunRecord, ScenarioResult
from benchlab.repeat_view import arms_table, scenario_rows, scenario_table, shows_arms
from benchlab.selection import split_scenario_ref
from benchlab.variant_changes import variant_lines

JSON_FENCE = "json"  # the info string of a fence holding JSON (for markdown viewers' highlighting)


def select(record: RunRecord, *, failed: bool = False, mode: str | None = None, pack: str | None = None) -> list[ResultSummary]:
    """The results a filter keeps, in the run's order."""
    if mode is not None and mode not in {m.value for m in FailureMode}:
        known = ", ".join(m.value for m in FailureMode)
        raise BenchlabError(f"--mode {mode!r}: not a failure mode (known: {known})")
    if pack is not None and pack not in {p.pack for p in record.packs}:
        raise BenchlabError(f"--pack {pack!r}: run {record.run_id} has no such pack (its packs: {', '.join(p.pack for p in record.packs)})")
    kept = []
    for result in record.results:
        if failed and result.passed:
            continue
        if mode is not None and (result.failure_mode is None or result.failure_mode.value != mode):
            continue
        if pack is not None and result.pack != pack:
            continue
        kept.append(result)
    return kept


def find_results(record: RunRecord, ref: str) -> list[ResultSummary]:
    """Every result (each variant, arm and repeat) of scenario ``PACK/ID``."""
    pack, scenario = split_scenario_ref(ref)
    found = [r for r in record.results if r.pack == pack and r.scenario_id == scenario]
    if not found:
        ids = [r.scenario_id for r in record.results if r.pack == pack]
        hint = f" (its scenarios here: {', '.join(dict.fromkeys(ids[:10]))})" if ids else f" (no pack {pack!r} in this run)"
        raise BenchlabError(f"--scenario {ref!r}: run {record.run_id} holds no result for it{hint}")
    return found


def full_results(run_dir: Path, summaries: list[ResultSummary]) -> list[ScenarioResult]:
    """The journaled results behind ``summaries``: requests, responses and turns included."""
    from benchlab.journal import JournalReader

    with JournalReader(run_dir) as journal:
        return [journal.full(s) for s in summaries]


def fence(text: str, info: str = "") -> list[str]:
    """``text`` in a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in _backtick_runs(text)), default=0)
    marker = "`" * max(3, longest + 1)
    return [f"{marker}{info}", *text.split("\n"), marker]


def _backtick_runs(text: str) -> list[str]:
    runs, current = [], ""
    for char in text:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    return runs + ([current] if current else [])


def _verdict(result: ResultSummary | ScenarioResult) -> str:
    if result.passed:
        return "pass"
    mode = result.failure_mode.value if result.failure_mode else "fail"
    blame = " [infrastructure, not the model]" if result.failure_mode and result.failure_mode.is_infrastructure else ""
    return f"fail ({mode}){blame}"


def _label(result: ResultSummary | ScenarioResult) -> str:
    extra = [f"variant {result.prompt_variant}"] if result.prompt_variant != "default" else []
    extra += [f"thinking {result.thinking}"]
    extra += [f"repeat {result.repeat}"]
    return f"{result.pack}/{result.scenario_id} ({', '.join(extra)})"


def summary_markdown(record: RunRecord, shown: list[ResultSummary], *, heading: str, pack: str | None = None) -> str:
    """The run's packs (per thinking arm with the repeat statistics when it has them), the results shown and,
    with repeats or two arms, each scenario's pass count and tier (of ``pack`` alone when given)."""
    state = "complete" if record.complete else "INCOMPLETE"
    lines = [f"## benchlab inspect {record.run_id} ({state})", "",
             f"{record.model or '?'} on {record.endpoint or record.backend} ({record.probe.server.kind or record.backend}), "
             f"{record.mode}, started {record.started_at}", ""]
    if record.rescored_text:
        lines += [f"Re-scored {record.rescored_text}: the verdicts are today's verifiers on the saved answers.", ""]
    if shows_arms(record.packs):
        lines += arms_table(record.packs, ["Infra", "Unplayed", "Status"], lambda p: [str(p.infrastructure_failures), str(p.unplayed), p.status])
    else:
        lines += ["| Pack | Pass/Total | Score | Infra | Unplayed | Status |", "| --- | --- | --- | --- | --- | --- |"]
        for p in record.packs:
            score = f"{p.score * 100:.0f}%" if p.score is not None else "n/a"
            lines.append(f"| {p.title} (v{p.version}) | {p.pass_count}/{p.total} | {score} | {p.infrastructure_failures} | {p.unplayed} | {p.status} |")
    variants = variant_lines(record.results, [p.pack for p in record.packs])
    if variants:
        lines += [""] + variants
    lines += ["", f"{heading}: {len(shown)}"]
    for r in shown:
        detail = f": {r.detail[:200]}" if r.detail and not r.passed else ""
        latency = f", {r.latency_s:.2f}s" if r.latency_s is not None else ""
        lines.append(f"- {_label(r)}: {_verdict(r)}{latency}{detail}")
    for warning in record.warnings:
        lines.append(f"- warning: {warning}")
    if shows_arms(record.packs):
        scenarios = scenario_table([r for r in record.results if pack is None or r.pack == pack])
        if scenarios:
            lines += ["", "Scenarios across repeats (passes out of scored repeats, tier):", ""] + scenarios
    return "\n".join(lines) + "\n"


def full_markdown(record: RunRecord, results: list[ScenarioResult]) -> str:
    """Everything behind each verdict: the requests, responses, reasoning, tool calls and
    results turn by turn, every check, and what the sandbox saw."""
    lines = [f"## benchlab inspect {record.run_id}: {results[0].pack}/{results[0].scenario_id}"]
    for r in results:
        lines += ["", f"### {_label(r)}: {_verdict(r)}", ""]
        if r.detail:
            lines.append(f"Detail: {r.detail}")
        timing = [f"latency {r.latency_s:.3f}s" if r.latency_s is not None else "", f"budget {r.timeout_s:g}s" if r.timeout_s else "",
                  f"started {r.started_at}" if r.started_at else ""]
        lines.append("; ".join(t for t in timing if t) or "not played")
        for attempt in r.attempts:
            lines.append(f"- attempt {attempt.number}: {attempt.failure_mode.value} after {attempt.elapsed_s:.2f}s: {attempt.detail}")
        turns = [(t.request, t.response) for t in r.turns] or ([(r.request, r.response)] if r.request is not None else [])
        for number, (request, response) in enumerate(turns, start=1):
            lines += ["", f"#### Turn {number}"]
            if request is not None:
                shown = request.messages if number == 1 else request.messages[-_new_messages(turns, number):]
                for message in shown:
                    lines += _message(message)
                if number == 1 and request.tools:
                    lines.append(f"Tools offered: {', '.join(str(t.get('function', {}).get('name', '?')) for t in request.tools)}")
                lines.append(f"Request: max_tokens {request.max_tokens}, thinking {request.thinking}, sampling {json.dumps(request.sampling)}")
            if response is None:
                lines.append("No response (the attempt failed).")
                continue
            if response.reasoning:
                lines += ["", "Reasoning:"] + fence(response.reasoning)
            lines += ["", f"Response (finish_reason {response.finish_reason}, status {response.status_code}):"] + fence(response.content or "")
            for call in response.tool_calls:
                arguments = call.arguments_raw if call.arguments_raw is not None else json.dumps(call.arguments, ensure_ascii=False)
                lines += [f"Tool call {call.name}:"] + fence(arguments, JSON_FENCE)
        if r.checks:
            lines += ["", "Checks:"]
            lines += [f"- {'ok' if c.ok else 'FAILED'} {c.name}{': ' + c.detail if c.detail else ''}" for c in r.checks]
        for name, value in r.artifacts.items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)
            lines += ["", f"Artifact {name}:"] + fence(text)
    return "\n".join(lines) + "\n"


def _new_messages(turns: list[tuple[Any, Any]], number: int) -> int:
    """How many messages turn ``number`` adds to the conversation (tool results, mostly)."""
    previous = turns[number - 2][0]
    current = turns[number - 1][0]
    if previous is None or current is None:
        return len(current.messages) if current is not None else 0
    return max(1, len(current.messages) - len(previous.messages) - 1)


def _message(message: dict[str, Any]) -> list[str]:
    role = message.get("role", "?")
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    head = f"{role}" + (f" (tool {message['name']})" if message.get("name") else "")
    out = [f"{head}:"] + fence(text or "")
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        out += [f"{role} called {function.get('name', '?')}:"] + fence(str(function.get("arguments", "")), JSON_FENCE)
    return out


def to_json(record: RunRecord, shown: list[ResultSummary] | list[ScenarioResult], *, full: bool,
            pack: str | None = None) -> dict[str, Any]:
    """``--format json``: ``run`` (the record without its results), ``packs`` (with their ``arms``), ``results``,
    and ``scenarios``: each scenario's pass count and tier over its repeats (of ``pack`` alone when given)."""
    head = {k: v for k, v in unstructure(attrs.evolve(record, results=[])).items() if k not in ("results", "packs")}
    slim = ("pack", "scenario_id", "prompt_variant", "thinking", "repeat", "passed", "score", "failure_mode", "detail", "latency_s")
    results = []
    for r in shown:
        if full:
            results.append(unstructure(r))
        else:
            mode = r.failure_mode
            results.append({k: getattr(r, k) for k in slim} | {"failure_mode": mode.value if mode is not None else None})
    scenarios = scenario_rows([r for r in record.results if pack is None or r.pack == pack])
    return {"run": head, "packs": [unstructure(p) for p in record.packs], "results": results, "scenarios": scenarios}
