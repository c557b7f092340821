"""The packs ``dataextract-15`` and ``reasonmath-15``: they load, every proof case behaves
(checked with ``benchlab.proofs``), the expected answers are recomputed here from the
problem statements and documents, and the real CLI runs each pack over recorded gold
answers (15/15), recorded near-misses (0/15) and the negative control (no junk passes)."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from benchlab.pack_loader import resolve_pack
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.verifiers.extraction.numeric_answer import final_line, normalise_line, numbers, within
from benchlab.proofs import check_proofs, coverage_problems, read_proofs
from benchlab.recorded import FIELDS
from helpers import REPO, benchlab

PACKS = {
    "dataextract-15": ("DataExtract-15", "DE", 0.75, 90, "field-level extraction accuracy"),
    "reasonmath-15": ("ReasonMath-15", "RM", 0.6, 120, "multi-step numeric reasoning"),
}


@pytest.fixture(scope="module")
def plugins():
    return load_plugins([])


def pack_of(plugins, pack_id: str):
    return resolve_pack(pack_id, plugins.packs, plugins.verifiers, plugins.drivers)


@pytest.mark.parametrize("pack_id", PACKS)
def test_pack_loads_with_fifteen_numbered_scenarios(plugins, pack_id: str) -> None:
    pack = pack_of(plugins, pack_id)
    title, prefix, floor, seconds, dimension = PACKS[pack_id]
    m = pack.manifest
    assert (m.title, m.floor, m.default_max_seconds, m.dimension, m.default_thinking) == (title, floor, seconds, dimension, False)
    assert "floor" in m.description and len(m.description) > 200
    assert [s.id for s in pack.scenarios] == [f"{prefix}-{n:02d}" for n in range(1, 16)]
    kind = "extraction" if prefix == "DE" else "numeric_answer"
    assert {s.verifier.kind for s in pack.scenarios} == {kind}


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_proof_case_behaves_and_every_scenario_is_covered(plugins, pack_id: str) -> None:
    pack = pack_of(plugins, pack_id)
    outcomes = check_proofs(pack, plugins)
    assert [f"{o.case.scenario} {o.case.kind} line {o.case.line}: {o.problem}" for o in outcomes if o.problem] == []
    assert coverage_problems(pack, read_proofs(pack)) == []
    near = [o for o in outcomes if o.case.kind == "near_miss"]
    assert all(o.case.record.get("fails_check") and o.case.record.get("why") for o in near)
    assert all(not o.verdict.passed and o.verdict.failure_mode.category == "content" for o in near)
    assert all(o.verdict.passed and o.verdict.score == 1.0 for o in outcomes if o.case.kind != "near_miss")
    # a near-miss differs from gold in one property: it fails few checks, at the one it names
    for o in near:
        failed = [c.name for c in o.verdict.checks if not c.ok]
        assert o.case.record["fails_check"] in failed


def test_dataextract_near_misses_mostly_miss_a_single_field(plugins) -> None:
    outcomes = [o for o in check_proofs(pack_of(plugins, "dataextract-15"), plugins) if o.case.kind == "near_miss"]
    single = [o for o in outcomes if sum(not c.ok for c in o.verdict.checks) == 1]
    assert len(single) >= len(outcomes) - 2
    # partial credit: one wrong field out of many keeps most of the score
    assert all(o.verdict.score > 0.8 for o in single if o.case.record["fails_check"].startswith("fields."))


def test_reasonmath_has_near_misses_with_the_right_number_mid_text(plugins) -> None:
    """The final-line convention's point: the correct number in the working, a wrong final line."""
    pack = pack_of(plugins, "reasonmath-15")
    mid_text = []
    for case in read_proofs(pack):
        if case.kind != "near_miss":
            continue
        params = pack.scenario(case.scenario).verifier.params
        text = case.record["content"]
        last = final_line(text)
        earlier = [t for line in text.splitlines() if line.strip() and line.strip() != last for t in numbers(normalise_line(line))]
        if any(within(params["expected"], t.value, params.get("tolerance", 0)) for t in earlier):
            mid_text.append(case.scenario)
    assert len(mid_text) >= 3, mid_text


