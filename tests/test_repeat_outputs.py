"""Repeats and thinking arms in a run's outputs: per arm, the statistics of repeats in run.json's
pack summaries, the stdout table, report.md and inspect; each repeat a request of its own.

The statistics are checked against values worked out by hand (below, next to each number), and
end to end against a real HTTP server that counts what it serves."""

from __future__ import annotations

import json
import math
import re
import statistics
import threading
from pathlib import Path
from typing import Any

import pytest

from benchlab.aggregate import arm_summaries, scenario_tallies
from benchlab.model import FailureMode, ScenarioResult
from benchlab.repeat_stats import Tier
from benchlab.repeat_view import arm_cells, arm_headers
from benchlab.sampling import seed_for_repeat
from helpers import benchlab, only_run_dir, write_pack
from servers.base import Answer, Request, Script, TestServer, running
from servers.openai_compat import OpenAIChat

T, F, INFRA = True, False, None


def result(scenario: str, repeat: int, arm: str, verdict: bool | None) -> ScenarioResult:
    """A played scenario; verdict None is an infrastructure failure (not scored)."""
    mode = FailureMode.SERVER_ERROR if verdict is None else (None if verdict else FailureMode.WRONG_ANSWER)
    return ScenarioResult("p", scenario, passed=bool(verdict), score=float(bool(verdict)), failure_mode=mode, detail="",
                          latency_s=0.1, repeat=repeat, thinking=arm)


def results(arm: str, table: dict[str, list[bool | None]]) -> list[ScenarioResult]:
    return [result(s, n, arm, v) for s, verdicts in table.items() for n, v in enumerate(verdicts)]


# Arm off: a passes 3/3, b 2/3, c 0/3. Arm on: a 2/2 (its third repeat an infrastructure failure), b 0/3, c 2/3.
OFF = {"a": [T, T, T], "b": [T, F, T], "c": [F, F, F]}
ON = {"a": [T, T, INFRA], "b": [F, F, F], "c": [T, F, T]}


def test_arm_statistics_by_hand() -> None:
    arms = arm_summaries(results("off", OFF) + results("on", ON))
    assert list(arms) == ["off", "on"]
    off, on = arms["off"], arms["on"]
    assert (off.pass_count, off.total, off.repeats) == (5, 9, 3)
    assert (on.pass_count, on.total, on.repeats) == (4, 8, 3)  # the infrastructure failure is out of Pass/Total
    s = off.stats
    assert s is not None and s.scenarios == 3
    assert s.tiers == {Tier.STABLE_PASS: 1, Tier.FLAKY: 1, Tier.STABLE_FAIL: 1}
    # scenario means 1, 2/3, 0 -> 5/9
    assert s.mean_rate == pytest.approx(5 / 9)
    # per-repeat pack rates 2/3, 1/3, 2/3: mean 5/9, deviations 1/9, -2/9, 1/9, variance (6/81)/2 -> std sqrt(3)/9
    assert s.spread.mean == pytest.approx(5 / 9)
    assert s.spread.std == pytest.approx(math.sqrt(3) / 9)
    assert s.spread.cv == pytest.approx((math.sqrt(3) / 9) / (5 / 9))
    # pass@3: a 1, b 1 - C(1,3)/C(3,3) = 1, c 0 -> 2/3; pass^3: a 1, b C(2,3)/C(3,3) = 0, c 0 -> 1/3
    assert s.pass_at_k[3] == pytest.approx(2 / 3) and s.pass_hat_k[3] == pytest.approx(1 / 3)
    # pass^2: a 1, b C(2,2)/C(3,2) = 1/3, c 0 -> 4/9; pass@1 = pass^1 = the mean rate
    assert s.pass_hat_k[2] == pytest.approx(4 / 9) and s.pass_at_k[1] == pytest.approx(5 / 9)
    # clustered interval: sd of 1, 2/3, 0 is sqrt(21)/9; 5/9 -/+ t(2) 4.302653 * sqrt(21)/9/sqrt(3), clipped to 0..1
    half = 4.302653 * math.sqrt(21) / 9 / math.sqrt(3)
    assert s.interval.low == max(0.0, 5 / 9 - half) == 0.0 and s.interval.high == 1.0

    t = on.stats
    assert t is not None and t.tiers == {Tier.STABLE_PASS: 1, Tier.FLAKY: 1, Tier.STABLE_FAIL: 1}
    # scenario means 2/2, 0/3, 2/3 -> 5/9 (a scenario with a missing repeat weighs as much as the others)
    assert t.mean_rate == pytest.approx(5 / 9)
    # per-repeat rates: r0 2/3, r1 1/3, r2 1/2 (a not scored): mean 1/2, std 1/6, CV 1/3
    assert t.spread.mean == pytest.approx(0.5)
    assert t.spread.std == pytest.approx(1 / 6) and t.spread.cv == pytest.approx(1 / 3)
    # k stops at 2, a's scored repeats: pass@2 a 1, b 0, c 1 - C(1,2)/C(3,2) = 1 -> 2/3; pass^2 a 1, b 0, c 1/3 -> 4/9
    assert sorted(t.pass_at_k) == [1, 2]
    assert t.pass_at_k[2] == pytest.approx(2 / 3) and t.pass_hat_k[2] == pytest.approx(4 / 9)


