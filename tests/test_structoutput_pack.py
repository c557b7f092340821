"""Pack structoutput-15: its manifest, its coverage of formats, its proofs (gold and
alternative answers pass, every near-miss fails at the check it names), and real runs of
the CLI on replayed gold, alternative and near-miss answers, and the negative control."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from benchlab.model import FailureMode
from benchlab.pack_loader import resolve_pack
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.verifiers.structured.structured_checks import schema_problem
from benchlab.proofs import check_proofs, coverage_problems, judge, read_proofs

from helpers import REPO, benchlab, run_record

PACK_ID = "structoutput-15"
PACK_DIR = REPO / "packs" / PACK_ID
PLUGINS = load_plugins()
PACK = resolve_pack(PACK_ID, PLUGINS.packs, PLUGINS.verifiers, PLUGINS.drivers)
CASES = read_proofs(PACK)


def test_manifest() -> None:
    m = PACK.manifest
    assert (m.id, m.version, m.title) == (PACK_ID, "1.1.0", "StructOutput-15")
    assert m.dimension == "JSON / YAML / CSV / markdown structure validity"
    assert m.floor == 0.9 and m.default_thinking is False and m.default_max_seconds == 60
    assert "0.9" in m.description or "90%" in m.description
    assert PACK.path == PACK_DIR and not PACK.needs_sandbox
    source = PLUGINS.packs.get(PACK_ID)
    assert source.modes == ("medium", "full")


def test_scenarios_cover_every_format_and_response_format() -> None:
    assert [s.id for s in PACK.scenarios] == [f"SO-{n:02d}" for n in range(1, 16)]
    kinds = defaultdict(list)
    for scenario in PACK.scenarios:
        kinds[scenario.verifier.kind].append(scenario.id)
    assert set(kinds) == {"json", "yaml", "csv", "markdown_table"}
    assert len(kinds["yaml"]) >= 3 and len(kinds["csv"]) >= 2 and len(kinds["markdown_table"]) >= 2
    formats = {s.response_format["type"] for s in PACK.scenarios if s.response_format}
    assert formats == {"json_schema", "json_object"}
    json_params = [s.verifier.params for s in PACK.scenarios if s.verifier.kind == "json"]
    assert any("schema" in p for p in json_params) and any("exact" in p for p in json_params)
    assert any(any("/" in key.strip("/") or "." in key for key in p.get("paths", {})) for p in json_params)  # nested paths
    for scenario in PACK.scenarios:
        if scenario.response_format:
            # The server is asked for bare JSON: a fenced answer must not pass.
            assert scenario.verifier.params.get("fence") is False, scenario.id
            schema = (scenario.response_format.get("json_schema") or {}).get("schema")
            if schema is not None:
                assert schema_problem(schema) == "", scenario.id


def test_every_proof_holds_and_every_scenario_is_covered() -> None:
    outcomes = check_proofs(PACK, PLUGINS)
    problems = [f"{o.case.scenario} {o.case.kind} line {o.case.line}: {o.problem}" for o in outcomes if o.problem]
    assert problems == []
    assert coverage_problems(PACK, CASES) == []
    assert len(outcomes) == len(CASES) >= 45


def test_near_misses_name_a_check_the_gold_answer_has() -> None:
    """A near-miss's ``fails_check`` is a real check of that scenario, one the gold passes."""
    gold_checks: dict[str, dict[str, bool]] = {}
    for case in CASES:
        if case.kind == "gold":
            verdict = judge(PACK, case, PLUGINS)
            gold_checks[case.scenario] = {c.name: c.ok for c in verdict.checks}
    for case in CASES:
        if case.kind != "near_miss":
            continue
        name = case.record.get("fails_check")
        assert name, f"{case.scenario} line {case.line}: a near-miss must name the check it fails"
        assert case.record.get("why"), f"{case.scenario} line {case.line}: say why it is a near-miss"
        checks = gold_checks[case.scenario]
        assert checks.get(name) is True, f"{case.scenario}: {name!r} is not a passing check of the gold answer"


def test_alternatives_differ_from_gold_in_form() -> None:
    by_scenario: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for case in CASES:
        by_scenario[case.scenario][case.kind].append(case.record["content"])
    for scenario, kinds in by_scenario.items():
        gold = kinds["gold"][0]
        for alternative in kinds["alternative"]:
            assert "".join(alternative.split()) != "".join(gold.split()), f"{scenario}: the alternative differs only in whitespace"


def _replay(path: Path, kind: str) -> Path:
    """A replay file holding, per scenario, the first proof case of ``kind``."""
    seen: set[str] = set()
    lines = []
    for case in CASES:
        if case.kind == kind and case.scenario not in seen:
            seen.add(case.scenario)
            lines.append(json.dumps({"scenario": f"{PACK_ID}/{case.scenario}", "content": case.record["content"]}))
    assert len(seen) == 15
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _results(out: Path) -> dict[str, dict[str, Any]]:
    record = run_record(out)
    return {r["scenario_id"]: r for r in record["results"]}


@pytest.mark.parametrize("kind", ["gold", "alternative"])
def test_cli_run_on_replayed_correct_answers_passes_15_of_15(tmp_path: Path, kind: str) -> None:
    replay = _replay(tmp_path / f"{kind}.jsonl", kind)
    out = tmp_path / "out"
    done = benchlab("run", "--pack", PACK_ID, "--replay", str(replay), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "StructOutput-15 15/15 (100%)" in done.stdout
    record = run_record(out)
    summary = next(p for p in record["packs"] if p["pack"] == PACK_ID)
    assert (summary["pass_count"], summary["total"]) == (15, 15)
    assert all(r["passed"] for r in record["results"])


def test_cli_run_on_replayed_near_misses_fails_every_scenario_as_content(tmp_path: Path) -> None:
    replay = _replay(tmp_path / "near.jsonl", "near_miss")
    out = tmp_path / "out"
    done = benchlab("run", "--pack", PACK_ID, "--replay", str(replay), "--out", str(out), "--no-progress")
    assert "StructOutput-15 0/15 (0%)" in done.stdout, done.stdout + done.stderr
    results = _results(out)
    assert len(results) == 15
    first: dict[str, str] = {}
    for case in CASES:
        if case.kind == "near_miss":
            first.setdefault(case.scenario, case.record["fails_check"])
    for scenario_id, result in results.items():
        assert not result["passed"]
        assert FailureMode(result["failure_mode"]).category == "content"
        failed = {c["name"] for c in result["checks"] if not c["ok"]}
        assert first[scenario_id] in failed, (scenario_id, failed)


def test_cli_validate_and_negative_control(tmp_path: Path) -> None:
    done = benchlab("packs", "validate", str(PACK_DIR))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{PACK_ID}: {len(CASES)} proof cases, 0 problem(s)" in done.stdout
    control = benchlab("run", "--negative-control", "--pack", PACK_ID, "--out", str(tmp_path / "nc"), "--no-progress")
    assert control.returncode == 0, control.stdout + control.stderr
    assert "| StructOutput-15 |" in control.stdout and "| 0 | 0 | ✅ no junk passed |" in control.stdout
