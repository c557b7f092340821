"""The two ``--quick`` packs: they load, hold 15 scenarios each, every proof case behaves,
the scenarios only name tools they offer, and a real ``benchlab run --quick`` over
recorded gold answers passes 30/30 while recorded near-misses pass 0/30."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchlab.pack_loader import resolve_pack
from benchlab.plugin_manager import load_plugins
from benchlab.proofs import check_proofs, coverage_problems, read_proofs
from benchlab.recorded import FIELDS
from helpers import benchlab

QUICK = {"toolcall-15": ("ToolCall-15", "TC", "1.0.0"), "instructfollow-15": ("InstructFollow-15", "IF", "1.1.0")}


@pytest.fixture(scope="module")
def plugins():
    return load_plugins([])


@pytest.mark.parametrize("pack_id", QUICK)
def test_pack_loads_with_fifteen_numbered_scenarios(plugins, pack_id: str) -> None:
    pack = resolve_pack(pack_id, plugins.packs, plugins.verifiers, plugins.drivers)
    title, prefix, version = QUICK[pack_id]
    assert pack.manifest.title == title
    assert pack.manifest.version == version
    assert pack.manifest.floor == 0.8
    assert pack.manifest.default_thinking is False
    assert [s.id for s in pack.scenarios] == [f"{prefix}-{n:02d}" for n in range(1, 16)]
    assert pack.manifest.description


@pytest.mark.parametrize("pack_id", QUICK)
def test_every_proof_case_behaves_and_every_scenario_is_covered(plugins, pack_id: str) -> None:
    pack = resolve_pack(pack_id, plugins.packs, plugins.verifiers, plugins.drivers)
    outcomes = check_proofs(pack, plugins)
    problems = [f"{o.case.scenario} {o.case.kind} line {o.case.line}: {o.problem}" for o in outcomes if o.problem]
    assert problems == []
    assert coverage_problems(pack, read_proofs(pack)) == []
    # a near-miss names the check it must fail, so a near-miss failing for another reason is caught
    near = [o for o in outcomes if o.case.kind == "near_miss"]
    assert near and all(o.case.record.get("fails_check") and o.case.record.get("why") for o in near)
    assert all(not o.verdict.passed for o in near)
    assert all(o.verdict.passed for o in outcomes if o.case.kind != "near_miss")


def test_tool_scenarios_only_expect_tools_they_offer(plugins) -> None:
    pack = resolve_pack("toolcall-15", plugins.packs, plugins.verifiers, plugins.drivers)
    for scenario in pack.scenarios:
        offered = {t["function"]["name"]: t["function"]["parameters"]["properties"] for t in scenario.tools or []}
        assert offered, scenario.id
        for call in scenario.verifier.params["calls"]:
            assert call["name"] in offered, f"{scenario.id}: {call['name']} is not among its tools"
            unknown = set(call.get("args", {})) - set(offered[call["name"]])
            assert not unknown, f"{scenario.id}: {call['name']} has no parameter {unknown}"
    restraint = [s.id for s in pack.scenarios if not s.verifier.params["calls"]]
    assert len(restraint) >= 3


def _replay(tmp_path: Path, name: str, kind: str) -> Path:
    """A replay file with one recorded answer of ``kind`` (the first one) per quick scenario."""
    repo = Path(__file__).resolve().parent.parent
    rows: dict[str, dict] = {}
    for pack_id in QUICK:
        for line in (repo / "packs" / pack_id / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            key = f"{pack_id}/{case['scenario']}"
            if case["kind"] == kind and key not in rows:
                rows[key] = {"scenario": key, **{k: v for k, v in case.items() if k in FIELDS and k != "scenario"}}
    assert len(rows) == 30
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows.values()), encoding="utf-8")
    return path


def _run_quick(tmp_path: Path, replay: Path) -> dict:
    out = tmp_path / "results"
    result = benchlab("run", "--quick", "--replay", str(replay), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    runs = list(out.glob("*/run.json"))
    assert len(runs) == 1
    return json.loads(runs[0].read_text(encoding="utf-8"))


def _totals(record: dict) -> dict[str, tuple[int, int]]:
    return {p["pack"]: (p["pass_count"], p["total"]) for p in record["packs"]}


def test_real_cli_quick_run_passes_every_gold_answer(tmp_path: Path) -> None:
    record = _run_quick(tmp_path, _replay(tmp_path, "gold.jsonl", "gold"))
    assert _totals(record) == {"toolcall-15": (15, 15), "instructfollow-15": (15, 15)}
    assert all(r["passed"] for r in record["results"]) and len(record["results"]) == 30


def test_real_cli_quick_run_fails_every_near_miss(tmp_path: Path) -> None:
    record = _run_quick(tmp_path, _replay(tmp_path, "near.jsonl", "near_miss"))
    assert _totals(record) == {"toolcall-15": (0, 15), "instructfollow-15": (0, 15)}
    modes = {r["failure_mode"] for r in record["results"]}
    # content failures only: a near-miss is the model's fault, never the infrastructure's
    assert modes <= {"wrong_answer", "missing_field", "invalid_json"}


def test_real_cli_negative_control_lets_no_junk_through_the_quick_packs(tmp_path: Path) -> None:
    """Empty answers, echoed prompts, refusals, plausible JSON, placeholder tool calls and
    other scenarios' gold answers must all fail (exit 1 and a listing otherwise)."""
    result = benchlab("run", "--quick", "--negative-control", "--out", str(tmp_path / "nc"), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    for title in ("ToolCall-15", "InstructFollow-15"):
        counts = re.search(rf"^\| {title} \| (\d+) \| (\d+) \|", result.stdout, re.MULTILINE)
        assert counts, result.stdout
        assert int(counts.group(1)) >= 15 * 5 and counts.group(2) == "0"
