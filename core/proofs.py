"""Pack proofs: every scenario's gold answer, an alternative correct form, and near-misses.

``proofs.jsonl`` sits beside ``scenarios.jsonl``; one line per case:
``{"scenario": "ID", "kind": "gold" | "alternative" | "near_miss", "content": "...",
"tool_calls": [...], "fails_check": "check name", "why": "..."}``. Gold and
alternative must pass; a near-miss must fail, at ``fails_check`` when given.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any

import attrs

from benchlab.errors import BenchlabError
from benchlab.model import Pack, Verdict
from benchlab.pack_loader import verifier_instance
from benchlab.plugin_manager import Plugins
from benchlab.recorded import FIELDS, response_from_record
from benchlab.verifiers import VerifyContext

PROOFS = "proofs.jsonl"
KINDS = ("gold", "alternative", "near_miss")


@attrs.frozen
class ProofCase:
    scenario: str
    kind: str
    record: dict[str, Any]
    line: int


@attrs.frozen
class ProofOutcome:
    case: ProofCase
    verdict: Verdict
    problem: str | None


def read_proofs(pack: Pack) -> list[ProofCase]:
    if pack.path is None or not (pack.path / PROOFS).is_file():
        raise BenchlabError(f"pack {pack.id!r} has no {PROOFS}")
    path = pack.path / PROOFS
    cases: list[ProofCase] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchlabError(f"{path}:{lineno}: json: {exc.msg}") from None
        if data.get("kind") not in KINDS:
            raise BenchlabError(f"{path}:{lineno}: kind: one of {', '.join(KINDS)}")
        if pack.scenario(str(data.get("scenario"))) is None:
            raise BenchlabError(f"{path}:{lineno}: scenario: {data.get('scenario')!r} is not in the pack")
        cases.append(ProofCase(data["scenario"], data["kind"], data, lineno))
    return cases


def judge(pack: Pack, case: ProofCase, plugins: Plugins, sandbox: Any = None) -> Verdict:
    scenario = pack.scenario(case.scenario)
    assert scenario is not None
    record = {k: v for k, v in case.record.items() if k in FIELDS}
    response = response_from_record(record)
    verifier = verifier_instance(plugins.verifiers, scenario.verifier.kind)
    verdict = verifier.verify(scenario.verifier.params, response, VerifyContext(scenario=scenario, pack=pack, sandbox=sandbox))
    if inspect.isawaitable(verdict):
        verdict = asyncio.run(_await(verdict))
    return verdict


async def _await(awaitable: Any) -> Any:
    return await awaitable


def check_proofs(pack: Pack, plugins: Plugins, sandbox: Any = None) -> list[ProofOutcome]:
    """Judge every case; ``problem`` says what is wrong with the pack, if anything.

    ``sandbox`` runs the code of packs that need one (``Pack.needs_sandbox``).
    """
    cases = read_proofs(pack)
    outcomes: list[ProofOutcome] = []
    for case in cases:
        verdict = judge(pack, case, plugins, sandbox)
        problem = None
        if case.kind in ("gold", "alternative") and not verdict.passed:
            problem = f"{case.kind} answer fails: {verdict.detail}"
        elif case.kind == "near_miss":
            if verdict.passed:
                problem = "near-miss passes"
            elif case.record.get("fails_check"):
                failed = {c.name for c in verdict.checks if not c.ok}
                if case.record["fails_check"] not in failed:
                    problem = f"near-miss fails at {sorted(failed)}, not at {case.record['fails_check']!r}"
        outcomes.append(ProofOutcome(case, verdict, problem))
    return outcomes


def coverage_problems(pack: Pack, cases: list[ProofCase]) -> list[str]:
    """Scenarios lacking a gold, an alternative or a near-miss case."""
    problems = []
    for scenario in pack.scenarios:
        kinds = {c.kind for c in cases if c.scenario == scenario.id}
        missing = [k for k in KINDS if k not in kinds]
        if missing:
            problems.append(f"{scenario.id}: no {', '.join(missing)} case")
        texts = [json.dumps([c.record.get("content"), c.record.get("tool_calls")]) for c in cases if c.scenario == scenario.id and c.kind != "near_miss"]
        if len(texts) != len(set(texts)):
            problems.append(f"{scenario.id}: the alternative answer is the gold answer again")
    return problems


def proofs_path(pack: Pack) -> Path | None:
    return pack.path / PROOFS if pack.path is not None else None
