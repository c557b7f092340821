"""Baselines: what a model scored over several runs, kept to gate later runs against.

A baseline holds, per scenario (pack, scenario, prompt variant, thinking arm), how many of
its scored repeats passed across the runs it was captured from, and how those runs were
made (packs and versions, sampling, thinking arms, the server's fingerprint). It is one
JSON file per name in the baselines folder (``benchlab-baselines/`` in the working
directory, ``--baselines DIR`` or ``BENCHLAB_BASELINES``), meant to be committed.

``gate`` compares a run with a baseline by the rule of ``benchlab.regression_gate``;
``baseline check``, ``run --baseline`` and ``benchmarks/gate`` all call it.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from benchlab.codec import check_version, structure, unstructure, write_json
from benchlab.errors import BenchlabError
from benchlab.model import RunRecord, ServerFingerprint
from benchlab.regression_gate import MIN_BASELINE_REPEATS, GateDecision, check
from benchlab.repeat_stats import ScenarioCounts

DEFAULT_DIR = "benchlab-baselines"
ENV = "BENCHLAB_BASELINES"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@attrs.frozen
class BaselineScenario:
    pack: str
    scenario_id: str
    prompt_variant: str
    thinking: str
    passes: int
    repeats: int  # scored repeats, over every run captured


@attrs.frozen
class Baseline:
    name: str
    created_at: str
    benchlab_version: str
    runs: list[str]  # the run ids it was captured from
    packs: dict[str, str]  # pack id -> version
    sampling: dict[str, Any]  # the config's sampling group
    canonical: bool
    thinking_arms: list[str]
    server: ServerFingerprint
    scenarios: list[BaselineScenario]
    # The first run's configuration (RunConfig as saved: no key ever, the endpoint without credentials);
    # empty in files captured before it was kept.
    config: dict[str, Any] = attrs.field(factory=dict)


def baselines_dir(flag: Path | None) -> Path:
    """``--baselines DIR``, else ``$BENCHLAB_BASELINES``, else ``benchlab-baselines/`` here."""
    if flag is not None:
        return flag
    return Path(os.environ.get(ENV) or DEFAULT_DIR)


def _file(folder: Path, name: str) -> Path:
    if not _NAME.match(name):
        raise BenchlabError(f"baseline name {name!r}: letters, digits, '.', '_' and '-' only (it names a file)")
    return folder / f"{name}.json"


def names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load(folder: Path, name: str) -> Baseline:
    path = _file(folder, name)
    if not path.is_file():
        known = ", ".join(names(folder)) or "none"
        raise BenchlabError(f"no baseline {name!r} in {folder}/ (baselines there: {known}); capture one with "
                            f"`benchlab baseline capture {name} --from RUN --from RUN --from RUN`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:
        raise BenchlabError(f"{path}: not a baseline file ({exc})") from None
    if not isinstance(data, dict):
        raise BenchlabError(f"{path}: not a baseline file")
    check_version(data, path)
    data.pop("schema_version")
    try:
        return structure(data, Baseline)
    except Exception as exc:  # cattrs' error: a file this benchlab cannot read
        raise BenchlabError(f"{path}: not a baseline this benchlab can read ({type(exc).__name__}: {exc})") from None


def _arms(record: RunRecord) -> list[str]:
    return sorted({r.thinking for r in record.results})


def scenario_counts(records: list[RunRecord]) -> dict[tuple[str, str, str, str], list[int]]:
    """Per scenario unit, [passes, scored repeats] over the records (infra failures and skips left out)."""
    counts: dict[tuple[str, str, str, str], list[int]] = {}
    for record in records:
        for r in record.results:
            if r.failure_mode is not None and not r.failure_mode.is_scored:
                continue
            tally = counts.setdefault((r.pack, r.scenario_id, r.prompt_variant, r.thinking), [0, 0])
            tally[0] += bool(r.passed)
            tally[1] += 1
    return counts


def capture(name: str, records: list[RunRecord]) -> Baseline:
    """A baseline from ``records``: the same packs and versions, sampling and arms; >= 3 repeats per scenario."""
    first = records[0]
    packs = {p.pack: p.version for p in first.packs}
    for record in records[1:]:
        other = {p.pack: p.version for p in record.packs}
        if other != packs:
            raise BenchlabError(f"runs {first.run_id} and {record.run_id} played different packs or pack versions "
                                f"({_packs_text(packs)} vs {_packs_text(other)}): one baseline needs runs of the same packs")
        for what, a, b in (("sampling", unstructure(first.config.sampling), unstructure(record.config.sampling)),
                           ("thinking arms", _arms(first), _arms(record))):
            if a != b:
                raise BenchlabError(f"runs {first.run_id} and {record.run_id} differ in {what} ({a} vs {b}): one baseline needs runs made alike")
    counts = scenario_counts(records)
    if not counts:
        raise BenchlabError("those runs hold no scored scenario to make a baseline of")
    fewest = min(repeats for _, repeats in counts.values())
    if fewest < MIN_BASELINE_REPEATS:
        missing = MIN_BASELINE_REPEATS - fewest
        raise BenchlabError(
            f"a baseline needs at least {MIN_BASELINE_REPEATS} scored repeats of every scenario (3 runs, or runs with --repeat 3); "
            f"these give as few as {fewest}: add {missing} more run(s) with --from, or capture from runs with --repeat {MIN_BASELINE_REPEATS}"
        )
    return Baseline(
        name=name, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), benchlab_version=first.benchlab_version,
        runs=[r.run_id for r in records], packs=packs, sampling=unstructure(first.config.sampling), canonical=first.canonical,
        thinking_arms=_arms(first), server=first.probe.server, config=unstructure(first.config),
        scenarios=[BaselineScenario(*key, passes, repeats) for key, (passes, repeats) in counts.items()],
    )


def _packs_text(packs: dict[str, str]) -> str:
    return ", ".join(f"{p} {v}" for p, v in packs.items())


def save(folder: Path, baseline: Baseline) -> Path:
    path = _file(folder, baseline.name)
    write_json(path, baseline)
    return path


@attrs.frozen
class GateReport:
    """A run against a baseline: the decision, what makes them incomparable, what else changed."""

    decision: GateDecision
    mismatches: list[str]  # sampling, thinking arms or pack versions differ (refused unless allowed)
    notes: list[str]  # reported always: a changed server fingerprint


def _unit_key(scenario: str, variant: str, arm: str, arms: int) -> str:
    """The scenario's name inside its pack for the gate: the variant and arm when they vary."""
    extra = [f"variant {variant}"] if variant != "default" else []
    extra += [f"thinking {arm}"] if arms > 1 or arm != "off" else []
    return scenario + (f" ({', '.join(extra)})" if extra else "")


