"""Pack proofs: every scenario's gold answer, an alternative correct form, and near-misses.

``proofs.jsonl`` sits beside ``scenarios.jsonl``; one line per case:
``{"scenario": "ID", "kind": "gold" | "alternative" | "near_miss", "content": "...",
"tool_calls": [...], "fails_check": "check name", "why": "..."}``. A multi-turn
scenario's case gives the model's answer for every turn instead:
``{"scenario": "ID", "kind": "gold", "turns": [{"content": "", "tool_calls": [...]},
..., {"content": "final answer"}]}``. Gold and alternative must pass; a near-miss
must fail, at the check named by ``fails_check``, and say in ``why`` what it gets wrong
(both required). Each case is played through the
scenario's real driver, and every recorded turn must be asked for.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import attrs

from benchlab.errors import BenchlabError
from benchlab.jsonl import read_jsonl
from benchlab.model import Pack, Verdict
from benchlab.plugin_manager import Plugins
from benchlab.recorded import FIELDS
from benchlab.recorded_play import play_recorded

PROOFS = "proofs.jsonl"
KINDS = ("gold", "alternative", "near_miss")


@attrs.frozen
class ProofCase:
    scenario: str
    kind: str
    record: dict[str, Any]
    line: int

    @property
    def turns(self) -> list[dict[str, Any]]:
        """The recorded answers, one per model turn."""
        if "turns" in self.record:
            return [{k: v for k, v in turn.items() if k in FIELDS} for turn in self.record["turns"]]
        return [{k: v for k, v in self.record.items() if k in FIELDS}]


@attrs.frozen
class ProofOutcome:
    case: ProofCase
    verdict: Verdict
    problem: str | None


def read_proofs(pack: Pack, problems: list[str] | None = None) -> list[ProofCase]:
    """The cases of the pack's proofs file. A malformed line raises, or, when ``problems``
    is given, is listed there (as ``proofs.jsonl:LINE: ...``) and skipped."""
    if pack.path is None or not (pack.path / PROOFS).is_file():
        raise BenchlabError(f"pack {pack.id!r} has no {PROOFS}")
    path = pack.path / PROOFS
    cases: list[ProofCase] = []
    for lineno, data in read_jsonl(path):
        problem = _line_problem(pack, data)
        if problem is not None:
            if problems is None:
                raise BenchlabError(f"{path}:{lineno}: {problem}")
            problems.append(f"{PROOFS}:{lineno}: {problem}")
            continue
        cases.append(ProofCase(data["scenario"], data["kind"], data, lineno))
    return cases


def _line_problem(pack: Pack, data: Any) -> str | None:
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        return f"kind: one of {', '.join(KINDS)}"
    if pack.scenario(str(data.get("scenario"))) is None:
        return f"scenario: {data.get('scenario')!r} is not in the pack"
    turns = data.get("turns")
    if turns is not None and (not isinstance(turns, list) or not turns or not all(isinstance(t, dict) for t in turns)):
        return "turns: a non-empty list of recorded answers"
    return None


async def judge_async(pack: Pack, case: ProofCase, plugins: Plugins, sandbox: Any = None) -> tuple[Verdict, int]:
    """The verdict on a case, and how many of its turns the driver asked for."""
    scenario = pack.scenario(case.scenario)
    assert scenario is not None
    result, served = await play_recorded(pack, scenario, case.turns, plugins, sandbox)
    verdict = Verdict(result.passed, result.score, result.failure_mode, result.detail, result.checks, result.artifacts)
    return verdict, served


def judge(pack: Pack, case: ProofCase, plugins: Plugins, sandbox: Any = None) -> Verdict:
    return asyncio.run(judge_async(pack, case, plugins, sandbox))[0]


def _problem(case: ProofCase, verdict: Verdict, served: int) -> str | None:
    if served != len(case.turns):
        return f"the driver asked for {served} turn(s) but the case records {len(case.turns)}"
    if case.kind in ("gold", "alternative") and not verdict.passed:
        return f"{case.kind} answer fails: {verdict.detail}"
    if case.kind == "near_miss":
        if verdict.passed:
            return "near-miss passes"
        # A near-miss proves a check only when it names that check and fails there.
        expected = case.record.get("fails_check")
        failed = {c.name for c in verdict.checks if not c.ok}
        if not isinstance(expected, str) or not expected:
            return f"near-miss has no fails_check: name the check it must fail (it fails at {sorted(failed)})"
        if expected not in failed:
            return f"near-miss fails at {sorted(failed)}, not at {expected!r}"
        why = case.record.get("why")
        if not isinstance(why, str) or not why.strip():
            return "near-miss has no why: say which property it gets wrong"
    return None


async def _check_all(pack: Pack, cases: list[ProofCase], plugins: Plugins, sandbox: Any) -> list[ProofOutcome]:
    # Sandboxed cases run concurrently (the sandbox bounds its own concurrency).
    judged = await asyncio.gather(*(judge_async(pack, case, plugins, sandbox) for case in cases))
    return [ProofOutcome(case, verdict, _problem(case, verdict, served)) for case, (verdict, served) in zip(cases, judged)]


def check_proofs(pack: Pack, plugins: Plugins, sandbox: Any = None, cases: list[ProofCase] | None = None) -> list[ProofOutcome]:
    """Judge every case (``cases``, else the pack's file); ``problem`` says what is wrong
    with the pack, if anything.

    ``sandbox`` runs the code of packs that need one (``Pack.needs_sandbox``).
    """
    return asyncio.run(_check_all(pack, read_proofs(pack) if cases is None else cases, plugins, sandbox))


def cached_proofs_folder(namespace: str, cases: list[dict[str, Any]]) -> Path | None:
    """A cache folder holding ``proofs.jsonl`` with ``cases`` (for packs built from a dataset),
    named by the content's hash under ``namespace``; None if it cannot be written."""
    import hashlib
    import os
    import tempfile

    from benchlab.cache import cache_dir
    from benchlab.codec import with_version

    text = "".join(json.dumps(with_version(case), ensure_ascii=False) + "\n" for case in cases)
    folder = cache_dir() / namespace / hashlib.sha256(text.encode()).hexdigest()[:16]
    target = folder / PROOFS
    if target.is_file():
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".proofs-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, target)  # atomic: another process writing the same bytes is harmless
    except OSError:
        return None
    return folder


def coverage_problems(pack: Pack, cases: list[ProofCase]) -> list[str]:
    """Scenarios lacking a gold, an alternative or a near-miss case."""
    problems = []
    for scenario in pack.scenarios:
        kinds = {c.kind for c in cases if c.scenario == scenario.id}
        missing = [k for k in KINDS if k not in kinds]
        if missing:
            problems.append(f"{scenario.id}: no {', '.join(missing)} case")
        answers = [json.dumps(c.turns, sort_keys=True) for c in cases if c.scenario == scenario.id and c.kind != "near_miss"]
        if len(answers) != len(set(answers)):
            problems.append(f"{scenario.id}: the alternative answer is the gold answer again")
    return problems
