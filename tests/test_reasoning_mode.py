"""``benchlab run --reasoning`` end to end through the real CLI with the replay backend (each
scenario answered by its pack's own gold proof; no server, no model) and the real sandbox for
the code packs: it selects humaneval's 30-problem subset, gsm-symbolic-30, lcb-v6-30 and
gpqa-diamond (the last two from the fixture files in tests/data/reasoning, written for these
tests in the datasets' layouts), plays them with thinking on unless told otherwise, combines
with the other modes, records the datasets' sha256 and the instance seed, and reports a pack
whose dataset was not given as ``dataset_unavailable`` with the line saying how to give it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from benchlab.model import LoadOptions
from benchlab.recorded import FIELDS
from conftest import TEST_DATA
from helpers import benchlab, one_error_line, run_record

LCB = TEST_DATA / "reasoning" / "lcb_v6_fixture.jsonl"
GPQA = TEST_DATA / "reasoning" / "gpqa_diamond_fixture.csv"
DATASETS = ("--dataset", f"lcb-v6-30={LCB}", "--dataset", f"gpqa-diamond={GPQA}")
REASONING = {"humaneval", "gsm-symbolic-30", "lcb-v6-30", "gpqa-diamond"}
QUICK = {"toolcall-15", "instructfollow-15"}


def gold_lines(pack_ids: set[str], seed: str | None = None) -> list[dict]:
    """The first gold proof of every scenario of ``pack_ids``, as replay lines (packs loaded as a run loads them)."""
    from benchlab.plugin_manager import load_plugins
    from benchlab.pack_loader import resolve_pack
    from benchlab.proofs import read_proofs
    from helpers import REPO

    plugins = load_plugins()
    settings = {"dataset": [f"lcb-v6-30={LCB}", f"gpqa-diamond={GPQA}"], "instance_seed": seed or "2026"}
    rows: dict[str, list[dict]] = {}
    for pack_id in sorted(pack_ids):
        if pack_id in QUICK:
            cases = [json.loads(line) for line in (REPO / "packs" / pack_id / "proofs.jsonl").read_text().splitlines()]
        else:
            pack = resolve_pack(pack_id, plugins.packs, plugins.verifiers, plugins.drivers, LoadOptions(settings=settings))
            cases = [c.record for c in read_proofs(pack)]
        for case in cases:
            key = f"{pack_id}/{case['scenario']}"
            if case["kind"] == "gold" and key not in rows:
                rows[key] = [{"scenario": key, **{k: v for k, v in turn.items() if k in FIELDS and k != "scenario"}}
                             for turn in case.get("turns", [case])]
    return [line for turns in rows.values() for line in turns]


@pytest.fixture(scope="module")
def reasoning_replay(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "gold.jsonl"
    lines = gold_lines(REASONING)
    assert len(lines) == 30 + 30 + 3 + 4
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def run(tmp_path: Path, replay: Path, *flags: str, code: int = 0) -> dict:
    out = tmp_path / "out"
    proc = benchlab("run", *flags, "--replay", str(replay), "--out", str(out), "--no-progress", timeout=900)
    assert proc.returncode == code, proc.stdout + proc.stderr
    return run_record(out)


def arms(record: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for result in record["results"]:
        found.setdefault(result["pack"], set()).add(result["thinking"])
    return found


@pytest.mark.slow
def test_reasoning_plays_its_four_packs_with_thinking_on_and_records_the_datasets(tmp_path, reasoning_replay) -> None:
    record = run(tmp_path, reasoning_replay, "--reasoning", *DATASETS)
    packs = {p["pack"]: p for p in record["packs"]}
    assert set(packs) == REASONING
    assert {p: (s["pass_count"], s["total"]) for p, s in packs.items()} == {
        "humaneval": (30, 30), "gsm-symbolic-30": (30, 30), "lcb-v6-30": (3, 3), "gpqa-diamond": (4, 4)}
    assert arms(record) == {p: {"on"} for p in REASONING}
    assert all(r["request"]["thinking"] is True for r in record["results"])
    assert record["mode"] == "--reasoning"
    assert sorted(record["config"]["selection"]["thinking_on"]) == sorted(REASONING)
    for pack, path in (("lcb-v6-30", LCB), ("gpqa-diamond", GPQA)):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"sha256 {digest}" in packs[pack]["dataset"], packs[pack]
        assert str(path.resolve()) in packs[pack]["dataset"]
    assert packs["gsm-symbolic-30"]["dataset"] == "30 benchlab templates, instance seed 2026"
    assert record["config"]["selection"]["pack_settings"]["instance_seed"] == "2026"
    assert record["config"]["selection"]["pack_settings"]["dataset"] == [f"lcb-v6-30={LCB.resolve()}", f"gpqa-diamond={GPQA.resolve()}"]
    # The stdin problems ran once per public test, the functional one through the harness.
    lcb = {r["scenario_id"]: r for r in record["results"] if r["pack"] == "lcb-v6-30"}
    assert lcb["abc387_b"]["artifacts"]["tests"] == 2
    assert "2 stdin/stdout test(s) passed" in lcb["abc387_b"]["checks"][-1]["detail"]
    assert lcb["3411"]["artifacts"]["finished"] is True


def test_no_thinking_wins_over_the_mode_and_other_modes_keep_their_default(tmp_path) -> None:
    replay = tmp_path / "gold.jsonl"
    lines = gold_lines({"gsm-symbolic-30", "gpqa-diamond", *QUICK})
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    base = ("--no-sandboxed", "--dataset", f"gpqa-diamond={GPQA}")
    record = run(tmp_path / "a", replay, "--quick", "--reasoning", *base)
    assert arms(record) == {"toolcall-15": {"off"}, "instructfollow-15": {"off"}, "gsm-symbolic-30": {"on"}, "gpqa-diamond": {"on"}}
    assert record["mode"] == "--quick --reasoning --no-sandboxed"
    # lcb-v6-30 and humaneval run code: --no-sandboxed leaves them out.
    assert {p["pack"] for p in record["packs"]} == QUICK | {"gsm-symbolic-30", "gpqa-diamond"}
    for flag in (("--no-thinking",), ("--thinking", "off")):
        record = run(tmp_path / flag[-1], replay, "--reasoning", *base, *flag)
        assert arms(record) == {"gsm-symbolic-30": {"off"}, "gpqa-diamond": {"off"}}
    record = run(tmp_path / "both", replay, "--reasoning", *base, "--thinking", "both")
    assert arms(record) == {"gsm-symbolic-30": {"off", "on"}, "gpqa-diamond": {"off", "on"}}


def test_a_pack_without_its_dataset_is_unavailable_with_the_line_that_says_how(tmp_path) -> None:
    replay = tmp_path / "gold.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in gold_lines({"gsm-symbolic-30"})), encoding="utf-8")
    record = run(tmp_path, replay, "--reasoning", "--no-sandboxed")
    by_pack = {p["pack"]: p for p in record["packs"]}
    assert by_pack["gsm-symbolic-30"]["pass_count"] == 30
    gpqa = [r for r in record["results"] if r["pack"] == "gpqa-diamond"]
    assert [(r["scenario_id"], r["failure_mode"]) for r in gpqa] == [("*", "dataset_unavailable")]
    assert "--dataset gpqa-diamond=PATH/gpqa_diamond.csv" in gpqa[0]["detail"]
    assert "github.com/idavidrein/gpqa" in gpqa[0]["detail"]
    assert by_pack["gpqa-diamond"]["not_scored"] == 1


def test_another_instance_seed_plays_other_instances_under_other_ids(tmp_path) -> None:
    replay = tmp_path / "gold.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in gold_lines({"gsm-symbolic-30"}, seed="7")), encoding="utf-8")
    record = run(tmp_path, replay, "--pack", "gsm-symbolic-30", "--instance-seed", "7")
    assert {r["scenario_id"] for r in record["results"]} == {f"GS{n:02d}-s7" for n in range(1, 31)}
    assert record["packs"][0]["pass_count"] == 30
    assert record["config"]["selection"]["pack_settings"]["instance_seed"] == "7"
    assert record["packs"][0]["dataset"] == "30 benchlab templates, instance seed 7"


@pytest.mark.parametrize(("flags", "message"), [
    (("--dataset", "gpqa-diamond"), "expected PACK=PATH"),
    (("--dataset", "toolcall-15=x.csv"), "pack 'toolcall-15' takes no dataset (packs that do: lcb-v6-30, gpqa-diamond)"),
    (("--dataset", "gpqa-diamond=/no/such/file.csv"), "/no/such/file.csv is not a file"),
    (("--dataset", f"gpqa-diamond={GPQA}", "--dataset", f"gpqa-diamond={GPQA}"), "--dataset names gpqa-diamond 2 times"),
    (("--dataset", f"gpqa-diamond={LCB}"), "not GPQA's CSV layout"),
    (("--dataset", f"lcb-v6-30={GPQA}"), "is this LiveCodeBench's JSONL?"),
    (("--instance-seed", "-3"), "--instance-seed '-3': expected a non-negative integer"),
])
def test_bad_dataset_or_seed_is_one_error_line_and_nothing_is_written(tmp_path, flags, message) -> None:
    out = tmp_path / "out"
    proc = benchlab("run", "--reasoning", "--replay", str(tmp_path / "none.jsonl"), "--out", str(out), "--no-progress", *flags)
    assert message in one_error_line(proc)
    assert not out.exists() or not any(out.iterdir())


def test_packs_list_shows_the_dataset_state(tmp_path) -> None:
    proc = benchlab("packs", "list")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:]}
    assert "dataset unavailable: no local copy of LiveCodeBench" in rows["lcb-v6-30"]
    assert "--dataset gpqa-diamond=PATH/gpqa_diamond.csv" in rows["gpqa-diamond"]
    assert "reasoning" in rows["humaneval"] and "reasoning" in rows["gsm-symbolic-30"]
    proc = benchlab("packs", "list", "--dataset", f"gpqa-diamond={GPQA}")
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:]}
    assert f"dataset: {GPQA.resolve()} (sha256 {hashlib.sha256(GPQA.read_bytes()).hexdigest()}): 4 questions" in rows["gpqa-diamond"]


def test_a_resumed_reasoning_run_keeps_thinking_on_and_its_seed(tmp_path) -> None:
    """The first run's replay file lacks one answer (an infrastructure failure, exit 3); the
    file at the same path then gets it, and --resume plays that scenario as recorded: in the
    thinking arm the mode chose and with the instance seed the run began with."""
    lines = gold_lines({"gsm-symbolic-30"}, seed="11")
    replay = tmp_path / "gold.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines[1:]), encoding="utf-8")
    out = tmp_path / "out"
    first = benchlab("run", "--reasoning", "--no-sandboxed", "--instance-seed", "11", "--replay", str(replay),
                     "--out", str(out), "--no-progress")
    assert first.returncode == 3, first.stdout + first.stderr
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    run_id = run_record(out)["run_id"]
    second = benchlab("run", "--resume", run_id, "--out", str(out), "--no-progress")
    assert second.returncode == 0, second.stdout + second.stderr
    record = run_record(out)
    gsm = [r for r in record["results"] if r["pack"] == "gsm-symbolic-30"]
    assert len(gsm) == 30 and all(r["passed"] and r["thinking"] == "on" for r in gsm)
    assert {r["scenario_id"] for r in gsm} == {f"GS{n:02d}-s11" for n in range(1, 31)}


def test_a_resume_whose_dataset_file_changed_is_refused(tmp_path) -> None:
    data = tmp_path / "gpqa.csv"
    data.write_bytes(GPQA.read_bytes())
    lines = [line for line in gold_lines({"gpqa-diamond"}) if not line["scenario"].endswith("0004")]
    replay = tmp_path / "gold.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "out"
    first = benchlab("run", "--pack", "gpqa-diamond", "--dataset", f"gpqa-diamond={data}", "--replay", str(replay),
                     "--out", str(out), "--no-progress")
    assert first.returncode == 3, first.stdout + first.stderr
    data.write_text(GPQA.read_text(encoding="utf-8").replace("Two resistors", "Two equal resistors"), encoding="utf-8")
    second = benchlab("run", "--resume", run_record(out)["run_id"], "--out", str(out), "--no-progress")
    line = one_error_line(second)
    assert "the data of gpqa-diamond (recorded: " in line and "changed since the run began" in line


def test_the_negative_control_takes_reasoning_and_its_datasets(tmp_path) -> None:
    proc = benchlab("run", "--negative-control", "--reasoning", "--no-sandboxed", "--dataset", f"gpqa-diamond={GPQA}",
                    "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| GSM-Symbolic-30 |" in proc.stdout and "| GPQA-Diamond |" in proc.stdout
    assert "verifier defect" not in proc.stdout