# --- the expected reasonmath answers, recomputed -----------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _recomputed() -> dict[str, float]:
    """Each problem solved again from its statement, with exact arithmetic."""
    d = Decimal
    values: dict[str, float] = {}
    revenue = 148 * d("2.75") + 95 * d("3.20")
    values["RM-01"] = float(_cents(revenue - revenue * d("0.38") - 240))
    gap = 420 - Fraction(80, 2)  # the first train's head start: half an hour at 80 km/h
    values["RM-02"] = float(30 + gap / (80 + 70) * 60)
    price = d(160) * d("1.25") * d("0.70") * d("0.90")
    values["RM-03"] = float((160 - price) / 160 * 100)
    # 0.15·12 + 0.40·x = 0.25·(12 + x)
    values["RM-04"] = float((Fraction(25, 100) * 12 - Fraction(15, 100) * 12) / (Fraction(40, 100) - Fraction(25, 100)))
    rate = Fraction(1, 6) + Fraction(1, 9) - Fraction(1, 12)
    values["RM-05"] = float(round(60 / rate))
    values["RM-06"] = float(_cents(d(5000) * (1 + d("0.04") / 4) ** 12))
    ben = Fraction(46 + 4, 5)  # b + 2b + (2b - 4) = 46
    values["RM-07"] = float(2 * ben - 4 + 5)
    hours = Fraction(36, 12) + Fraction(24, 16) + Fraction(60, 30)
    values["RM-08"] = float(round(Fraction(120) / hours, 1))
    values["RM-09"] = float(_cents((3 * d("4.50") + 2 * d("1.25") + 32 - 5) * d("1.0825")))
    flour = Fraction(450 * 15, 6)
    values["RM-10"] = float(math.ceil(flour / 1000) * 1000 - flour)
    values["RM-11"] = float(Fraction(5 * 4 + 3 * 2 + 2 * 1, 10 * 9))
    worked = 4 * 9 + d("11.5")
    values["RM-12"] = float(40 * 22 + (worked - 40) * 22 * d("1.5"))
    path_area = (18 + 2 * d("1.5")) * (12 + 2 * d("1.5")) - 18 * 12
    values["RM-13"] = float(path_area / (d("0.5") * d("0.5")) * d("3.40"))
    balance = d("250.00") - d("89.99") + d("120.00") - d("310.45")
    values["RM-14"] = float(balance - (15 if balance < 0 else 0))
    values["RM-15"] = float(_cents((d(540) * d("6.8") / 100 * d("1.79") + d("14.40")) / 3))
    return values


def test_reasonmath_expected_values_are_recomputed(plugins) -> None:
    pack = pack_of(plugins, "reasonmath-15")
    recomputed = _recomputed()
    assert set(recomputed) == {s.id for s in pack.scenarios}
    for scenario in pack.scenarios:
        params = scenario.verifier.params
        assert within(params["expected"], recomputed[scenario.id], params.get("tolerance", 0)), (scenario.id, recomputed[scenario.id])
    # the precise values the tolerances are there for
    assert recomputed["RM-05"] == 309 and recomputed["RM-06"] == 5634.13 and recomputed["RM-11"] == pytest.approx(14 / 45)


def test_reasonmath_prompts_state_the_convention_and_answers_differ(plugins) -> None:
    pack = pack_of(plugins, "reasonmath-15")
    for scenario in pack.scenarios:
        prompt = scenario.messages[-1]["content"]
        assert 'final line of the form "Answer: <number>"' in prompt, scenario.id
        # the prompt's own last line holds no digit, so an echoed prompt reads no number
        assert not re.search(r"\d", prompt.splitlines()[-1]), scenario.id
        if "to the cent" in prompt:
            assert scenario.verifier.params.get("tolerance") == 0.005
    # no other scenario's gold answer can pass: expected values lie outside each other's tolerance
    values = [(s.verifier.params["expected"], s.verifier.params.get("tolerance", 0)) for s in pack.scenarios]
    for i, (a, ta) in enumerate(values):
        for b, _ in values[i + 1:]:
            assert not within(a, b, ta) and not within(a, b / 100, ta)


