"""Baselines and the regression gate through the CLI, against a model that is right with set
probabilities (tests/servers/chance.py): capture, list, show, check, run --baseline, exit 4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import benchlab, exact_scenario, one_error_line, write_pack
from servers.base import TestServer, running
from servers.chance import ChanceScript
from servers.openai_compat import OpenAIChat

WORDS = [f"w{i}" for i in range(12)]


def pack(tmp_path: Path, version: str = "1.0.0") -> Path:
    return write_pack(tmp_path / f"v{version}" / "chance-12", [exact_scenario(w, f"Say {w}", w) for w in WORDS],
                      title="Chance-12", version=version)


def server(probabilities: dict[str, float], seed: int) -> TestServer:
    s = TestServer()
    OpenAIChat(ChanceScript(probabilities, seed), model="m").install(s)
    return s


def play(srv: TestServer, tmp_path: Path, *extra: str, version: str = "1.0.0") -> tuple[int, str, str]:
    out = tmp_path / "out"
    before = set(p.name for p in out.iterdir()) if out.is_dir() else set()
    proc = benchlab("run", "--backend", "openai", "--endpoint", srv.url, "--pack", str(pack(tmp_path, version)), "--out", str(out),
                    "--no-progress", "--measured-tps", "100", "--concurrency", "1", "--baselines", str(tmp_path / "baselines"), *extra)
    new = [p.name for p in out.iterdir() if p.name not in before and (p / "journal.jsonl").is_file()]
    return proc.returncode, (new[0] if new else ""), proc.stdout + proc.stderr


def capture_three(tmp_path: Path, probabilities: dict[str, float]) -> list[str]:
    runs = []
    for seed in range(3):
        with running(server(probabilities, seed)) as srv:
            code, run_id, text = play(srv, tmp_path)
        assert code == 0, text
        runs.append(run_id)
    return runs


def test_capture_needs_three_repeats_and_the_gate_catches_a_broken_model(tmp_path):
    stable = {w: 1.0 for w in WORDS[:10]} | {WORDS[10]: 0.5, WORDS[11]: 0.0}
    runs = capture_three(tmp_path, stable)
    base = ["--out", str(tmp_path / "out"), "--baselines", str(tmp_path / "baselines")]
    short = one_error_line(benchlab("baseline", "capture", "b1", "--from", runs[0], "--from", runs[1], *base))
    assert "at least 3 scored repeats" in short and "add 1 more run(s)" in short
    made = benchlab("baseline", "capture", "b1", *[a for r in runs for a in ("--from", r)], *base)
    assert made.returncode == 0, made.stderr
    saved = json.loads((tmp_path / "baselines" / "b1.json").read_text())
    assert saved["schema_version"] >= 2 and saved["runs"] == runs
    assert {s["scenario_id"]: (s["passes"], s["repeats"]) for s in saved["scenarios"]}["w0"] == (3, 3)
    assert "b1  3 runs  chance-12 1.0.0" in benchlab("baseline", "list", "--baselines", str(tmp_path / "baselines")).stdout
    assert "chance-12/w0: 3/3" in benchlab("baseline", "show", "b1", "--baselines", str(tmp_path / "baselines")).stdout

    # The same model again: no regression, exit 0 even with --fail-on-regression.
    with running(server(stable, 7)) as srv:
        code, run_id, text = play(srv, tmp_path, "--baseline", "b1", "--fail-on-regression")
    assert code == 0, text
    assert "against baseline b1: no regression" in text

    # A model that lost its stable scenarios: the gate names the pack and the scenarios, exit 4.
    broken = {w: 0.0 for w in WORDS}
    with running(server(broken, 8)) as srv:
        code, broken_run, text = play(srv, tmp_path, "--baseline", "b1", "--fail-on-regression")
    assert code == 4, text
    assert "- chance-12: REGRESSED" in text and "passed 3/3 in the baseline (stable pass), 0/1 now" in text
    assert "p < 0.001" in text or "p = 0.0" in text
    # baseline check on the saved run says the same, and exits 0 without --fail-on-regression.
    checked = benchlab("baseline", "check", "b1", broken_run, *base, "--format", "json")
    assert checked.returncode == 0, checked.stderr
    data = json.loads(checked.stdout)
    assert data["fired"] is True and data["packs"][0]["regressed"] is True
    # every stable scenario is named (the flaky w10 may be too, as a weaker piece of evidence)
    assert {f"w{i}" for i in range(10)} <= {s["scenario"] for s in data["scenarios"]} <= {f"w{i}" for i in range(11)}
    assert benchlab("baseline", "check", "b1", broken_run, *base, "--fail-on-regression").returncode == 4


def test_mismatches_are_refused_unless_allowed_and_a_changed_server_is_always_noted(tmp_path):
    runs = capture_three(tmp_path, {w: 1.0 for w in WORDS})
    base = ["--out", str(tmp_path / "out"), "--baselines", str(tmp_path / "baselines")]
    assert benchlab("baseline", "capture", "b", *[a for r in runs for a in ("--from", r)], *base).returncode == 0
    with running(server({w: 1.0 for w in WORDS}, 1)) as srv:
        code, sampled, _ = play(srv, tmp_path, "--temperature", "0.7")
        code2, newer, _ = play(srv, tmp_path, version="1.1.0")
    line = one_error_line(benchlab("baseline", "check", "b", sampled, *base))
    assert "cannot be compared with baseline b: sampling differs" in line and "--allow-mismatch" in line
    assert "pack chance-12 is 1.1.0 in the run, 1.0.0 in the baseline" in one_error_line(benchlab("baseline", "check", "b", newer, *base))
    allowed = benchlab("baseline", "check", "b", newer, *base, "--allow-mismatch")
    assert allowed.returncode == 0 and "Compared although not comparable" in allowed.stdout
    # Another server (another model name): reported, not refused.
    other = TestServer()
    OpenAIChat(ChanceScript({w: 1.0 for w in WORDS}, 2), model="other-model").install(other)
    with running(other) as srv:
        code, moved, text = play(srv, tmp_path, "--baseline", "b")
    assert code == 0, text
    assert "Note: the server's fingerprint changed since the baseline: model 'm' -> 'other-model'" in text


def test_bad_input_is_one_line(tmp_path):
    folder = tmp_path / "baselines"
    folder.mkdir()
    (folder / "known.json").write_text("{}")
    line = one_error_line(benchlab("baseline", "show", "nope", "--baselines", str(folder)))
    assert "no baseline 'nope'" in line and "baselines there: known" in line
    # run --baseline with a missing baseline stops before any request
    with running(server({w: 1.0 for w in WORDS}, 0)) as srv:
        proc = benchlab("run", "--backend", "openai", "--endpoint", srv.url, "--pack", str(pack(tmp_path)), "--out", str(tmp_path / "out"),
                        "--baseline", "nope", "--baselines", str(folder))
        assert srv.bodies("/v1/chat/completions") == []
    assert "no baseline 'nope'" in one_error_line(proc)
    # runs of different packs cannot form one baseline
    runs = []
    for version in ("1.0.0", "1.1.0", "1.0.0"):
        with running(server({w: 1.0 for w in WORDS}, 0)) as srv:
            runs.append(play(srv, tmp_path, version=version)[1])
    mixed = one_error_line(benchlab("baseline", "capture", "m", *[a for r in runs for a in ("--from", r)],
                                    "--out", str(tmp_path / "out"), "--baselines", str(folder)))
    assert "played different packs or pack versions" in mixed


def test_gate_flags_are_allowed_on_resume(tmp_path):
    runs = capture_three(tmp_path, {w: 1.0 for w in WORDS})
    base = ["--out", str(tmp_path / "out"), "--baselines", str(tmp_path / "baselines")]
    assert benchlab("baseline", "capture", "b", *[a for r in runs for a in ("--from", r)], *base).returncode == 0
    with running(server({w: 1.0 for w in WORDS}, 3)) as srv:
        proc = benchlab("run", "--resume", runs[0], *base, "--baseline", "b", "--fail-on-regression", "--allow-mismatch",
                        "--no-progress", "--endpoint", srv.url)
    assert proc.returncode == 0, proc.stderr
    assert "against baseline b: no regression" in proc.stdout


def test_one_run_of_three_repeats_makes_a_baseline_and_other_thinking_arms_are_refused(tmp_path):
    base = ["--out", str(tmp_path / "out"), "--baselines", str(tmp_path / "baselines")]
    with running(server({w: 1.0 for w in WORDS}, 0)) as srv:
        code, repeated, text = play(srv, tmp_path, "--repeat", "3")
        assert code == 0, text
        code, both, text = play(srv, tmp_path, "--thinking", "both")
        assert code == 0, text
    made = benchlab("baseline", "capture", "r3", "--from", repeated, *base)
    assert made.returncode == 0, made.stderr
    saved = json.loads((tmp_path / "baselines" / "r3.json").read_text())
    assert saved["runs"] == [repeated] and {(s["passes"], s["repeats"]) for s in saved["scenarios"]} == {(3, 3)}
    # the configuration is kept with the counts (never a key: the run's config holds none)
    assert saved["config"]["selection"]["repeat"] == 3 and saved["config"]["target"]["backend"] == "openai"
    assert "--repeat 3" in benchlab("baseline", "show", "r3", "--baselines", str(tmp_path / "baselines")).stdout
    line = one_error_line(benchlab("baseline", "check", "r3", both, *base))
    assert "thinking arms differ (run: off, on; baseline: off)" in line and "--allow-mismatch" in line
    allowed = benchlab("baseline", "check", "r3", both, *base, "--allow-mismatch")
    assert allowed.returncode == 0 and "Compared although not comparable (--allow-mismatch): thinking arms differ" in allowed.stdout


def test_where_baselines_live_the_working_directory_or_benchlab_baselines(tmp_path):
    with running(server({w: 1.0 for w in WORDS}, 0)) as srv:
        code, run_id, text = play(srv, tmp_path, "--repeat", "3")
    assert code == 0, text
    run_dir = str(tmp_path / "out" / run_id)
    here = tmp_path / "repo"
    here.mkdir()
    env = {"BENCHLAB_BASELINES": ""}
    assert benchlab("baseline", "capture", "main", "--from", run_dir, cwd=here, env=env).returncode == 0
    assert (here / "benchlab-baselines" / "main.json").is_file()
    moved = tmp_path / "elsewhere"
    assert benchlab("baseline", "capture", "main", "--from", run_dir, cwd=here, env={"BENCHLAB_BASELINES": str(moved)}).returncode == 0
    assert (moved / "main.json").is_file()
    # a file that is no baseline is named as such; the others are still listed
    (moved / "broken.json").write_text("{}")
    listed = benchlab("baseline", "list", cwd=here, env={"BENCHLAB_BASELINES": str(moved)})
    assert listed.returncode == 0, listed.stderr
    assert "broken  unreadable:" in listed.stdout and "main  1 runs  chance-12 1.0.0" in listed.stdout
    assert "no baselines in" in benchlab("baseline", "list", "--baselines", str(tmp_path / "none")).stdout
