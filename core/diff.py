"""``benchlab diff RUN_A RUN_B``: what changed between two runs, paired by the result key.

The changes per result (regressions, fixes, ...), per pack the paired change in pass rate
with the scenario as the unit (``benchlab.pairing``), and what differs in how the two
runs were made: pack versions, benchlab version, sampling, thinking, the server.
"""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.codec import unstructure
from benchlab.errors import BenchlabError
from benchlab.gc_pause import collector_paused
from benchlab.model import ResultKey, RunRecord
from benchlab.pairing import KINDS, PackComparison, PairedKey, compare_packs, outcome, pair_keys
from benchlab.stats import format_p

# How many results of each kind the markdown lists (JSON lists all; still-passing ones are only counted).
SHOWN = 50


@attrs.frozen
class Setting:
    """One thing that differs in how the two runs were made."""

    what: str
    a: Any
    b: Any


@attrs.frozen
class RunDiff:
    a: RunRecord
    b: RunRecord
    paired: list[PairedKey]
    packs: list[PackComparison]
    settings: list[Setting]

    def of_kind(self, kind: str) -> list[PairedKey]:
        return [p for p in self.paired if p.kind == kind]


def _settings(a: RunRecord, b: RunRecord) -> list[Setting]:
    changed: list[Setting] = []

    def note(what: str, x: Any, y: Any) -> None:
        if x != y:
            changed.append(Setting(what, x, y))

    note("benchlab version", a.benchlab_version, b.benchlab_version)
    versions_a = {p.pack: p.version for p in a.packs}
    versions_b = {p.pack: p.version for p in b.packs}
    for pack in dict.fromkeys([*versions_a, *versions_b]):
        note(f"pack {pack} version", versions_a.get(pack), versions_b.get(pack))
    # One line per setting that differs (``sampling seed: - -> 3``), never a whole dict.
    sampling_a, sampling_b = a.config.sampling, b.config.sampling
    for name in dict.fromkeys([*sampling_a.overrides, *sampling_b.overrides]):
        note(f"sampling {name}", sampling_a.overrides.get(name), sampling_b.overrides.get(name))
    note("sampling from the server's defaults", sampling_a.from_server, sampling_b.from_server)
    note("canonical", a.canonical, b.canonical)
    note("thinking arms", thinking_arms(a), thinking_arms(b))
    thinking_a, thinking_b = unstructure(a.config.thinking), unstructure(b.config.thinking)
    for name in thinking_a:
        if name not in ("forced", "both"):  # what those chose is the arms played, above
            note(f"thinking {name}", thinking_a[name], thinking_b.get(name))
    server_a, server_b = unstructure(a.probe.server), unstructure(b.probe.server)
    for field in server_a:
        note(f"server {field}", server_a[field], server_b.get(field))
    note("backend", a.backend, b.backend)
    note("endpoint", a.endpoint, b.endpoint)
    note("re-scored", a.rescored_text, b.rescored_text)
    return changed


def thinking_arms(record: RunRecord) -> str:
    """The thinking arms a run played (``off``, ``on`` or ``off, on``)."""
    played = {r.thinking for r in record.results}
    return ", ".join(arm for arm in ("off", "on") if arm in played) or "-"


def _no_pairs(a: RunRecord, b: RunRecord) -> str:
    """Why two runs pair no result: the thinking arm is part of the result key."""
    arms_a, arms_b = thinking_arms(a), thinking_arms(b)
    same_scenarios = {(r.pack, r.scenario_id) for r in a.results} & {(r.pack, r.scenario_id) for r in b.results}
    if same_scenarios and arms_a != arms_b:
        return (f"runs {a.run_id} and {b.run_id} have no result in common: the thinking arm is part of the result key, "
                f"and A played thinking {arms_a}, B thinking {arms_b} (to compare arms, make one run with --thinking both)")
    return f"runs {a.run_id} and {b.run_id} have no scenario in common (nothing to pair)"


def diff_runs(a: RunRecord, b: RunRecord) -> RunDiff:
    """The diff of two records; one error line when they share no scenario."""
    with collector_paused():  # an outcome per result, a pair per key, a unit per scenario: no cycle among them
        paired = pair_keys((outcome(r) for r in a.results), (outcome(r) for r in b.results))
        if not any(p.kind not in ("new", "dropped") for p in paired):
            raise BenchlabError(_no_pairs(a, b))
        packs = list(dict.fromkeys([*(p.pack for p in a.packs), *(p.pack for p in b.packs)]))
        return RunDiff(a, b, paired, compare_packs(paired, packs), _settings(a, b))


def _percent(value: float | None) -> str:
    return f"{value * 100:.0f}%" if value is not None else "n/a"


def points_text(value: float) -> str:
    """Percentage points, signed; one decimal under one point, and never ``-0``."""
    points = value * 100
    text = f"{points:+.1f}" if abs(points) < 0.95 else f"{points:+.0f}"
    return "+0" if float(text) == 0 else text


