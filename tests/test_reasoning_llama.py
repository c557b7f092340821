"""``benchlab run --reasoning`` end to end against the real llama-server with SmolLM2-135M
(the session's ``llama_server`` fixture) and the real sandbox, with the fixture datasets of
tests/data/reasoning (written for the tests, in LiveCodeBench's and GPQA's layouts). A 135M
model scores near zero here; what is checked is that every selected scenario was asked with
thinking on, answered by the server and judged by its verifier (code in the sandbox), and
that the run records what it played."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import TEST_DATA
from helpers import benchlab, run_record

LCB = TEST_DATA / "reasoning" / "lcb_v6_fixture.jsonl"
GPQA = TEST_DATA / "reasoning" / "gpqa_diamond_fixture.csv"


@pytest.mark.llama
@pytest.mark.slow
def test_reasoning_mode_against_the_real_server(llama_server: str, tmp_path) -> None:
    out = tmp_path / "out"
    proc = benchlab("run", "--reasoning", "--endpoint", llama_server, "--dataset", f"lcb-v6-30={LCB}",
                    "--dataset", f"gpqa-diamond={GPQA}", "--max-tokens", "48", "--thinking-max-tokens", "24",
                    "--out", str(out), "--no-progress", timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = run_record(out)
    assert record["backend"] == "llamacpp" and record["mode"] == "--reasoning"
    counts = Counter(r["pack"] for r in record["results"])
    assert counts == {"humaneval": 30, "gsm-symbolic-30": 30, "lcb-v6-30": 3, "gpqa-diamond": 4}
    for result in record["results"]:
        assert result["thinking"] == "on" and result["request"]["thinking"] is True, result["scenario_id"]
        mode = result["failure_mode"]
        if result["response"] is None:  # only a request cut off by its time limit has no response
            assert mode == "timeout", (result["scenario_id"], mode, result["detail"])
            continue
        assert result["response"]["status_code"] == 200 and result["response"]["raw"], result["scenario_id"]
        assert mode is None or mode in ("wrong_answer", "token_limit", "timeout"), (result["scenario_id"], mode, result["detail"])
        assert result["checks"] or mode in ("token_limit", "timeout"), result["scenario_id"]
    # The code packs' verdicts come from the sandbox, not from a missing one.
    assert record["probe"]["sandbox"]["provider"] is not None
    packs = {p["pack"]: p for p in record["packs"]}
    assert all(p["total"] == counts[name] for name, p in packs.items())
    assert "sha256" in packs["gpqa-diamond"]["dataset"] and "sha256" in packs["lcb-v6-30"]["dataset"]
    journal = [json.loads(line) for line in (out / record["run_id"] / "journal.jsonl").read_text().splitlines()]
    assert journal[0]["config"]["selection"]["thinking_on"] == ["humaneval", "gsm-symbolic-30", "lcb-v6-30", "gpqa-diamond"]