def _as_counts(units: dict[tuple[str, str, str, str], list[int]], arms: int) -> dict[str, dict[str, ScenarioCounts]]:
    out: dict[str, dict[str, ScenarioCounts]] = {}
    for (pack, scenario, variant, arm), (passes, repeats) in units.items():
        out.setdefault(pack, {})[_unit_key(scenario, variant, arm, arms)] = ScenarioCounts(passes, repeats)
    return out


def mismatches(baseline: Baseline, record: RunRecord) -> tuple[list[str], list[str]]:
    """What makes the run incomparable with the baseline, and what is only worth saying."""
    refused: list[str] = []
    versions = {p.pack: p.version for p in record.packs}
    for pack, version in baseline.packs.items():
        if pack in versions and versions[pack] != version:
            refused.append(f"pack {pack} is {versions[pack]} in the run, {version} in the baseline")
    if unstructure(record.config.sampling) != baseline.sampling:
        refused.append(f"sampling differs (run: {unstructure(record.config.sampling)}, baseline: {baseline.sampling})")
    if _arms(record) != baseline.thinking_arms:
        refused.append(f"thinking arms differ (run: {', '.join(_arms(record))}; baseline: {', '.join(baseline.thinking_arms)})")
    notes = []
    now, then = unstructure(record.probe.server), unstructure(baseline.server)
    changed = [f"{k} {then.get(k)!r} -> {now.get(k)!r}" for k in now if now.get(k) != then.get(k)]
    if changed:
        notes.append("the server's fingerprint changed since the baseline: " + "; ".join(changed))
    return refused, notes


def gate(baseline: Baseline, record: RunRecord, *, allow_mismatch: bool = False) -> GateReport:
    """The run against the baseline. One error line when they are not comparable (unless allowed)."""
    refused, notes = mismatches(baseline, record)
    if refused and not allow_mismatch:
        raise BenchlabError(f"run {record.run_id} cannot be compared with baseline {baseline.name}: {'; '.join(refused)} "
                            "(--allow-mismatch compares anyway)")
    arms = len(set(baseline.thinking_arms) | set(_arms(record)))
    before = _as_counts({(s.pack, s.scenario_id, s.prompt_variant, s.thinking): [s.passes, s.repeats] for s in baseline.scenarios}, arms)
    after = _as_counts(scenario_counts([record]), arms)
    try:
        decision = check(before, after)
    except BenchlabError as exc:
        raise BenchlabError(f"run {record.run_id} against baseline {baseline.name}: {exc}") from None
    return GateReport(decision, refused, notes)