# --- dataextract: the derived fields, recomputed from the documents -----------------------------------


def test_dataextract_derived_values_are_recomputed(plugins) -> None:
    pack = pack_of(plugins, "dataextract-15")
    exp = {s.id: s.verifier.params["expected"] for s in pack.scenarios}
    docs = {s.id: s.messages[-1]["content"] for s in pack.scenarios}
    d = Decimal

    invoice = exp["DE-01"]
    for item in invoice["line_items"]:
        assert d(str(item["quantity"])) * d(str(item["unit_price"])) == d(str(item["amount"]))
    subtotal = sum(d(str(i["amount"])) for i in invoice["line_items"])
    assert subtotal == d(str(invoice["subtotal"]))
    assert _cents(subtotal * d("0.20")) == d(str(invoice["vat_amount"]))
    assert subtotal + d(str(invoice["vat_amount"])) == d(str(invoice["total"]))

    receipt = exp["DE-06"]
    items = docs["DE-06"].split("Served by Marta")[1].split("-----")[0]
    lines = [d(x) for x in re.findall(r"\s(-?\d+\.\d\d)$", items, re.MULTILINE)]
    assert len(lines) == 8 and sum(lines) == d(str(receipt["subtotal"]))
    assert sorted([-x for x in lines if x < 0] + [d("0.99")]) == sorted(d(str(x)) for x in receipt["discounts"])
    assert sum(d(str(x)) for x in receipt["discounts"]) == d(str(receipt["total_saved"]))
    assert d(str(receipt["subtotal"])) - d("0.99") == d(str(receipt["total"]))
    assert _cents(d("9.90") * d("0.10")) == d("0.99")

    statement = exp["DE-07"]
    assert d(str(statement["opening_balance"])) + d(str(statement["total_credits"])) - d(str(statement["total_debits"])) \
        == d(str(statement["closing_balance"]))
    debits = [d("950.00"), d("64.38"), d("88.00"), d("12.50"), d("4.00")]
    assert sum(debits) == d(str(statement["total_debits"])) and len(debits) == statement["debit_count"]

    quotes = {q["vendor"]: q["total_eur"] for q in exp["DE-12"]["quotes"]}
    ergoline_chairs = 40 * d(189)
    assert quotes["Ergoline"] == (ergoline_chairs * d("0.95") if ergoline_chairs > 7000 else ergoline_chairs) + 120
    assert quotes["SitWell"] == 40 * 172 + 40 * 6
    assert quotes["Officio"] == 40 * d(199) * d("0.90") + 80
    assert exp["DE-12"]["cheapest_vendor"] == min(quotes, key=quotes.get)

    notes = exp["DE-05"]
    assert notes["flaky_tests_remaining"] == 14 - 9

    report = exp["DE-15"]
    visit = dt.datetime(2024, 12, 5, 11, 15) - dt.datetime(2024, 12, 5, 8, 40)
    assert report["visit_minutes"] == visit.total_seconds() / 60
    assert report["recheck_by"] == (dt.date(2024, 12, 5) + dt.timedelta(days=14)).isoformat()
    limits = {"motor_bearing_vibration_mm_s": (None, 4.5), "pump_bearing_vibration_mm_s": (None, 4.5),
              "discharge_pressure_bar": (5.5, 7.0), "motor_temperature_c": (None, 80), "seal_leakage_drops_min": (None, 10)}
    outside = [k for k, (low, high) in limits.items() if (low is not None and report["readings"][k] < low) or report["readings"][k] > high]
    assert len(outside) == report["out_of_limit_count"]

    contract = exp["DE-14"]
    start = dt.date.fromisoformat(contract["effective_date"])
    end = dt.date(start.year + contract["initial_term_months"] // 12, start.month, start.day) - dt.timedelta(days=1)
    assert contract["initial_term_end"] == end.isoformat()

    flights = exp["DE-09"]
    # the return lands the next morning, 17:50 at UTC-4 plus a 7 h 50 min flight
    landing = dt.datetime.fromisoformat(flights["segments"][2]["departure"]) + dt.timedelta(hours=7, minutes=50)
    assert landing == dt.datetime.fromisoformat(flights["final_arrival"])

    registrations = exp["DE-13"]
    assert registrations["attendee_count"] == len(registrations["attendees"])
    assert registrations["student_count"] == sum(a["ticket"] == "student" for a in registrations["attendees"])


def test_dataextract_prompts_hold_no_json_an_echo_could_pass_with(plugins) -> None:
    pack = pack_of(plugins, "dataextract-15")
    for scenario in pack.scenarios:
        prompt = scenario.messages[-1]["content"]
        assert "{" not in prompt and "Reply with only a JSON object" in prompt, scenario.id
        for key in scenario.verifier.params["expected"]:
            assert f"- {key}:" in prompt, (scenario.id, key)


# --- through the real CLI --------------------------------------------------------------------------------


def _replay(tmp_path: Path, pack_id: str, kind: str) -> Path:
    rows: dict[str, dict] = {}
    for line in (REPO / "packs" / pack_id / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        key = f"{pack_id}/{case['scenario']}"
        if case["kind"] == kind and key not in rows:
            rows[key] = {"scenario": key, **{k: v for k, v in case.items() if k in FIELDS and k != "scenario"}}
    assert len(rows) == 15
    path = tmp_path / f"{pack_id}-{kind}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.values()), encoding="utf-8")
    return path


def _run(tmp_path: Path, pack_id: str, kind: str) -> tuple[dict, str]:
    out = tmp_path / f"results-{kind}"
    result = benchlab("run", "--pack", pack_id, "--replay", str(_replay(tmp_path, pack_id, kind)), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    runs = list(out.glob("*/run.json"))
    assert len(runs) == 1
    return json.loads(runs[0].read_text(encoding="utf-8")), result.stdout


@pytest.mark.parametrize("pack_id", PACKS)
def test_real_cli_run_passes_every_gold_answer(tmp_path: Path, pack_id: str) -> None:
    record, stdout = _run(tmp_path, pack_id, "gold")
    assert [(p["pack"], p["pass_count"], p["total"]) for p in record["packs"]] == [(pack_id, 15, 15)]
    assert all(r["passed"] and r["score"] == 1.0 for r in record["results"]) and len(record["results"]) == 15
    assert f"{PACKS[pack_id][0]} 15/15" in stdout


@pytest.mark.parametrize("pack_id", PACKS)
def test_real_cli_run_fails_every_near_miss(tmp_path: Path, pack_id: str) -> None:
    record, _ = _run(tmp_path, pack_id, "near_miss")
    assert [(p["pass_count"], p["total"]) for p in record["packs"]] == [(0, 15)]
    assert {r["failure_mode"] for r in record["results"]} <= {"wrong_answer", "missing_field", "invalid_json"}
    # the record keeps every check, so a failure can be read without re-running
    assert all(any(not c["ok"] for c in r["checks"]) for r in record["results"])


def test_real_cli_negative_control_lets_no_junk_through(tmp_path: Path) -> None:
    for pack_id, (title, *_rest) in PACKS.items():
        result = benchlab("run", "--pack", pack_id, "--negative-control", "--out", str(tmp_path / pack_id), "--no-progress")
        assert result.returncode == 0, result.stdout + result.stderr
        counts = re.search(rf"^\| {title} \| (\d+) \| (\d+) \|", result.stdout, re.MULTILINE)
        assert counts, result.stdout
        assert int(counts.group(1)) >= 15 * 4 and counts.group(2) == "0"