def test_scenario_tallies_keep_arms_apart_and_leave_out_what_was_not_scored() -> None:
    tallies = {(t.scenario_id, t.thinking): t for t in scenario_tallies(results("off", OFF) + results("on", ON))}
    a_on = tallies[("a", "on")]
    assert a_on.verdicts == (T, T, None) and (a_on.counts.passes, a_on.counts.repeats) == (2, 2)
    assert a_on.counts.tier is Tier.STABLE_PASS
    assert tallies[("b", "off")].counts.tier is Tier.FLAKY and tallies[("c", "off")].counts.tier is Tier.STABLE_FAIL


def test_one_arm_of_three_repeats_reads_as_worked_out() -> None:
    on = arm_summaries(results("on", ON))["on"]
    headers = arm_headers("on", 1, 3)
    assert headers == ["Pass/Total", "Mean (95% CI)", "Std (CV)", "pass@3", "pass^3", "Stable pass", "Flaky", "Stable fail"]
    # k = 2 is all scenario a's two scored repeats allow: said in the cell
    assert arm_cells(on, 3) == ["4/8", "56% (0–100%)", "16.7 pts (0.33)", "67% (k=2)", "44% (k=2)", "1", "1", "1"]
    assert arm_headers("on", 2, 3)[0] == "on: Pass/Total"
    assert arm_cells(None, 3) == ["-"] * 8


def test_a_fixed_seed_moves_with_the_repeat() -> None:
    assert seed_for_repeat({"seed": 7, "temperature": 0.5}, 0) == {"seed": 7, "temperature": 0.5}
    assert seed_for_repeat({"seed": 7}, 2) == {"seed": 9}
    assert seed_for_repeat({"temperature": 0}, 2) == {"temperature": 0}


class NumberedAnswers(Script):
    """Each answer carries the number of the request it answers (#1, #2, ...), so a result shows
    which request it came from; ``fail`` lists request numbers answered with HTTP 500.

    Scenario ``s0`` is always right, ``s3`` never, ``s1`` right on its odd-numbered plays, ``s2``
    on every third."""

    def __init__(self, fail: set[int] | None = None) -> None:
        super().__init__({})
        self.lock = threading.Lock()
        self.served = 0
        self.plays: dict[str, int] = {}
        self.fail = fail or set()

    def next(self, prompt: str) -> tuple[int, bool]:
        with self.lock:
            self.served += 1
            self.plays[prompt] = self.plays.get(prompt, 0) + 1
            n, play = self.served, self.plays[prompt]
        right = {"s0": True, "s1": play % 2 == 1, "s2": play % 3 == 0, "s3": False}[prompt.removeprefix("Say ")]
        return n, right


class CountingServer(TestServer):
    def __init__(self, script: NumberedAnswers) -> None:
        super().__init__()
        self.script = script
        self.openai = OpenAIChat(script, model="m")
        self.route("GET", "/v1/models", self.openai.models)
        self.route("POST", "/v1/chat/completions", self.chat)

    def chat(self, request: Request) -> None:
        body = request.json
        n, right = self.script.next(str(body["messages"][-1]["content"]))
        if n in self.script.fail:
            request.send_json(500, {"error": {"message": "internal server error", "type": "server_error"}})
            return
        self.openai.respond(request, body, Answer(f"{'right' if right else 'wrong'} #{n}", reasoning="thought" if self.openai.thinking_on(body) else None))