def pack_line(row: PackComparison) -> str:
    """One markdown table row: rates, the change with its interval, the test and its p-values."""
    if row.difference is None:
        return f"| {row.pack} | 0 | n/a | n/a | n/a | no scenario scored in both runs | | |"
    d = row.difference
    test = "exact McNemar" if row.test == "mcnemar" else "paired permutation"
    p_holm = format_p(row.p_holm) if row.p_holm is not None else ""
    return (f"| {row.pack} | {row.scenarios} | {_percent(row.rate_a)} | {_percent(row.rate_b)} | "
            f"{points_text(d.estimate)} pts (95% CI {points_text(d.low)} to {points_text(d.high)}) | {test}, {format_p(row.p or 1.0)} | "
            f"{p_holm} | -{row.regressions} / +{row.fixes} |")


def render_markdown(result: RunDiff) -> str:
    a, b = result.a, result.b
    lines = [f"## benchlab diff {a.run_id} -> {b.run_id}", "",
             f"A: {a.run_id} ({a.model or '?'} on {a.endpoint or a.backend}, {a.started_at})",
             f"B: {b.run_id} ({b.model or '?'} on {b.endpoint or b.backend}, {b.started_at})", ""]
    counts = {kind: len(result.of_kind(kind)) for kind in KINDS}
    lines.append("Results: " + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()))
    lines += ["", "| Pack | Scenarios | A | B | Change (B - A) | Test | Holm | Regressions / fixes |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [pack_line(row) for row in result.packs]
    lines += ["", "The unit is the scenario: repeats of one scenario are pooled into its pass rate. p-values are "
              "two-sided; Holm corrects them across the packs."]
    repeats = any(p.key.repeat for p in result.paired)
    for kind, title in (("regression", "Regressions (pass -> fail)"), ("fix", "Fixes (fail -> pass)"),
                        ("still_failing", "Still failing"), ("new", "New in B"), ("dropped", "Dropped from A"),
                        ("not_comparable", "Not comparable (not scored in one run)")):
        found = result.of_kind(kind)
        if not found:
            continue
        lines += ["", f"{title}: {len(found)}"]
        for p in found[:SHOWN]:
            lines.append(f"- {key_text(p.key, repeats)}{_why(p)}")
        if len(found) > SHOWN:
            lines.append(f"- ... and {len(found) - SHOWN} more (--format json lists all)")
    if result.settings:
        lines += ["", "What changed between the runs:"]
        lines += [f"- {s.what}: {_shown(s.a)} -> {_shown(s.b)}" for s in result.settings]
    else:
        lines += ["", "Both runs were made the same way (same packs, benchlab, sampling, thinking and server)."]
    return "\n".join(lines) + "\n"


def key_text(key: ResultKey, repeats: bool = False) -> str:
    """A result key as a reader names it: ``PACK/ID`` with what sets it apart (variant, arm, repeat).
    Repeats are numbered as the record stores them, from 0; with ``repeats`` (the run has
    several) every key names its repeat, the first one included."""
    extra = [f"variant {key.prompt_variant}"] if key.prompt_variant != "default" else []
    extra += [f"thinking {key.thinking}"] if key.thinking != "off" else []
    extra += [f"repeat {key.repeat}"] if key.repeat or repeats else []
    return f"{key.pack}/{key.scenario_id}" + (f" ({', '.join(extra)})" if extra else "")


def _why(p: PairedKey) -> str:
    side = p.b if p.kind in ("regression", "still_failing", "new") else p.a
    if p.kind == "not_comparable":
        side = p.b if p.b is not None and not p.b.scored else p.a
    if side is None or side.passed:
        return ""
    return f": {side.failure_mode or 'fail'} ({side.detail[:160]})" if side.detail else f": {side.failure_mode or 'fail'}"


def _shown(value: Any) -> str:
    return "-" if value is None else str(value)


def to_json(result: RunDiff) -> dict[str, Any]:
    """``--format json``: ``run_a``, ``run_b``, ``counts``, ``results``, ``packs``, ``changed``."""

    def side(o: Any) -> Any:
        return None if o is None else {"passed": o.passed, "scored": o.scored, "failure_mode": o.failure_mode, "detail": o.detail}

    def run(r: RunRecord) -> dict[str, Any]:
        return {"run_id": r.run_id, "model": r.model, "backend": r.backend, "endpoint": r.endpoint,
                "started_at": r.started_at, "complete": r.complete}

    return {
        "run_a": run(result.a),
        "run_b": run(result.b),
        "counts": {kind: len(result.of_kind(kind)) for kind in KINDS},
        "results": [{**p.key._asdict(), "change": p.kind, "a": side(p.a), "b": side(p.b)} for p in result.paired],
        "packs": [
            {"pack": r.pack, "scenarios": r.scenarios, "rate_a": r.rate_a, "rate_b": r.rate_b,
             "difference": None if r.difference is None else {"estimate": r.difference.estimate, "low": r.difference.low,
                                                               "high": r.difference.high, "method": r.difference.method},
             "test": r.test, "p": r.p, "p_holm": r.p_holm, "p_text": format_p(r.p) if r.p is not None else None,
             "regressions": r.regressions, "fixes": r.fixes}
            for r in result.packs
        ],
        "changed": [{"what": s.what, "a": s.a, "b": s.b} for s in result.settings],
    }
