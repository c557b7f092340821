"""Pack bigbrain-4: its shape and its prompt variant, the hidden tests against the buggy code its
async prompt shows, every proof case in each real sandbox provider (the async fix is measured by
a test server started inside the sandbox: connections, requests in flight, the error path), and
real CLI runs: validate, a replayed run with the variant, the negative control."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from code_exec_helpers import best_sandbox, plugins, verify
from helpers import REPO, benchlab, run_record
from sandbox_helpers import PROVIDERS, prepared_provider

from benchlab.pack_loader import resolve_pack
from benchlab.plugins.verifiers.fences import scan_fences
from benchlab.proofs import check_proofs, coverage_problems, read_proofs
from benchlab.recorded import FIELDS

PACK_ID = "bigbrain-4"
PACK_DIR = REPO / "packs" / PACK_ID
NOT_KUBERNETES = "standard cron, NOT Kubernetes"


@pytest.fixture(scope="module")
def pack():
    return resolve_pack(PACK_ID, plugins().packs, plugins().verifiers, plugins().drivers)


def test_shape_registration_and_the_not_kubernetes_variant(pack) -> None:
    m = pack.manifest
    assert (m.title, m.floor, m.default_thinking) == ("BigBrain-4", 0.75, False) and m.description
    assert [s.id for s in pack.scenarios] == ["BB-01", "BB-02", "BB-03", "BB-04"]
    assert [s.verifier.kind for s in pack.scenarios] == ["code_exec", "rubric", "rubric", "code_exec"]
    assert pack.needs_sandbox
    assert plugins().packs.get(PACK_ID).modes == ()  # played with --pack; never in --quick
    cron = pack.scenario("BB-03")
    assert cron.variants == {"not-kubernetes": {"append": NOT_KUBERNETES}}
    asked = cron.with_variant("not-kubernetes").messages[-1]["content"]
    assert asked == cron.messages[-1]["content"] + "\n\n" + NOT_KUBERNETES
    assert all(not s.variants for s in pack.scenarios if s.id != "BB-03")
    rules = {r["name"] for r in cron.verifier.params["rules"]}
    assert {"crontab_line", "strict_mode", "idle_threshold_30_minutes", "only_documented_fleet_commands",
            "no_kubernetes_manifest"} <= rules
    evennia = {r["name"] for r in pack.scenario("BB-02").verifier.params["rules"]}
    assert {"words_180_to_220", "portal_and_server", "twisted", "django", "typeclasses", "command_sets", "sessions",
            "no_invented_scripting"} == evennia


def _shown_code(scenario) -> str:
    blocks, _ = scan_fences(scenario.messages[-1]["content"])
    (block,) = [b for b in blocks if b.lang == "python"]
    return block.body


def test_async_prompt_shows_the_three_bugs_and_its_tests_fail_that_code(pack) -> None:
    scenario = pack.scenario("BB-04")
    code = _shown_code(scenario)
    assert code.count("aiohttp.ClientSession()") == 1 and "async def fetch_json(url)" in code  # a session per URL
    assert "raise_for_status" not in code and "results.append(await fetch_json(url))" in code
    params = {k: v for k, v in scenario.verifier.params.items()}
    verdict = verify(params, f"```python\n{code}```", best_sandbox())
    assert not verdict.passed and verdict.checks[-1].name == "tests"
    assert "one after another" in verdict.detail
    assert scenario.verifier.params["tests"].strip().splitlines()[-1] not in scenario.messages[-1]["content"]


# What the test server inside the sandbox measured for each near-miss of BB-04 (never a grep of the code).
MEASURED = {
    "still awaited one after another": "the requests ran one after another",
    "a new ClientSession per URL": "12 requests opened 12 connections",
    "no raise_for_status": "an HTTP 503 answer came back as data",
    "all 12 requests in flight at once": "12 requests were in flight at once",
}
# What BB-01's hidden tests caught in each near-miss.
CAUGHT = {
    "instead of hmac.compare_digest": "not compared with hmac.compare_digest",
    "secret carried in the JSON body": "no header, but a secret in the JSON body: accepted",
    "re-serialised JSON": "ValueError: bad signature",
    "does not validate the fields": "no ref: raised KeyError",
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_proof_case_behaves_in_each_sandbox(pack, provider: str) -> None:
    outcomes = check_proofs(pack, plugins(), prepared_provider(provider))
    assert [f"{o.case.scenario} {o.case.kind} line {o.case.line}: {o.problem}" for o in outcomes if o.problem] == []
    assert coverage_problems(pack, read_proofs(pack)) == []
    code_runs = [o for o in outcomes if o.case.scenario in ("BB-01", "BB-04") and o.case.kind != "near_miss"]
    assert all(o.verdict.artifacts["provider"] == provider and o.verdict.artifacts["exit_code"] == 0 for o in code_runs)
    for scenario, expected in (("BB-04", MEASURED), ("BB-01", CAUGHT)):
        near = {o.case.record["why"]: o.verdict.detail for o in outcomes if o.case.scenario == scenario and o.case.kind == "near_miss"}
        assert len(near) == len(expected)
        for why_part, detail_part in expected.items():
            (detail,) = [d for why, d in near.items() if why_part in why]
            assert detail_part in detail, (why_part, detail)
    # every rubric rule of BB-02 and BB-03 is proved by a near-miss failing at it
    for scenario in ("BB-02", "BB-03"):
        rules = {r["name"] for r in pack.scenario(scenario).verifier.params["rules"]}
        proved = {o.case.record["fails_check"] for o in outcomes if o.case.scenario == scenario and o.case.kind == "near_miss"}
        assert proved == rules, (scenario, rules - proved)


def _replay(tmp_path: Path) -> Path:
    """Gold answers, except BB-03's default prompt, answered with a Kubernetes manifest as the big
    model did until told "NOT Kubernetes"; its variant gets the gold answer."""
    cases = [json.loads(line) for line in (PACK_DIR / "proofs.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = []
    for scenario in ("BB-01", "BB-02", "BB-03", "BB-04"):
        gold = next(c for c in cases if c["scenario"] == scenario and c["kind"] == "gold")
        answer = gold
        if scenario == "BB-03":
            answer = next(c for c in cases if c["scenario"] == scenario and c.get("fails_check") == "no_kubernetes_manifest")
            rows.append({"scenario": f"{PACK_ID}/{scenario}", "variant": "not-kubernetes", "content": gold["content"]})
        rows.append({"scenario": f"{PACK_ID}/{scenario}", **{k: v for k, v in answer.items() if k in FIELDS and k != "scenario"}})
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_real_cli_run_with_the_variant(tmp_path: Path) -> None:
    best_sandbox()
    out = tmp_path / "results"
    done = benchlab("run", "--pack", PACK_ID, "--variants", "--replay", str(_replay(tmp_path)), "--out", str(out),
                    "--no-progress", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    record = run_record(out)
    verdicts = {(r["scenario_id"], r["prompt_variant"]): (r["passed"], r["failure_mode"]) for r in record["results"]}
    assert verdicts == {("BB-01", "default"): (True, None), ("BB-02", "default"): (True, None),
                        ("BB-03", "default"): (False, "wrong_answer"), ("BB-03", "not-kubernetes"): (True, None),
                        ("BB-04", "default"): (True, None)}
    variant_request = next(r for r in record["results"] if r["prompt_variant"] == "not-kubernetes")["request"]
    assert variant_request["messages"][-1]["content"].endswith("\n\n" + NOT_KUBERNETES)
    assert "| bigbrain-4/BB-03 | ❌ wrong_answer | ✅ pass |" in done.stdout
    assert "| bigbrain-4 | not-kubernetes | 1 | 0% | 100% |" in done.stdout and "-0 / +1 |" in done.stdout
    assert "no_kubernetes_manifest" in done.stdout  # the failure breakdown names the rule


def test_real_cli_validate_reports_no_problem() -> None:
    best_sandbox()
    result = benchlab("packs", "validate", str(PACK_DIR), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"bigbrain-4: \d+ proof cases, 0 problem\(s\)", result.stdout)


def test_real_cli_negative_control_lets_no_junk_through(tmp_path: Path) -> None:
    best_sandbox()
    result = benchlab("run", "--negative-control", "--pack", PACK_ID, "--no-progress", "--out", str(tmp_path), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = re.search(r"^\| BigBrain-4 \| (\d+) \| (\d+) \|", result.stdout, re.MULTILINE)
    assert counts and int(counts.group(1)) >= 4 * 4 and counts.group(2) == "0", result.stdout