SCENARIOS = ["s0", "s1", "s2", "s3"]


def numbered_pack(tmp_path: Path) -> Path:
    scenarios = [{"id": s, "messages": [{"role": "user", "content": f"Say {s}"}], "verifier": {"kind": "regex", "pattern": "^right"}}
                 for s in SCENARIOS]
    return write_pack(tmp_path / "numbered", scenarios, title="Numbered")


def play(url: str, tmp_path: Path, *extra: str) -> Any:
    return benchlab("run", "--backend", "openai", "--endpoint", url, "--pack", str(numbered_pack(tmp_path)), "--out", str(tmp_path / "out"),
                    "--no-progress", "--measured-tps", "100", "--retries", "0", *extra)


def number(r: dict[str, Any]) -> int:
    return int(re.search(r"#(\d+)", r["response"]["content"]).group(1))


def expected_arm(results: list[dict[str, Any]]) -> dict[str, Any]:
    """An arm's statistics worked out here from its verdicts, apart from benchlab.aggregate."""
    by_scenario: dict[str, list[bool]] = {}
    by_repeat: dict[int, list[bool]] = {}
    for r in results:
        by_scenario.setdefault(r["scenario_id"], []).append(r["passed"])
        by_repeat.setdefault(r["repeat"], []).append(r["passed"])
    rates = [sum(v) / len(v) for _, v in sorted(by_repeat.items())]
    return {
        "tiers": {"stable pass": sum(all(v) for v in by_scenario.values()), "stable fail": sum(not any(v) for v in by_scenario.values()),
                  "flaky": sum(any(v) and not all(v) for v in by_scenario.values())},
        "mean": statistics.mean(sum(v) / len(v) for v in by_scenario.values()),
        "std": statistics.stdev(rates),
        "pass@3": statistics.mean(any(v) for v in by_scenario.values()),  # n = k = 3: at least one pass
        "pass^3": statistics.mean(all(v) for v in by_scenario.values()),  # every repeat passed
    }


