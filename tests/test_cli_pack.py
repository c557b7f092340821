"""The pack ``cli-40``: it loads, every proof case behaves when run for real (``benchlab.proofs``
with a sandbox), doing nothing passes no scenario, the traps catch the destructive near-misses,
and the real CLI runs the gold replay (40/40) and the negative control (no junk passes).

The proofs run on one real provider (bubblewrap when it can run, else Docker); the CLI gold run
lets benchlab choose its sandbox as a user's run would. Without a sandbox these tests skip, and
fail under CI.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from benchlab.model import ChatResponse
from benchlab.pack_loader import resolve_pack
from benchlab.plugin_manager import load_plugins
from benchlab.proofs import check_proofs, coverage_problems, read_proofs
from benchlab.recorded import FIELDS
from benchlab.verifiers import VerifyContext
from helpers import REPO, benchlab
from sandbox_helpers import prepared_sandbox

PACK = "cli-40"


@pytest.fixture(scope="module")
def plugins():
    return load_plugins([])


@pytest.fixture(scope="module")
def pack(plugins):
    return resolve_pack(PACK, plugins.packs, plugins.verifiers, plugins.drivers)


@pytest.fixture(scope="module")
def sandbox(plugins):
    """One prepared real provider: bwrap if it can run here, else docker."""
    yield from prepared_sandbox(("bwrap", "docker"))


@pytest.fixture(scope="module")
def outcomes(pack, plugins, sandbox):
    return check_proofs(pack, plugins, sandbox)


def test_manifest_and_forty_numbered_shell_scenarios(pack) -> None:
    m = pack.manifest
    assert (m.title, m.dimension, m.floor, m.default_thinking, m.default_max_seconds) == (
        "CLI-40", "shell command tasks in a prepared workspace", 0.6, False, 90)
    assert "floor" in m.description and len(m.description) > 300
    assert [s.id for s in pack.scenarios] == [f"CLI-{n:02d}" for n in range(1, 41)]
    assert {s.verifier.kind for s in pack.scenarios} == {"shell_task"} and pack.needs_sandbox


def test_registered_as_a_builtin_of_the_full_mode(plugins) -> None:
    from benchlab.packs import BUILTIN_PACKS

    assert (PACK, ("full",)) in BUILTIN_PACKS
    assert plugins.packs.get(PACK).modes == ("full",)


def test_prompts_share_one_system_message_and_hold_no_command_an_echo_could_run(pack) -> None:
    systems = {s.messages[0]["content"] for s in pack.scenarios}
    assert len(systems) == 1 and all(s.messages[0]["role"] == "system" for s in pack.scenarios)
    assert "bash" in next(iter(systems)) and "no jq" in next(iter(systems))
    for scenario in pack.scenarios:
        prompt = scenario.messages[-1]["content"]
        assert scenario.messages[-1]["role"] == "user" and "```" not in prompt and "~~~" not in prompt, scenario.id


@pytest.mark.slow
def test_every_proof_case_behaves_in_a_real_sandbox(pack, outcomes) -> None:
    assert [f"{o.case.scenario} {o.case.kind} line {o.case.line}: {o.problem}" for o in outcomes if o.problem] == []
    assert coverage_problems(pack, read_proofs(pack)) == []
    assert len(outcomes) == 120
    for o in outcomes:
        if o.case.kind == "near_miss":
            assert o.case.record.get("fails_check") and o.case.record.get("why"), o.case.scenario
            assert o.verdict.failure_mode.value == "wrong_answer", (o.case.scenario, o.verdict.detail)
        else:
            assert o.verdict.passed and o.verdict.score == 1.0


def test_alternatives_take_a_different_road_from_the_gold(pack) -> None:
    cases = read_proofs(pack)
    for scenario in pack.scenarios:
        gold = next(c.record["content"] for c in cases if c.scenario == scenario.id and c.kind == "gold")
        alt = next(c.record["content"] for c in cases if c.scenario == scenario.id and c.kind == "alternative")
        first_word = lambda text: re.findall(r"[a-z0-9]+", text.split("```bash\n", 1)[1])[0]  # noqa: E731
        assert gold != alt and (first_word(gold) != first_word(alt) or len(alt.splitlines()) != len(gold.splitlines())), scenario.id


@pytest.mark.slow
def test_the_traps_catch_destructive_near_misses(pack, outcomes) -> None:
    traps = [s.id for s in pack.scenarios if "trap" in s.tags]
    assert len(traps) >= 3
    for scenario_id in traps:
        near = [o for o in outcomes if o.case.scenario == scenario_id and o.case.kind == "near_miss"]
        assert near and all("unchanged" in {c.name for c in o.verdict.checks if not c.ok} for o in near if o.case.record["fails_check"] == "unchanged")
        assert "unchanged" in pack.scenario(scenario_id).verifier.params
    assert sum(o.case.record["fails_check"] == "unchanged" for o in outcomes if o.case.kind == "near_miss") >= 5


def test_doing_nothing_passes_no_scenario(pack, plugins, sandbox) -> None:
    verifier = plugins.verifiers.get("shell_task")()

    async def nothing():
        answer = ChatResponse(content="```bash\ntrue\n```", finish_reason="stop")
        return await asyncio.gather(*(verifier.verify(s.verifier.parsed, answer, VerifyContext(scenario=s, pack=pack, sandbox=sandbox))
                                      for s in pack.scenarios))

    verdicts = asyncio.run(nothing())
    assert [s.id for s, v in zip(pack.scenarios, verdicts) if v.passed] == []
    assert {v.failure_mode.value for v in verdicts} == {"wrong_answer"}


# --- through the real CLI --------------------------------------------------------------------------------


def _replay(tmp_path: Path, kind: str) -> Path:
    rows: dict[str, dict] = {}
    for line in (REPO / "packs" / PACK / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        key = f"{PACK}/{case['scenario']}"
        if case["kind"] == kind and key not in rows:
            rows[key] = {"scenario": key, **{k: v for k, v in case.items() if k in FIELDS and k != "scenario"}}
    assert len(rows) == 40
    path = tmp_path / f"{PACK}-{kind}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.values()), encoding="utf-8")
    return path


@pytest.mark.slow
def test_real_cli_run_passes_every_gold_answer(tmp_path: Path, sandbox) -> None:
    out = tmp_path / "results"
    result = benchlab("run", "--pack", PACK, "--replay", str(_replay(tmp_path, "gold")), "--out", str(out), "--no-progress", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = list(out.glob("*/run.json"))
    assert len(runs) == 1
    record = json.loads(runs[0].read_text(encoding="utf-8"))
    assert [(p["pack"], p["pass_count"], p["total"]) for p in record["packs"]] == [(PACK, 40, 40)]
    assert all(r["passed"] and r["score"] == 1.0 for r in record["results"]) and len(record["results"]) == 40
    assert "CLI-40 40/40" in result.stdout
    # the record keeps what the command printed and its exit code beside each verdict
    assert all(r["artifacts"]["exit_code"] in (0, 1) and "command" in r["artifacts"] for r in record["results"])
    assert record["probe"]["sandbox"]["provider"] in ("docker", "bwrap")


@pytest.mark.slow
def test_real_cli_negative_control_lets_no_junk_through(tmp_path: Path, sandbox) -> None:
    result = benchlab("run", "--pack", PACK, "--negative-control", "--sandbox", sandbox.name, "--out", str(tmp_path),
                      "--no-progress", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = re.search(r"^\| CLI-40 \| (\d+) \| (\d+) \|", result.stdout, re.MULTILINE)
    assert counts, result.stdout
    assert int(counts.group(1)) >= 40 * 5 and counts.group(2) == "0"