def test_both_arms_with_repeats_send_a_request_each_and_report_every_statistic_per_arm(tmp_path: Path) -> None:
    script = NumberedAnswers()
    with running(CountingServer(script)) as server:
        proc = play(server.url, tmp_path, "--repeat", "3", "--thinking", "both", "--seed", "11")
        bodies = server.bodies("/v1/chat/completions")
    assert proc.returncode == 0, proc.stderr
    # 4 scenarios x 3 repeats x 2 arms: 24 requests, each answered once and kept by one result.
    assert len(bodies) == 24 == script.served
    run_dir = only_run_dir(tmp_path / "out")
    record = json.loads((run_dir / "run.json").read_text())
    assert sorted(number(r) for r in record["results"]) == list(range(1, 25))
    # each repeat asks for itself: the seed moves with the repeat, the arm's switch is the result's arm
    for s in SCENARIOS:
        for arm, thinks in (("off", False), ("on", True)):
            mine = [b for b in bodies if b["messages"][-1]["content"] == f"Say {s}" and b["chat_template_kwargs"]["enable_thinking"] is thinks]
            assert sorted(b["seed"] for b in mine) == [11, 12, 13], (s, arm)

    (pack,) = record["packs"]
    assert sorted(pack["arms"]) == ["off", "on"]
    for arm in ("off", "on"):
        mine = [r for r in record["results"] if r["thinking"] == arm]
        want = expected_arm(mine)
        got = pack["arms"][arm]
        assert (got["pass_count"], got["total"], got["repeats"]) == (sum(r["passed"] for r in mine), 12, 3)
        stats = got["stats"]
        assert stats["tiers"] == want["tiers"]
        assert stats["mean_rate"] == pytest.approx(want["mean"]) and stats["spread"]["std"] == pytest.approx(want["std"])
        assert stats["pass_at_k"]["3"] == pytest.approx(want["pass@3"]) and stats["pass_hat_k"]["3"] == pytest.approx(want["pass^3"])
        assert stats["interval"]["low"] <= stats["mean_rate"] <= stats["interval"]["high"]

    # The table on stdout and report.md: one column group per arm, each with pass@3, pass^3 and the tiers.
    report = (run_dir / "report.md").read_text()
    for text in (proc.stdout, report):
        head = next(line for line in text.splitlines() if line.startswith("| Pack |"))
        for arm in ("off", "on"):
            for column in ("Pass/Total", "Mean (95% CI)", "Std (CV)", "pass@3", "pass^3", "Stable pass", "Flaky", "Stable fail"):
                assert f"| {arm}: {column} |" in head
        row = next(line for line in text.splitlines() if line.startswith("| Numbered (v1.0.0) |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        off = pack["arms"]["off"]["stats"]
        assert cells[1] == f"{pack['arms']['off']['pass_count']}/12"
        assert cells[4] == f"{off['pass_at_k']['3'] * 100:.0f}%" and cells[5] == f"{off['pass_hat_k']['3'] * 100:.0f}%"
        assert cells[6:9] == [str(off["tiers"][t]) for t in ("stable pass", "flaky", "stable fail")]
    # report.md lists each scenario's pass count and tier per arm
    tallies = {(r["scenario_id"], r["thinking"]) for r in record["results"]}
    assert len(tallies) == 8
    for s in SCENARIOS:
        passes = {arm: sum(r["passed"] for r in record["results"] if r["scenario_id"] == s and r["thinking"] == arm) for arm in ("off", "on")}
        tier = {arm: "stable pass" if n == 3 else "stable fail" if n == 0 else "flaky" for arm, n in passes.items()}
        assert f"| numbered/{s} | {passes['off']}/3 {tier['off']} | {passes['on']}/3 {tier['on']} |" in report
    assert "Quality: Numbered thinking off " in proc.stdout
    assert "Repeats under greedy sampling" not in proc.stdout  # a seed was set: the run is not greedy-canonical

    # inspect shows the same, and its JSON lists every scenario's tally.
    shown = benchlab("inspect", run_dir.name, "--out", str(tmp_path / "out"))
    assert shown.returncode == 0, shown.stderr
    assert "| numbered/s0 | 3/3 stable pass | 3/3 stable pass |" in shown.stdout and "| on: pass^3 |" in shown.stdout
    data = json.loads(benchlab("inspect", run_dir.name, "--out", str(tmp_path / "out"), "--format", "json").stdout)
    s3 = [row for row in data["scenarios"] if row["scenario_id"] == "s3"]
    assert [(row["thinking"], row["passes"], row["repeats"], row["tier"]) for row in s3] == [("off", 0, 3, "stable fail"), ("on", 0, 3, "stable fail")]
    assert data["packs"][0]["arms"]["on"]["stats"]["tiers"] == pack["arms"]["on"]["stats"]["tiers"]


def test_resume_plays_only_the_repeats_not_scored_each_with_a_request_of_its_own(tmp_path: Path) -> None:
    script = NumberedAnswers(fail={3, 10})
    with running(CountingServer(script)) as server:
        first = play(server.url, tmp_path, "--repeat", "3", "--concurrency", "1")
        assert first.returncode == 3, first.stderr  # two infrastructure failures: not every scenario scored
        assert "Repeats under greedy sampling (temperature 0) differ only where the server is not deterministic" in first.stdout
        run_dir = only_run_dir(tmp_path / "out")
        before = {(r["scenario_id"], r["repeat"]): r for r in json.loads((run_dir / "run.json").read_text())["results"]}
        failed = {k for k, r in before.items() if r["failure_mode"] == "server_error"}
        assert len(failed) == 2 and script.served == 12
        second = benchlab("run", "--resume", run_dir.name, "--out", str(tmp_path / "out"), "--no-progress", "--endpoint", server.url)
        assert second.returncode == 0, second.stderr
        assert script.served == 14  # the two failed repeats, nothing else, and each asked anew
    after = {(r["scenario_id"], r["repeat"]): r for r in json.loads((run_dir / "run.json").read_text())["results"]}
    assert sorted(number(after[k]) for k in failed) == [13, 14]
    for key, r in before.items():
        if key not in failed:
            assert after[key]["response"]["content"] == r["response"]["content"]
    numbers = [number(r) for r in after.values()]
    assert len(numbers) == len(set(numbers)) == 12  # no answer serves two repeats
    arm = json.loads((run_dir / "run.json").read_text())["packs"][0]["arms"]["off"]
    assert arm["total"] == 12 and sum(arm["stats"]["tiers"].values()) == 4
